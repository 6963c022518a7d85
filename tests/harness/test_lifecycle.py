"""Nothing is left running: not after a run, not after Ctrl-C, SIGTERM, SIGHUP or a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from shared import errors
from shared.harness import processes
from shared.harness.services import Services
from tests.support.batches import Batches, batch
from tests.support.cli import CLI
from tests.support.processes import descendants_of, runs_of, wait_for, wait_gone

# -- whatever ends the CLI ------------------------------------------------------

# The CLI with one more way to end: SIGUSR1 raises an exception nobody expects,
# as a bug of ours would, in the middle of whatever the CLI is doing. A
# KeyError on purpose: a LookupError is a bug too, not bad usage.
CRASHING_CLI = [
    sys.executable, "-c",
    "import runpy, signal, sys\n"
    "def crash(*_): raise KeyError('a crash, for the test')\n"
    "signal.signal(signal.SIGUSR1, crash)\n"
    "sys.argv[0] = 'concurrency-compare'; runpy.run_module('shared.cli.main', run_name='__main__')",
]  # fmt: skip


@dataclass
class Ended:
    under_way: bool  # a run was under way when the signal came
    status: int
    stderr: str
    left_running: set[int]
    left_files: list[str]


#: Each ending, and the models of the run it strikes. Every CLI start costs
#: seconds of CPU (its imports, its services, a fork server per model), so one
#: scenario each, and one model where one proves the point: the fork servers
#: are stopped by the same code whatever their model, and Ctrl-C's run has two
#: of them, to see that every one goes, not just the first. Between them the
#: endings meet every model's fork server.
ENDINGS = {
    signal.SIGINT: "threads,gevent",
    signal.SIGTERM: "threads",
    signal.SIGHUP: "threads",
    signal.SIGUSR1: "asyncio",
}


def end_a_run(signum: int) -> Ended:
    """`run` with its own services, ended by ``signum`` once a model's run is under way.

    SIGINT goes to the CLI's process group, as a terminal's Ctrl-C does (the
    CLI has a session of its own, so it does not reach pytest); any other
    signal to the CLI alone, as `kill` or `timeout` would send it.
    """
    command = CLI if signum == signal.SIGINT else CRASHING_CLI
    with tempfile.TemporaryDirectory(prefix="cc-test-") as scratch:
        with processes.started(
            [*command, "run", "fetch", "--models", ENDINGS[signum], "--scale", "2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "TMPDIR": scratch},
        ) as cli:  # fmt: skip
            # The services, a fork server per model, and the runs they fork,
            # named after their scenario (fetch: 4 s at scale 2, well past the
            # look and the pause below): every one must go.
            runs = wait_for(lambda: runs_of(cli.pid, "fetch"), timeout=180)
            time.sleep(0.2)
            children = descendants_of(cli.pid)
            if signum == signal.SIGINT:
                os.killpg(cli.pid, signum)
            else:
                os.kill(cli.pid, signum)
            _, stderr = cli.communicate(timeout=60)
        return Ended(bool(runs), cli.returncode, stderr, wait_gone(children),
                     sorted(os.listdir(scratch)))  # fmt: skip


@batch
def ended_runs(services: Services) -> dict[int, Ended]:
    with ThreadPoolExecutor(len(ENDINGS)) as pool:
        return dict(zip(ENDINGS, pool.map(end_a_run, ENDINGS), strict=True))


# Ctrl-C during `run`: a one-line message, status 130, and every child gone.
def test_ctrl_c_during_run_leaves_nothing_running(batches: Batches) -> None:
    ended = batches[ended_runs][signal.SIGINT]
    assert ended.under_way
    assert ended.status == 130, ended.stderr
    assert ended.stderr.strip() == "concurrency-compare: interrupted"
    assert ended.left_running == set() and ended.left_files == []


# SIGTERM and SIGHUP end `run` as Ctrl-C does: a line, 128+N, nothing left.
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_termination_leaves_nothing(batches: Batches, signum: signal.Signals) -> None:
    ended = batches[ended_runs][signum]
    assert ended.under_way
    assert ended.status == 128 + signum, ended.stderr
    assert ended.stderr.strip() == f"concurrency-compare: ended by {signum.name}"
    assert ended.left_running == set() and ended.left_files == []


# A bug in the CLI: the traceback, a line saying it is a bug, status 4, nothing left.
def test_a_crash_leaves_nothing(batches: Batches) -> None:
    ended = batches[ended_runs][signal.SIGUSR1]
    assert ended.under_way
    assert ended.status == errors.BUG, ended.stderr
    lines = ended.stderr.strip().splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "KeyError: 'a crash, for the test'" in lines
    assert lines[-1].startswith("concurrency-compare: this is a bug in concurrency-compare")
    assert ended.left_running == set() and ended.left_files == []


@dataclass
class Served:
    first: str  # the first line it printed
    status: int
    stderr: str


@batch
def served(services: Services) -> Served:
    """`serve`, stopped by Ctrl-C once it says where it serves."""
    with processes.started(
        [*CLI, "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as serve:
        assert serve.stdout is not None
        first = serve.stdout.readline().decode()  # "" if it ended: it is not struck then
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGINT)
        _, stderr = serve.communicate(timeout=30)
    return Served(first, serve.returncode, stderr.decode())


# Ctrl-C stops `serve` quietly and frees its port.
def test_ctrl_c_stops_serve(batches: Batches) -> None:
    ended = batches[served]
    assert ended.first.startswith("serving on http://127.0.0.1:")
    assert ended.status == 0
    assert ended.stderr == ""
