"""Nothing is left running: not after a run, not after Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import alive

# The CLI as a terminal starts it: with SIGINT at its default. A shell that runs
# the tests as a background job ignores SIGINT in everything it starts, and an
# ignored SIGINT stays ignored across exec, so it is put back first.
CLI = [
    sys.executable, "-c",
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'concurrency-compare'; runpy.run_module('shared.cli', run_name='__main__')",
]  # fmt: skip


def children_of(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The fields after the command name, which is in parentheses.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def wait_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while (left := {p for p in pids if alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def wait_for_children(pid: int, count: int, timeout: float = 20.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while len(found := children_of(pid)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


# Ctrl-C during `run`: a one-line message, status 130, and every child gone.
def test_ctrl_c_during_run_leaves_nothing_running() -> None:
    # A session of its own, so the signal goes to its process group as a
    # terminal's Ctrl-C would, and not to pytest.
    command = [*CLI, "run", "cooperative", "fetch", "--scale", "2"]
    cli = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    # The services, then one interpreter per (scenario, model): wait until runs are under way.
    children = wait_for_children(cli.pid, 4)
    assert len(children) >= 4
    os.killpg(cli.pid, signal.SIGINT)
    _, stderr = cli.communicate(timeout=30)
    assert cli.returncode == 130
    assert stderr.decode().strip() == "concurrency-compare: interrupted"
    assert wait_gone(children) == set()


# Ctrl-C stops `serve` quietly and frees its port.
def test_ctrl_c_stops_serve() -> None:
    serve = subprocess.Popen(
        [*CLI, "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    assert serve.stdout is not None
    first = serve.stdout.readline().decode()
    assert first.startswith("serving on http://127.0.0.1:")
    os.killpg(serve.pid, signal.SIGINT)
    _, stderr = serve.communicate(timeout=30)
    assert serve.returncode == 0
    assert stderr == b""
