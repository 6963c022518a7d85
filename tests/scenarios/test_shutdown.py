"""shutdown: a signal with requests in flight, sent by the process itself and from outside.

From outside, each model's process is started by hand (``python -m``) with
services of its own, so that their counters (/stats) belong to that process
alone; the test sends it a real SIGTERM, then starts it again for a SIGINT.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from shared import scenarios
from shared.contract import MODELS, Expected
from shared.harness.services import Services
from shared.scenarios.shutdown import SIGNALS, ShutdownOutcome, ShutdownSpec
from tests.support.batches import Batches, Runs, batch
from tests.support.processes import alive
from tests.support.scenarios import outcome, passed, quiet
from tests.support.services import own_services, settled

STOPPED, DROPPED = "stopped on the wire", "answered late, dropped"
# Request 1 answered, 2 to 4 on the wire at the signal, 5 waiting for a worker.
REQUESTS = {
    "asyncio": ["done", STOPPED, STOPPED, STOPPED, "never sent"],
    "gevent": ["done", STOPPED, STOPPED, STOPPED, "never sent"],
    "threads": ["done", DROPPED, DROPPED, DROPPED, "never sent"],
}
# What the services saw: the requests on the wire aborted, or answered in full.
# Two more are served: the host's check that the services answer (GET /) and
# the scenario's warm-up request.
ON_THE_WIRE = {
    "asyncio": {"served": 1 + 2, "aborted": 3},
    "gevent": {"served": 1 + 2, "aborted": 3},
    "threads": {"served": 4 + 2, "aborted": 0},
}
MET = {
    "SIGTERM": {"asyncio": "CancelledError", "gevent": "nothing", "threads": "KeyboardInterrupt"},
    "SIGINT": dict.fromkeys(MODELS, "KeyboardInterrupt"),
}

# Half the spec's durations: the signal at 1 s, 0.6 s from any request's
# start or end, wide enough for a test that reads a pipe and then sleeps.
SCALE = 0.5
SIGNAL_AFTER = ShutdownSpec().signal_after * SCALE


@dataclass
class Signalled:
    """A process the test sent a real signal to."""

    report: dict[str, Any]  # what the host wrote (--result)
    stats: dict[str, int]  # what its services saw, once it had exited
    returncode: int
    leftover: bool  # whether the process was still alive after communicate()

    @property
    def outcome(self) -> ShutdownOutcome:
        return ShutdownOutcome.from_json(self.report["outcome"])

    def transcript(self) -> str:
        """What the process said, and when: the message of a failed check."""
        lines = zip(self.report["times"], self.report["lines"], strict=True)
        return "\n".join(f"{when:6.3f} s  {line}" for when, line in lines)

    def expected(self, model: str) -> Expected:
        spec = scenarios.get("shutdown").spec(**self.report["spec"])
        return scenarios.get("shutdown").expect(spec, model)


# The sender: a shell of its own that reads the pid line, sleeps, signals and
# drains the rest. A thread of this process could send it late: while the
# suite runs, this process gets a small share of two crowded cores, and its
# main thread can hold the GIL while off the CPU, so a thread woken from its
# sleep waits, and a signal 0.6 s late changes both the requests' states and
# the stop time.
SENDER = 'read -r said && sleep "$1" && kill -s "$2" "$3"; exec cat >/dev/null'


def signal_from_outside(model: str, signame: str, services: Services) -> Signalled:
    spec = {"scale": SCALE, "signal": signame, "sender": "outside"}
    fd, result = tempfile.mkstemp(prefix=f"cc-shutdown-{model}-", suffix=".json")
    os.close(fd)
    command = [
        sys.executable, "-m", f"{model}_impl", "shutdown", "--spec", json.dumps(spec),
        "--services-url", services.url, "--result", result,
    ]  # fmt: skip
    services.reset()
    try:
        # stderr: in the report; stdout: "pid N: ...", said just after its clock starts
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
            assert child.stdout is not None
            name = signame.removeprefix("SIG")  # kill -s wants TERM, INT
            sender = ["sh", "-c", SENDER, "sh", str(SIGNAL_AFTER), name, str(child.pid)]
            with subprocess.Popen(sender, stdin=child.stdout):
                child.stdout.close()  # the sender's now
                try:
                    child.communicate(timeout=60)
                finally:
                    if child.poll() is None:
                        child.kill()
            leftover = alive(child.pid)
        with open(result, encoding="utf-8") as file:
            report = json.load(file)
    finally:
        os.unlink(result)
    return Signalled(report, settled(services), child.returncode, leftover)


@batch
def from_outside(services: Services) -> dict[tuple[str, str], Signalled]:
    def both(model: str, own: Services) -> list[Signalled]:
        return [signal_from_outside(model, signame, own) for signame in SIGNALS]

    with own_services(len(MODELS)) as own, ThreadPoolExecutor(len(MODELS)) as pool:
        done = {model: pool.submit(both, model, own[n]) for n, model in enumerate(MODELS)}
        return {
            (model, signame): signalled
            for model, future in done.items()
            for signame, signalled in zip(SIGNALS, future.result(), strict=True)
        }


@pytest.fixture(scope="module")
def outside(batches: Batches) -> dict[tuple[str, str], Signalled]:
    return batches[from_outside]


# Requests on the wire at the signal: stopped there by asyncio and gevent,
# answered (and dropped) in threads; the waiting one never sent in any model.
def test_requests_in_flight(demo_runs: Runs, outside: dict[tuple[str, str], Signalled],
                            model: str) -> None:  # fmt: skip
    passed(demo_runs["shutdown", model])
    assert outcome(demo_runs["shutdown", model], ShutdownOutcome).requests == REQUESTS[model]
    for signame in SIGNALS:
        signalled = outside[model, signame]
        assert signalled.outcome.requests == REQUESTS[model], signalled.transcript()
        stats = {key: signalled.stats[key] for key in ("served", "aborted")}
        assert stats == ON_THE_WIRE[model], signame


# How main hears of the signal, SIGTERM and SIGINT, sent by itself or from outside.
def test_what_main_meets(demo_runs: Runs, outside: dict[tuple[str, str], Signalled],
                         model: str) -> None:  # fmt: skip
    assert outcome(demo_runs["shutdown", model], ShutdownOutcome).met == MET["SIGTERM"][model]
    for signame in SIGNALS:
        assert outside[model, signame].outcome.met == MET[signame][model]


# From outside too, every timing holds: stopped at once, or once the wire is drained.
@pytest.mark.parametrize("signame", SIGNALS)
def test_stopped_in_time(outside: dict[tuple[str, str], Signalled], signame: str,
                         model: str) -> None:  # fmt: skip
    signalled = outside[model, signame]
    assert signalled.expected(model).problems(signalled.outcome) == [], signalled.transcript()
    assert signalled.returncode == 0
    assert not signalled.leftover


# Nothing is left behind after the shutdown: no task, greenlet or thread, no socket.
def test_nothing_left(demo_runs: Runs, outside: dict[tuple[str, str], Signalled],
                      model: str) -> None:  # fmt: skip
    quiet(demo_runs["shutdown", model])
    for signame in SIGNALS:
        report = outside[model, signame].report
        assert (report["pending"], report["sockets"], report["warnings"]) == ([], 0, [])


# SIGINT: gevent's hub reports the KeyboardInterrupt on stderr; the others are quiet.
def test_sigint_on_stderr(outside: dict[tuple[str, str], Signalled], model: str) -> None:
    said = "".join(outside[model, "SIGINT"].report["stderr"].values())
    if model == "gevent":
        assert "KeyboardInterrupt" in said
        assert "Traceback" not in said  # a report, not a failure
    else:
        assert said == ""
    assert "".join(outside[model, "SIGTERM"].report["stderr"].values()) == ""
