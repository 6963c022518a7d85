"""as_completed (2a): answers handled in arrival order, in the article's padded lines."""

from __future__ import annotations

import re

from shared.contract import DEMO_SCALE
from shared.harness import runner
from shared.harness.services import Services
from shared.scenarios.as_completed import AsCompletedOutcome
from tests.support.batches import Batches, Runs, batch
from tests.support.scenarios import in_every_model, outcome, passed, quiet

# What each model's as_completed hands back: the task/greenlet/future itself?
YIELDS_HANDLES = {"asyncio": False, "gevent": True, "threads": True}


# asyncio.as_completed yields new awaitables; gevent.iwait and futures' as_completed the handles.
def test_what_as_completed_yields(demo_runs: Runs, model: str) -> None:
    run = demo_runs["as_completed", model]
    assert outcome(run, AsCompletedOutcome).yields_handles is YIELDS_HANDLES[model]


# The printed lines: one more ">>" per rank, processes by delay, then the total.
def test_padded_lines(demo_runs: Runs, model: str) -> None:
    lines = demo_runs["as_completed", model].transcript
    handled = [line for line in lines if line.startswith(">>")]
    assert [line.split(":")[0] for line in handled] == [
        ">> Process 2",
        ">>>> Process 1",
        ">>>>>> Process 3",
    ]
    date = r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT"
    assert all(re.fullmatch(rf">+ Process \d: {date}, took: \d+\.\d\d seconds", h) for h in handled)
    assert lines[-1].startswith("Process took: ")
    assert sum(line.startswith("Fetch async process") for line in lines) == 3


# Handling as they come leaves nothing behind and says nothing on stderr.
def test_quiet(demo_runs: Runs, model: str) -> None:
    run = demo_runs["as_completed", model]
    quiet(run)
    assert run.returncode == 0


# At twice the demo's scale the closest two answers come 0.25 s apart: far more
# than a crowded machine delays a thread's start, so each comes back in turn.
OTHER = {"scale": 2 * DEMO_SCALE, "delays": (1.0, 3.0, 0.5, 2.0)}


@batch
def other_delays(services: Services) -> dict[str, runner.Run]:
    return in_every_model("as_completed", services, **OTHER)


# The arrival order follows the spec's delays, for any number of requests.
def test_other_delays(batches: Batches, model: str) -> None:
    run = batches[other_delays][model]
    passed(run)
    assert outcome(run, AsCompletedOutcome).handled[0] == ">> Process 3"
    assert outcome(run, AsCompletedOutcome).handled[-1] == ">>>>>>>> Process 2"
