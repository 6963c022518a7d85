"""events (the tutorial's Events): one setter wakes all; a value; waiting with a timeout."""

from __future__ import annotations

import pytest

from shared.scenarios.events import EventsOutcome, EventsSpec
from tests.support.batches import Runs
from tests.support.scenarios import outcome, passed, quiet

WAITERS = range(1, 6)


# One set() wakes every waiter, and every waiter gets the value handed over.
def test_every_waiter_served(demo_runs: Runs, model: str) -> None:
    run = demo_runs["events", model]
    passed(run)
    assert outcome(run, EventsOutcome).woken == list(WAITERS)
    assert outcome(run, EventsOutcome).values == ["Hello!"] * len(WAITERS)


# No waiter wakes before the setter is done, nor gets the value before it is handed over.
def test_nothing_before_the_setter(demo_runs: Runs, model: str) -> None:
    lines = demo_runs["events", model].transcript
    done, handed = lines.index("Ok, I'm done"), lines.index("Handing over 'Hello!'")
    for number in WAITERS:
        assert lines.index(f"Waiter {number}: I'll wait for you") < done
        assert done < lines.index(f"Waiter {number}: It's about time") < handed
        assert handed < lines.index(f"Waiter {number} got 'Hello!'")


# The impatient waiter gives up on both, each model in its own way.
@pytest.mark.parametrize(
    ("model", "event", "value"),
    [
        ("asyncio", "raised TimeoutError", "raised TimeoutError"),
        ("gevent", "returned False", "raised gevent.timeout.Timeout"),
        ("threads", "returned False", "raised TimeoutError"),
    ],
)
def test_impatient_waiter(demo_runs: Runs, model: str, event: str, value: str) -> None:
    run = demo_runs["events", model]
    assert outcome(run, EventsOutcome).impatient == {"event": event, "value": value}
    assert f"Impatient: tired of waiting for the event: {event}" in run.transcript
    assert f"Impatient: tired of waiting for the value: {value}" in run.transcript


# The plainest wait with a timeout on a value holder: asyncio's cancels the Future.
@pytest.mark.parametrize(
    ("model", "state"), [("asyncio", "cancelled"), ("gevent", "pending"), ("threads", "pending")]
)
def test_timed_out_holder(demo_runs: Runs, model: str, state: str) -> None:
    assert outcome(demo_runs["events", model], EventsOutcome).timed_out_holder == state


# Nothing is left running, nothing is said on stderr.
def test_quiet(demo_runs: Runs, model: str) -> None:
    quiet(demo_runs["events", model])


# A patience close to the setter's delays would make a race of who comes first.
@pytest.mark.parametrize("values", [{"patience": 0.5}, {"patience": 0}, {"waiters": 0}])
def test_bad_spec(values: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        EventsSpec(**values)  # type: ignore[arg-type]
