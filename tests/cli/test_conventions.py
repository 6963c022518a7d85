"""The command line's conventions: --version, --help, --json -, -q, progress, colour.

Most checks call the CLI in this process; those that need what a user sees
(standard output against standard error, the environment's NO_COLOR) run it
as a real command, one process per check.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import pytest
from rich.console import Console

from shared import documents
from shared.cli import figures, helptext, output
from shared.cli import main as cli
from shared.cli.model import main as model_main
from shared.cli.run import summary
from shared.contract import MODELS
from shared.harness.host import make_parser
from shared.harness.services import Services
from shared.measure.load.trivial import open_trivial
from tests.support.batches import Batches, Runs, batch
from tests.support.cli import CLI

ROOT = Path(__file__).resolve().parents[2]
ESCAPE = "\x1b["
#: The parameters of an SGR sequence (``ESC [ 1;32 m``) that set a colour: the
#: foreground's and background's 30-38, 40-48, 90-97, 100-107.
COLOURS = {*range(30, 39), *range(40, 49), *range(90, 98), *range(100, 108)}


def coloured(text: str) -> bool:
    """Whether ``text`` sets a colour (bold or underline alone do not count).

    Only 38 and 48 take sub-parameters (``38;5;196``), and they are colours themselves.
    """
    found = re.findall(r"\x1b\[([0-9;]*)m", text)
    return any(int(p) in COLOURS for params in found for p in params.split(";") if p)


def plain_env(**extra: str) -> dict[str, str]:
    """This environment, with no say on colour or the terminal but ``extra``'s."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS")}  # fmt: skip
    return {**env, "COLUMNS": "80", **extra}


# --version: the installed version, on standard output, exit 0.
def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    out, err = capsys.readouterr()
    assert out == f"concurrency-compare {metadata.version('concurrency-compare')}\n"
    assert re.fullmatch(r"concurrency-compare \d+\.\d+\.\d+\S*\n", out) and err == ""


def help_of(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        cli.main([*argv, "--help"])
    assert exited.value.code == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def parser_of(command: str | None) -> argparse.ArgumentParser:
    parser = cli.make_parser([command] if command else [])
    if command is None:
        return parser
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    found: argparse.ArgumentParser = commands.choices[command]
    return found


def check_help(text: str, parser: argparse.ArgumentParser, prog: str) -> None:
    """What every --help holds, at 80 columns: each line fits, no word is cut, the
    description says how long it takes and gives an example, every option has a help."""
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert not [line for line in lines if re.search(r"[a-z]-$", line)]  # "open-" / "loop"
    description = text.split("\n\n")[1]  # after the usage
    assert len(description.split()) >= 5, description
    takes = text.split("\nTakes ", 1)[1].split("\n\n")[0]  # a paragraph of its own
    assert re.search(r"\d\s(s|min)\b", takes), takes
    example = re.search(r"\nexamples?:\n  (\S.*)", text)
    assert example is not None and example.group(1).startswith(prog), text
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        assert action.help and action.help != argparse.SUPPRESS, action.dest
        if action.option_strings:
            assert action.option_strings[-1] in text


# Every command's --help at 80 columns: what it does, how long it takes, an example.
@pytest.mark.parametrize("command", [None, *cli.COMMANDS], ids=str)
def test_help(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str | None
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = help_of(capsys, [command] if command else [])
    check_help(text, parser_of(command), "concurrency-compare")
    if command is not None:
        assert text.startswith(f"usage: concurrency-compare {command} ")


# python -m <model>_impl --help: the same conventions.
@pytest.mark.parametrize("model", MODELS)
def test_model_help(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, model: str
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert model_main(model, ["--help"]) == 0
    out, err = capsys.readouterr()
    check_help(out, make_parser(model), f"python -m {model}_impl")
    assert err == ""


# The formatter wraps between words only, and keeps a description's indented lines.
def test_help_wraps_between_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    parser = argparse.ArgumentParser(
        prog="p",
        description="a measured open-loop run of a very-long-hyphenated-word\n\n"
        "example:\n  p --an-example-line-longer-than-forty-columns-kept-whole",
        formatter_class=helptext.Formatter,
    )
    parser.add_argument("--x", help="open-loop open-loop open-loop open-loop")
    text = parser.format_help()
    assert "open-loop" in text and "very-long-hyphenated-word" in text
    assert "  p --an-example-line-longer-than-forty-columns-kept-whole\n" in text
    assert not [line for line in text.splitlines() if line.rstrip().endswith("-")]


# figures -q: each part's command is quiet too, so that only the verdicts show.
def test_figures_quiet_parts() -> None:
    for job in figures.JOBS:
        assert job.command("docs", quiet=True) == [*job.command("docs"), "-q"]


# The estimate of the time left: per step so far, or the plan's before the first.
def test_time_left() -> None:
    assert output.time_left(10.0, 2, 6) == 20.0
    assert output.time_left(10.0, 0, 6, expected=60.0) == 50.0
    assert output.time_left(70.0, 0, 6, expected=60.0) is None  # past the plan: no guess
    assert output.time_left(10.0, 0, 6) is None
    assert output.time_left(10.0, 6, 6) == 0.0
    assert output.time_left(None, 1, 6) is None
    assert [output.clock(s) for s in (42, 101, 2513, 3900)] == [
        "42 s", "1.7 min", "42 min", "1 h 05"]  # fmt: skip


def progress_text(console_out: io.StringIO) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", console_out.getvalue())


# On a terminal the progress shows what is done of how many, and the time left;
# without one (a pipe, a file) and under -q, it shows nothing.
def test_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # standard error counts as a terminal
    shown = io.StringIO()
    terminal = Console(file=shown, force_terminal=True, width=80)
    with output.steps(terminal, 4, "measuring", expected=600.0) as steps:
        steps.advance()
        steps.more(2)
        steps.doing("the last step")
    text = progress_text(shown)
    assert "1/6" in text and "the last step" in text and "left" in text
    assert all(len(line) <= 80 for line in text.splitlines())
    monkeypatch.setenv("TTY_COMPATIBLE", "0")  # standard error is not a terminal
    before = shown.getvalue()
    with output.steps(terminal, 4, "measuring") as steps:
        steps.advance()
    assert shown.getvalue() == before
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    terminal.quiet = True
    with output.steps(terminal, 4, "measuring") as steps:
        steps.advance()
    assert shown.getvalue() == before


# `run` on a terminal: its progress counts the runs.
def test_run_shows_progress(monkeypatch: pytest.MonkeyPatch, services: Services) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    shown = io.StringIO()
    console = Console(file=shown, force_terminal=True, width=80)
    argv = ["run", "context_switch", "--models", "asyncio,threads", "--services-url", services.url]
    assert cli.main(argv, console) == 0
    assert "2/2" in progress_text(shown)


# --json - for a figures document: the JSON on standard output, the word on the console.
def test_save_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    env = documents.environment()
    said = io.StringIO()
    asked = argparse.Namespace(json="-", charts=None)
    output.save(Console(file=said, width=80), env, asked, lambda folder, doc: [])
    out, _ = capsys.readouterr()
    assert json.loads(out) == documents.to_json(env)
    assert "figures written to standard output" in said.getvalue()
    assert asked.json == "-"  # the caller's arguments are left as they were


# load --target with --json - and -q: the JSON alone on standard output, the
# verdict alone on standard error.
def test_load_json_to_stdout_quietly(capsys: pytest.CaptureFixture[str]) -> None:
    with open_trivial() as url:
        status = cli.main(["load", "--target", url, "--rate", "50", "--duration", "0.5",
                           "--json", "-", "-q"])  # fmt: skip
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert document["load"]["sent"] == 25
    assert status in (0, 5)
    verdict = " ".join(err.split())  # one line, wrapped at 80 columns if long
    if status == 0:
        assert verdict == "25 of 25 answered; the figures are trusted"
    else:  # a busy machine: the generator says why, and nothing else is printed
        assert verdict.startswith("figures untrusted: ") and "answered, ms" not in err


@dataclasses.dataclass
class Ran:
    done: subprocess.CompletedProcess[str]
    left: list[str]  # the files in the folder it ran in, afterwards


@batch
def json_to_stdout(services: Services) -> Ran:
    """`run fetch --json -` as a user types it, in an empty folder, at 80 columns."""
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [*CLI, "run", "fetch", "--models", "asyncio,threads", "--json", "-",
             "--services-url", services.url],
            capture_output=True, text=True, timeout=120, cwd=folder, env=plain_env(),
        )  # fmt: skip
        return Ran(done, os.listdir(folder))


@batch
def quietly(services: Services) -> tuple[int, str]:
    """`run -q`: what it prints."""
    printed = io.StringIO()
    argv = ["run", "context_switch", "--models", "asyncio,threads", "-q",
            "--services-url", services.url]  # fmt: skip
    # Not a terminal whatever the environment says: a test may set TTY_COMPATIBLE.
    status = cli.main(argv, Console(file=printed, width=80, force_terminal=False))
    return status, printed.getvalue()


# `run fetch --json -`: standard output is the JSON and nothing else, no file
# named "-" appears; the tables, the summary and the verdict go to standard error.
def test_run_json_to_stdout(batches: Batches) -> None:
    ran = batches[json_to_stdout]
    assert ran.done.returncode == 0, ran.done.stderr
    document = json.loads(ran.done.stdout)
    assert document["format"]["kind"] == "runs"
    assert [(r["scenario"], r["model"]) for r in document["runs"]] == [
        ("fetch", "asyncio"), ("fetch", "threads")]  # fmt: skip
    assert ran.left == []
    err = ran.done.stderr
    assert "summary: each run's verdict and wall time" in err
    assert "wrote every run's details to standard output" in " ".join(err.split())
    assert err.splitlines()[-1] == "every model did what each scenario expects"
    assert ESCAPE not in err and all(len(line) <= 80 for line in err.splitlines())


# -q: the verdict alone.
def test_run_quiet(batches: Batches) -> None:
    status, printed = batches[quietly]
    assert status == 0
    assert printed == "every model did what each scenario expects\n"


# The summary: scenario by model, each run's mark and time, at 80 columns.
def test_summary_table(demo_runs: Runs) -> None:
    runs = sorted(demo_runs.values(), key=lambda r: (r.job.scenario, MODELS.index(r.job.model)))
    failed = dataclasses.replace(runs[0], environment="killed by SIGKILL")
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(summary([failed, *runs[1:]], MODELS))
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    rows = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    for run in runs[1:]:
        sign = "✓" if run.ok else "✗"
        assert f"{sign} {run.wall:.2f} s" in rows[run.job.scenario]
    assert f"! {failed.wall:.2f} s" in rows[failed.job.scenario]
    assert "✓ as expected" in text and "✗ differs" in text and "! the environment failed" in text


def shown(env: dict[str, str]) -> str:
    """What `show fetch` prints (its code highlighted) under ``env``, to a pipe."""
    argv = [*CLI, "show", "fetch", "--models", "asyncio", "--layout", "stacked"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


# Colour follows NO_COLOR and the terminal: none on a pipe or under NO_COLOR, and
# some when a terminal is forced (FORCE_COLOR) without NO_COLOR.
def test_colour() -> None:
    envs = [plain_env(NO_COLOR="1"), plain_env(), plain_env(FORCE_COLOR="1"),
            plain_env(FORCE_COLOR="1", NO_COLOR="1")]  # fmt: skip
    with ThreadPoolExecutor(len(envs)) as pool:
        no_colour, piped, forced, forced_no_colour = pool.map(shown, envs)
    assert ESCAPE not in no_colour and ESCAPE not in piped
    assert coloured(forced)
    assert not coloured(forced_no_colour) and ESCAPE in forced_no_colour  # bold may stay


# No console of the project decides colour or the terminal for itself.
def test_no_console_overrides_the_environment() -> None:
    deciding = re.compile(r"force_terminal|color_system|no_color|force_jupyter")
    found = [(path.relative_to(ROOT), call)
             for path in sorted((ROOT / "shared").rglob("*.py"))
             for call in re.findall(r"Console\([^)]*\)", path.read_text(encoding="utf-8"))
             if deciding.search(call)]  # fmt: skip
    assert found == []
