"""Bad input, a hundred ways: exit status 2, one line, no traceback, nothing left behind.

Most invocations are checked in this process, by calling the CLI's and the
host's ``main`` as their entry points do: each is refused before any work
starts, so this is fast (and must be: past the checks, the host imports the
model's package, and gevent's would patch pytest's own process). A few run as
real commands, in parallel, to see what a user sees from ``python -m
<model>_impl`` and from the CLI.
"""

from __future__ import annotations

import os
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shared import errors
from shared.cli import main as cli
from shared.cli.model import main as model_main
from shared.contract import HTTP_TIMEOUT_VARIABLE, MAX_SCALE, MIN_SCALE, MODELS
from shared.harness import processes
from tests.support.cli import CLI

ROOT = Path(__file__).resolve().parents[2]
A_FOLDER = str(Path(__file__).parent)  # exists, and is a folder
NO_FOLDER = "/no/such/folder/out.json"
DEAD_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there

# (argv, a piece of the one line on stderr)
CLI_CASES: list[tuple[list[str], str]] = [
    # commands and options
    (["frobnicate"], "invalid choice"),
    (["--frobnicate"], "unrecognized arguments"),
    (["run", "--frobnicate"], "unrecognized arguments"),
    (["list", "extra"], "unrecognized arguments"),
    # run: scenarios and models
    (["run", "nope"], "unknown scenario 'nope'"),
    (["run", "fetch", "nope"], "unknown scenario 'nope'"),
    (["run", ""], "unknown scenario ''"),
    (["run", "fetch", "fetch"], "a scenario named twice"),
    (["run", "--models", "asyncio,trio"], "unknown model trio"),
    (["run", "--models", ""], "unknown model ''"),
    (["run", "--models", ","], "unknown model ','"),
    (["run", "--models", "asyncio,asyncio"], "a model named twice"),
    (["run", "--models", "ASYNCIO"], "unknown model ASYNCIO"),
    (["run", "--models"], "expected one argument"),
    # run: scale
    (["run", "--scale", "-2"], "must be a positive number"),
    (["run", "--scale", "0"], "must be a positive number"),
    (["run", "--scale", "fast"], "not a number"),
    (["run", "--scale", ""], "not a number"),
    (["run", "--scale", "nan"], "must be a positive number"),
    (["run", "--scale", "inf"], "must be a positive number"),
    (["run", "--scale=-inf"], "must be a positive number"),
    (["run", "--scale", "1e-9"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["run", "--scale", "0.01"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["run", "--scale", "1000"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["run", "--scale", "1e308"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["run", "--scale", "4.5"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["run", "--scale", "0x10"], "not a number"),
    (["run", "--scale"], "expected one argument"),
    # a scale in range that a scenario still cannot honour: its services would
    # answer after the client timeout
    (["run", "as_completed", "--scale", "3"], "spec field delays"),
    (["run", "--scale", "3"], "spec field delays"),
    # run: services URL
    (["run", "fetch", "--services-url", ""], "not a services URL"),
    (["run", "fetch", "--services-url", "nope"], "not a services URL"),
    (["run", "fetch", "--services-url", "ftp://127.0.0.1:21"], "not a services URL"),
    (["run", "fetch", "--services-url", "http://127.0.0.1"], "not a services URL"),
    (["run", "fetch", "--services-url", "http://127.0.0.1:99999"], "not a services URL"),
    (["run", "fetch", "--services-url", "http://:8080"], "not a services URL"),
    (["run", "fetch", "--services-url", DEAD_URL], "no concurrency-compare services at"),
    # run: PostgreSQL's URL (the database scenario's server)
    (["run", "--postgres-url", ""], "not a PostgreSQL URL: ''"),
    (["run", "--postgres-url", "  "], "not a PostgreSQL URL"),
    (["run", "--postgres-url", "nope"], "not a PostgreSQL URL"),
    (["run", "--postgres-url", "http://127.0.0.1:5432/db"], "not a PostgreSQL URL"),
    (["run", "--postgres-url", "postgresql://"], "not a PostgreSQL URL"),
    (["run", "--postgres-url", "postgresql:///db"], "not a PostgreSQL URL"),
    (["run", "--postgres-url", "postgresql://h:99999/db"], "not a PostgreSQL URL"),
    (["run", "--postgres-url", "postgres://[::1/db"], "not a PostgreSQL URL"),
    (["run", "database", "--postgres-url"], "expected one argument"),
    # run: output file
    (["run", "--json", ""], "an empty file name"),
    (["run", "--json", "  "], "an empty file name"),
    (["run", "--json", NO_FOLDER], "cannot write"),
    (["run", "--json", A_FOLDER], "it is a folder"),
    (["run", "--json", "/"], "it is a folder"),
    (["run", "--json", "/proc/version"], "cannot write"),
    (["run", "--json"], "expected one argument"),
    # show
    (["show"], "the following arguments are required: SCENARIO"),
    (["show", "nope"], "unknown scenario 'nope'"),
    (["show", ""], "unknown scenario ''"),
    (["show", "fetch", "--models", "x"], "unknown model x"),
    (["show", "fetch", "--models", ""], "unknown model ''"),
    (["show", "fetch", "--layout", "diagonal"], "invalid choice"),
    (["show", "fetch", "extra"], "unrecognized arguments"),
    # report
    (["report", "--scale", "0"], "must be a positive number"),
    (["report", "--scale", "99"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["report", "--services-url", ""], "not a services URL"),
    (["report", "--postgres-url", ""], "not a PostgreSQL URL"),
    (["report", "--postgres-url", "mysql://127.0.0.1/db"], "not a PostgreSQL URL"),
    (["report", "--runs", "/no/such/runs.json"], "cannot read"),
    (["report", "--bench", "/no/such/bench.json"], "cannot read"),
    (["report", "--out", "/proc/version"], "not a folder"),
    (["report", "--runs", ""], "cannot read"),
    (["report", "--bench", ""], "cannot read"),
    # bench
    (["bench", "nope"], "nope"),
    (["bench", "--models", "trio"], "trio"),
    (["bench", "--repeat", "0"], "between 1 and 100"),
    (["bench", "--repeat", "x"], "not a"),
    (["bench", "--json", NO_FOLDER], "cannot write"),
    (["bench", "--json", A_FOLDER], "it is a folder"),
    (["bench", "--json", ""], "an empty file name"),
    # serve
    (["serve", "--port", "70000"], "between 0 and 65535"),
    (["serve", "--port", "-1"], "between 0 and 65535"),
    (["serve", "--port", "x"], "not a port number"),
    (["serve", "--port", ""], "not a port number"),
    (["serve", "--port", "80.5"], "not a port number"),
]

# The client timeout from the environment: every command refuses a bad one.
ENV_CASES: list[tuple[str, list[str]]] = [
    ("abc", ["list"]),
    ("0", ["list"]),
    ("-1", ["run", "fetch"]),
    ("nan", ["list"]),
    ("1e9", ["list"]),
    ("", ["list"]),
]

# python -m <model>_impl: (argv, a piece of the one line)
HOST_CASES: list[tuple[list[str], str]] = [
    ([], "the following arguments are required: scenario"),
    (["nope"], "unknown scenario 'nope'"),
    ([""], "unknown scenario ''"),
    (["fetch", "extra"], "unrecognized arguments"),
    (["fetch", "--scale", "0"], "must be a positive number"),
    (["fetch", "--scale", "x"], "not a number"),
    (["fetch", "--scale", "1e-9"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["fetch", "--scale", "1e308"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["fetch", "--spec", "{"], "--spec: Expecting property name"),
    (["fetch", "--spec", ""], "--spec: Expecting value"),
    (["fetch", "--spec", "[]"], "--spec must be a JSON object"),
    (["fetch", "--spec", "3"], "--spec must be a JSON object"),
    (["fetch", "--spec", '{"nope": 1}'], "unknown spec field(s) for FetchSpec: nope"),
    (["fetch", "--spec", '{"delays": "x"}'], "spec field delays: expected a list"),
    (["fetch", "--spec", '{"delays": []}'], "expected a list that is not empty"),
    (["fetch", "--spec", '{"delays": [1, "a"]}'], "expected a number of seconds in the list"),
    (["fetch", "--spec", '{"delays": [-1]}'], "expected a duration, 0 or more"),
    (["fetch", "--spec", '{"delays": [1e999]}'], "expected a duration, 0 or more"),
    (["fetch", "--spec", '{"delays": [60]}'], "spec field delays"),
    (["fetch", "--spec", '{"delays": [true]}'], "expected a number of seconds"),
    (["fetch", "--spec", '{"scale": 0}'], "scale must be a positive number"),
    (["fetch", "--spec", '{"scale": "big"}'], "spec field scale: expected a number"),
    (["fetch", "--spec", '{"services_url": 3}'], "spec field services_url: expected a string"),
    (["ordering", "--spec", '{"tasks": -3}'], "spec field tasks: expected a count"),
    (["ordering", "--spec", '{"tasks": 2.5}'], "spec field tasks: expected a whole number"),
    (["ordering", "--spec", '{"tasks": "9"}'], "spec field tasks: expected a whole number"),
    (["ordering", "--spec", '{"tasks": 0}'], "ordering: these spec values make no sense"),
    (["ordering", "--spec", '{"tasks": 2000}'], "more than 60 s"),
    (["ordering", "--spec", '{"step": true}'], "spec field step: expected a number"),
    (["ordering", "--spec", '{"step": null}'], "spec field step: expected a number"),
    (["cooperative", "--spec", '{"block": -1}'], "spec field block"),
    (["cooperative", "--spec", '{"work": "1"}'], "spec field work"),
    (["first_response", "--spec", '{"mode": "sloppy"}'], "mode must be one of"),
    (["first_response", "--spec", '{"ipify": 1, "ip_api": 1}'], "must be distinct"),
    (["timeouts", "--spec", '{"timeout": 1.2}'], "within a factor 2"),
    (["fetch", "--spec", '{"services_url": "nope"}'], "spec field services_url: not a services"),
    (["database", "--spec", '{"postgres_url": "x"}'], "spec field postgres_url: not a PostgreSQL"),
    (["database", "--postgres-url", ""], "not a PostgreSQL URL"),
    (["database", "--postgres-url", "localhost:5432"], "not a PostgreSQL URL"),
    (["fetch", "--services-url", ""], "not a services URL"),
    (["fetch", "--services-url", "localhost:80"], "not a services URL"),
    (["fetch", "--result", ""], "an empty file name"),
    (["fetch", "--result", NO_FOLDER], "cannot write"),
    (["fetch", "--result", A_FOLDER], "it is a folder"),
]


def ids(cases: list[tuple[list[str], str]]) -> list[str]:
    return [" ".join(repr(a) if not a or " " in a else a for a in argv) for argv, _ in cases]


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    return err


def test_the_table_is_big() -> None:
    total = len(CLI_CASES) + len(ENV_CASES) + len(HOST_CASES) * len(MODELS) + len(COMMANDS)
    assert total >= 100


# The CLI: exit 2, one line naming the problem, nothing on stdout.
@pytest.mark.parametrize(("argv", "message"), CLI_CASES, ids=ids(CLI_CASES))
def test_cli(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    status = cli.main(argv)
    out, err = capsys.readouterr()
    assert status == errors.USAGE, (out, err)
    assert message in one_line(err) and err.startswith("concurrency-compare: error: ")
    assert out == ""


@pytest.fixture(scope="module")
def bad_timeouts() -> list[processes.Finished]:
    """The CLI with each bad $CONCURRENCY_COMPARE_HTTP_TIMEOUT, each in a process
    of its own: setting it here is not safe while other threads start processes."""

    def one(value: str, argv: list[str]) -> processes.Finished:
        env = {**os.environ, HTTP_TIMEOUT_VARIABLE: value}
        return processes.run([*CLI, *argv], timeout=120, env=env)

    with ThreadPoolExecutor(len(ENV_CASES)) as pool:
        return list(pool.map(lambda case: one(*case), ENV_CASES))


@pytest.mark.parametrize("case", range(len(ENV_CASES)), ids=[v or "empty" for v, _ in ENV_CASES])
def test_bad_client_timeout(bad_timeouts: list[processes.Finished], case: int) -> None:
    done = bad_timeouts[case]
    assert done.returncode == errors.USAGE, done.stderr
    assert f"{HTTP_TIMEOUT_VARIABLE} must be a number of seconds" in one_line(done.stderr)
    assert done.stdout == ""


# python -m <model>_impl, each model: exit 2 and one line, as the CLI.
@pytest.mark.parametrize(("argv", "message"), HOST_CASES, ids=ids(HOST_CASES))
def test_host(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    for model in MODELS:
        status = model_main(model, argv)
        out, err = capsys.readouterr()
        assert status == errors.USAGE, (model, out, err)
        assert message in one_line(err) and err.startswith(f"python -m {model}_impl: error: ")
        assert out == ""


# The same through real commands, the way a user meets them.
COMMANDS: list[tuple[list[str], str]] = [
    *[([sys.executable, "-m", f"{m}_impl", "fetch", "--spec", '{"tasks": -3}'],
       f"python -m {m}_impl: error: unknown spec field(s)") for m in MODELS],
    # Past every check of the arguments: only a real model's interpreter gets
    # this far (in this process, gevent's package would patch pytest's).
    ([sys.executable, "-m", "threads_impl", "fetch", "--services-url", DEAD_URL],
     "python -m threads_impl: error: no concurrency-compare services at"),
    ([sys.executable, "-m", "shared.cli.main", "run", "--scale", "1e308"], "concurrency-compare:"),
]  # fmt: skip


def test_commands(tmp_path: Path) -> None:
    def run(command: list[str]) -> processes.Finished:
        env = {**os.environ, "TMPDIR": str(tmp_path)}  # to see what they leave there
        return processes.run(command, timeout=300, env=env)

    with ThreadPoolExecutor(len(COMMANDS)) as pool:
        done = list(pool.map(run, [command for command, _ in COMMANDS]))
    for (command, message), ended in zip(COMMANDS, done, strict=True):
        assert ended.returncode == errors.USAGE, (command, ended.stderr)
        assert one_line(ended.stderr).startswith(message), ended.stderr
        assert ended.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


# Bare `concurrency-compare` lists the commands and the exit statuses.
def test_bare_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == errors.OK
    out, _ = capsys.readouterr()
    for command in ("list", "run", "show", "report", "bench", "serve"):
        assert f"\n    {command} " in out
    assert "exit status:" in out and "3      the environment failed" in out


# A bug is not bad usage: its traceback, then one line naming where a user reports it,
# the Issues URL of pyproject.toml's [project.urls] as the installed metadata has it.
def test_a_bug_names_where_to_report_it(capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> int:
        raise KeyError("a bug, for the test")

    assert errors.run_command("concurrency-compare", broken) == errors.BUG
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert urls["Issues"].startswith(urls["Home"]) and urls["Home"] == errors.HOME
    assert lines[-1].startswith("concurrency-compare: this is a bug in concurrency-compare")
    assert lines[-1].endswith(f"(KeyError: 'a bug, for the test'); please report it, with the "
                              f"lines above, at {urls['Issues']}")  # fmt: skip
    assert "`issues`" not in lines[-1]
