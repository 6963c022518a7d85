"""inspect: each model's own look into a live process waiting on the local services."""

from __future__ import annotations

import sys

import pytest

from shared.contract import MODELS
from shared.harness import introspect

NEEDS_314 = pytest.mark.skipif(
    sys.version_info < introspect.NEEDS, reason="python -m asyncio pstree is new in Python 3.14"
)


@pytest.fixture(scope="module")
def looks() -> dict[str, tuple[str, list[str]]]:
    """Every model's process looked into once, all of them at the same time."""
    return introspect.inspect(list(MODELS))


def waiting_in_fetch(lines: list[str], marker: str) -> int:
    return sum(line.rstrip().endswith(marker) for line in lines)


# 3.14+: the task tree from outside: the main task awaiting the three fetches.
@NEEDS_314
def test_asyncio_task_tree(looks: dict[str, tuple[str, list[str]]]) -> None:
    tool, lines = looks["asyncio"]
    assert tool == "python -m asyncio pstree PID"
    assert sum("(T) Task-" in line for line in lines) == 4, lines
    assert sum(" fetch_events " in line for line in lines) == 3, lines


# gevent's run info: the three greenlets, each waiting in fetch_events.
def test_gevent_run_info(looks: dict[str, tuple[str, list[str]]]) -> None:
    tool, lines = looks["gevent"]
    assert tool == "kill -USR1 PID: gevent.util.print_run_info()"
    assert "* Greenlets" in lines, lines
    assert sum(line.lstrip(" :|+-").startswith("<Greenlet ") for line in lines) >= 3
    assert waiting_in_fetch(lines, ", in fetch_events") == 3, lines


# faulthandler: every thread's stack, the three workers in fetch_events.
def test_threads_stacks(looks: dict[str, tuple[str, list[str]]]) -> None:
    tool, lines = looks["threads"]
    assert tool == "kill -USR1 PID: faulthandler, all threads"
    assert sum(line.startswith("Thread 0x") for line in lines) == 3, lines
    assert waiting_in_fetch(lines, " in fetch_events") == 3, lines
    assert any(line.startswith("Current thread 0x") for line in lines)


# Below 3.14, asyncio is left out with one line saying why.
def test_asyncio_needs_314(capsys: pytest.CaptureFixture[str]) -> None:
    if sys.version_info >= introspect.NEEDS:
        assert introspect.asyncio_tool_available()
        return
    assert introspect.run(["asyncio"]) == 0
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    expected = f"asyncio: python -m asyncio ps/pstree need Python 3.14+, this is {version}\n"
    assert capsys.readouterr().out == expected
