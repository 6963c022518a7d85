"""`concurrency-compare show`: the implementations side by side, differing lines marked."""

from __future__ import annotations

import socket
import sys

import pytest
from rich.console import Console

from shared import scenarios
from shared.cli.main import main
from shared.contract import MODELS
from shared.present import show as show_module
from shared.present import sources
from tests.support.cli import refused

MARK = "❱"


def show(capsys: pytest.CaptureFixture[str], width: int, *argv: str) -> tuple[int, str, str]:
    # A console of that width, rather than $COLUMNS: changing the environment
    # is not safe while other threads start processes (the suite's batches).
    status = main(["show", *argv], Console(width=width))
    out, err = capsys.readouterr()
    return status, out, err


def files(name: str, models: tuple[str, ...] = MODELS) -> list[str]:
    return [f"{model}_impl/{name}.py" for model in models]


# Every scenario of the catalogue shows its three modules in one row, with marked lines.
def test_show_every_scenario_side_by_side(
    capsys: pytest.CaptureFixture[str], scenario: str
) -> None:
    status, out, err = show(capsys, 240, scenario)
    assert status == 0, err
    assert scenarios.get(scenario).summary in out
    header = next(line for line in out.splitlines() if files(scenario)[0] in line)
    positions = [header.index(name) for name in files(scenario)]
    assert positions == sorted(positions), header  # one row, in the models' order
    assert any(line.lstrip().startswith(MARK) for line in out.splitlines())


# The line that makes asyncio asyncio is marked; a line the three share is not.
def test_show_marks_the_differing_lines(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = show(capsys, 100, "context_switch", "--layout", "stacked")
    assert status == 0
    lines = out.splitlines()
    awaits = [line for line in lines if "await asyncio.sleep(0)" in line]
    sleeps = [line for line in lines if "gevent.sleep(0)" in line and '"""' not in line]
    shared = [line for line in lines if 'out.say("Running in foo")' in line]
    assert awaits and all(line.startswith(MARK) for line in awaits), awaits
    assert sleeps and all(line.startswith(MARK) for line in sleeps), sleeps
    assert len(shared) == len(MODELS) and not any(line.startswith(MARK) for line in shared)


# A narrow terminal gets the models one above the other, each under its file name.
def test_show_stacks_when_narrow(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = show(capsys, 80, "fetch")
    assert status == 0
    lines = out.splitlines()
    assert all(sum(name in line for name in files("fetch")) <= 1 for line in lines)
    firsts = [next(i for i, line in enumerate(lines) if name in line) for name in files("fetch")]
    assert firsts == sorted(firsts)  # asyncio, then gevent, then threads
    assert max(len(line) for line in lines) <= 80


# Asked for columns at 80 characters, where they would cut words short (`…`), a
# scenario comes stacked, with a line that says why; nothing is cut.
def test_columns_too_narrow_come_stacked(capsys: pytest.CaptureFixture[str]) -> None:
    needs = {name: show_module.columns_needed(sources.side_by_side(name))
             for name in scenarios.CATALOGUE}  # fmt: skip
    assert all(needed > 80 for needed in needs.values()), needs  # all come stacked
    widest = max(needs, key=lambda name: needs[name])
    for name in dict.fromkeys(["fetch", widest]):  # the longest words: the likeliest cut
        status, out, _ = show(capsys, 80, name, "--layout", "columns")
        assert status == 0
        assert "…" not in out, name
        assert max(len(line) for line in out.splitlines()) <= 80, name
        assert f"(stacked: columns need a terminal {needs[name]} characters wide, not 80)" in out
        assert all(sum(n in line for n in files(name)) <= 1 for line in out.splitlines())


# --models picks the models, and the marks are computed between those alone.
def test_show_chosen_models(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = show(capsys, 200, "fetch", "--models", "gevent,threads")
    assert status == 0
    assert "asyncio_impl" not in out and all(name in out for name in files("fetch")[1:])
    # gevent and threads fetch one page the same way: that line is not marked.
    gets = [line for line in out.splitlines() if "answer = session.get(" in line]
    assert gets and not any(MARK in line for line in gets)


# A line not marked is in every other model's version of the section; a line
# missing from another model's version is marked.
def test_marks_agree_with_the_sources(scenario: str) -> None:
    marks_agree(sources.side_by_side(scenario))


# The service alone's marks are made the same way (``show.bare`` aligns its modules).
def test_bare_marks_agree_with_the_sources() -> None:
    marks_agree(show_module.bare())


def marks_agree(view: sources.SideBySide) -> None:
    for row in view.rows:
        texts = {
            model: [cell.source.lines[n - 1].rstrip() for n in cell.numbers]
            for model, cell in row.cells.items()
            if cell is not None
        }
        for model, cell in row.cells.items():
            if cell is None:
                continue
            others = [texts.get(other) for other in view.models if other != model]
            for number, line in zip(cell.numbers, texts[model], strict=True):
                if not line.strip():
                    assert number not in cell.differing
                elif number not in cell.differing:
                    assert all(text is not None and line in text for text in others), line
                elif any(text is None or line not in text for text in others):
                    assert number in cell.differing, line


# Sections follow the mirrored structure: the header, then each top-level definition.
def test_sections_follow_the_definitions() -> None:
    view = sources.side_by_side("fetch")
    assert [row.key for row in view.rows] == [sources.HEADER, "fetch_events", "main", "run"]
    assert view.rows[2].title == "async def main"  # the first model's spelling
    for row in view.rows:
        assert all(cell is not None for cell in row.cells.values())


# Reading the sources never imports an impl package: gevent's would patch this process.
def test_show_reads_by_path(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, _ = show(capsys, 200, "fetch")
    assert status == 0
    assert not {"asyncio_impl", "gevent_impl", "threads_impl"} & set(sys.modules)
    assert socket.socket.__module__ == "socket"  # not gevent's


#: The public names of every ``bare.py``, in their order (``tests/contract/test_mirror.py``).
BARE_NAMES = ["UpstreamPool", "handle", "Connection", "serve"]


def section_titles(out: str) -> list[str]:
    """The sections' names, from their rules: ``async def handle ────`` -> ``handle``."""
    rules = [line.split(" ─")[0].split() for line in out.splitlines() if line.endswith("──")]
    return [words[-1] for words in rules]


# `show bare`: the service alone in the three models, one row, each public definition
# facing its counterparts in the modules' order, under a header that says what it shows.
def test_show_bare_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = show(capsys, 240, "bare")
    assert status == 0, err
    text = " ".join(out.split())
    assert show_module.BARE_SUMMARY in text and "shared/measure/http1.py" in text
    header = next(line for line in out.splitlines() if files("bare")[0] in line)
    positions = [header.index(name) for name in files("bare")]
    assert positions == sorted(positions), header  # one row, in the models' order
    titles = section_titles(out)
    assert [t for t in titles if not t.startswith("_")] == ["header", *BARE_NAMES], titles
    assert any(line.lstrip().startswith(MARK) for line in out.splitlines())


# In 80 columns `show bare` comes stacked, as the scenarios do, asked for columns or
# not: nothing wider than the terminal and nothing cut; each model's file under each
# definition, in the models' order.
@pytest.mark.parametrize("layout", ["auto", "columns"])
def test_show_bare_fits_80_columns(capsys: pytest.CaptureFixture[str], layout: str) -> None:
    status, out, _ = show(capsys, 80, "bare", "--layout", layout)
    assert status == 0
    lines = out.splitlines()
    assert "…" not in out and max(len(line) for line in lines) <= 80
    assert all(sum(name in line for name in files("bare")) <= 1 for line in lines)
    assert [t for t in section_titles(out) if not t.startswith("_")] == ["header", *BARE_NAMES]
    for name in BARE_NAMES:  # each definition of each model, in the models' order
        start = next(i for i, line in enumerate(lines) if line.endswith("──") and name in line)
        firsts = [next(i for i, line in enumerate(lines[start:]) if n in line)
                  for n in files("bare")]  # fmt: skip
        assert firsts == sorted(firsts), name


BAD_USAGE = [
    (["show"], "the following arguments are required: SCENARIO"),
    (["show", "nope"], "unknown scenario 'nope'"),
    (["show", "nope"], "chat_server, database, bare)"),  # the service alone is a name too
    (["show", "fetch", "--models", "asyncio,trio"], "unknown model trio"),
    (["show", "fetch", "--layout", "diagonal"], "invalid choice: 'diagonal'"),
]


# Bad input: one line on stderr, exit status 2, nothing on stdout.
@pytest.mark.parametrize(("argv", "message"), BAD_USAGE, ids=[" ".join(a) for a, _ in BAD_USAGE])
def test_show_bad_usage(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert message in refused(capsys, argv)
