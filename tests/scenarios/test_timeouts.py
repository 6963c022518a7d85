"""timeouts (4a): the response after about the timeout, and what becomes of the requests."""

from __future__ import annotations

import contextlib
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from shared.contract import DEMO_SCALE, IP, MODELS
from shared.harness import runner
from shared.harness.services import Services, open_services
from shared.scenarios.timeouts import TimeoutsOutcome
from tests.support.batches import Batches, Runs, batch
from tests.support.scenarios import by_hand, outcome, passed
from tests.support.services import settled

NOT_AVAILABLE = {"message": "Result from asynchronous.", "ip": "not available"}
WITH_IP = {"message": "Result from asynchronous.", "ip": IP}

# What each model's deadline raises.
EXPIRED = {
    "asyncio": {"raised": "TimeoutError", "an_exception": True},
    "gevent": {"raised": "gevent.timeout.Timeout", "an_exception": False},
    "threads": {"raised": "TimeoutError", "an_exception": True},
}
# What stopping a request that is still on the wire leaves of it.
STOPPED = {"asyncio": "cancelled", "gevent": "killed", "threads": "running"}

# Both requests well on the wire when the deadline expires, the slower one long
# after it: what each model does with them has time to show.
ON_THE_WIRE = {"scale": 1.0, "timeout": 0.3, "ipify": 1.0, "ip_api": 3.0}
# Seconds from the report to the end of the process: an exit that waits for the
# slow request takes about 3 - 0.3 s, one that does not a fraction of a second;
# half-way holds both ways even with every core busy.
WAITED = 1.5


@dataclass
class Extra:
    long: dict[str, runner.Run]  # the article's -t 5, at the demo scale
    on_the_wire: dict[str, runner.Run]  # ON_THE_WIRE, each model with services of its own
    stats: dict[str, dict[str, int]]  # what those services saw, once the model had exited
    by_hand: dict[str, subprocess.CompletedProcess[str]]  # python -m <model>_impl timeouts


@batch
def extra_runs(services: Services) -> Extra:
    """Every run this module needs besides the demo runs, all at once."""
    with contextlib.ExitStack() as stack:
        own = {model: stack.enter_context(open_services()) for model in MODELS}
        long = runner.jobs_for(["timeouts"], MODELS, services, scale=DEMO_SCALE, timeout=5.0)
        wire = [runner.Job(m, "timeouts", runner.make_spec("timeouts", own[m], **ON_THE_WIRE))
                for m in MODELS]  # fmt: skip
        with ThreadPoolExecutor(3) as pool:
            hand = {model: pool.submit(by_hand, model, "timeouts") for model in MODELS}
            runs = runner.run_all(long + wire)
        return Extra(
            long={run.job.model: run for run in runs[:3]},
            on_the_wire={run.job.model: run for run in runs[3:]},
            stats={model: settled(own[model]) for model in MODELS},
            by_hand={model: future.result() for model, future in hand.items()},
        )


@pytest.fixture(scope="module")
def extra(batches: Batches) -> Extra:
    return batches[extra_runs]


# The article's 10 ms: no IP, and each model's own deadline exception.
def test_deadline_exception(demo_runs: Runs, model: str) -> None:
    run = demo_runs["timeouts", model]
    passed(run)
    assert outcome(run, TimeoutsOutcome).response == NOT_AVAILABLE
    assert outcome(run, TimeoutsOutcome).deadline == EXPIRED[model]
    assert str(NOT_AVAILABLE) in run.transcript


# The article's -t 5: the fastest service's IP, no deadline met, the slower request stopped.
def test_long_timeout_gives_the_ip(extra: Extra, model: str) -> None:
    run = extra.long[model]
    passed(run)
    done = outcome(run, TimeoutsOutcome)
    assert done.response == WITH_IP
    assert done.deadline is None
    assert done.unfinished == {"ipify": "done", "ip-api": STOPPED[model]}
    assert any(line.startswith("ipify finished with result: ") for line in run.transcript)


# Requests on the wire at the deadline: cancelled, killed, or left to run while exit waits.
def test_unfinished_work(extra: Extra, model: str) -> None:
    run = extra.on_the_wire[model]
    passed(run)
    stopped = STOPPED[model]
    assert outcome(run, TimeoutsOutcome).unfinished == {"ipify": stopped, "ip-api": stopped}
    stats = extra.stats[model]
    served, aborted = {"asyncio": (0, 2), "gevent": (0, 2), "threads": (2, 0)}[model]
    assert (stats["served"], stats["aborted"]) == (served, aborted), stats
    diagnostics = run.diagnostics
    if model == "threads":
        # The pool's workers are still on the wire when the scenario returns,
        # and the interpreter waits for them: until the 3 s request is answered.
        assert diagnostics.pending == ["thread fetch_ip_0", "thread fetch_ip_1"]
        assert diagnostics.sockets == 2
        assert diagnostics.exit_seconds > WAITED
    else:
        assert (diagnostics.pending, diagnostics.sockets) == ([], 0)
        assert diagnostics.exit_seconds < WAITED
    assert (diagnostics.stderr, diagnostics.warnings) == ({}, [])


# Run by hand with the article's default timeout, every model prints "not available".
def test_python_m_prints_not_available(extra: Extra, model: str) -> None:
    done = extra.by_hand[model]
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Using a 0.01 timeout"
    assert str(NOT_AVAILABLE) in lines
    assert "Traceback" not in done.stderr
