"""queues (the tutorial's Queues): backpressure, a full queue, and how the workers stop."""

from __future__ import annotations

import sys

import pytest

from shared.contract import DEMO_SCALE
from shared.harness import runner
from shared.harness.services import Services
from shared.scenarios.queues import QueuesOutcome, QueuesSpec, stop_signal
from tests.support.batches import Batches, Runs, batch
from tests.support.scenarios import in_every_model, outcome, passed, quiet

WORKERS = ("steve", "john", "bob")
SHUTDOWN = sys.version_info >= (3, 13)

#: Room for every task: the boss never waits, unlike the demo's queue of 3.
ROOMY = {"scale": DEMO_SCALE, "maxsize": 12}


@batch
def roomy_runs(services: Services) -> dict[str, runner.Run]:
    return in_every_model("queues", services, **ROOMY)


# Every task is handled once, each worker's in the order they were put.
def test_every_task_once(demo_runs: Runs, model: str) -> None:
    run = demo_runs["queues", model]
    passed(run)
    done = outcome(run, QueuesOutcome)
    assert done.handled == list(range(1, 13))
    assert done.in_order


# The boss waits at maxsize: it is done assigning only after the workers made room
# twice (tasks 4-6, then 7-9, 70 ms each at the demo scale). With room for every
# task it is done at once, long before the workers could have made room twice.
def test_backpressure(demo_runs: Runs, batches: Batches, model: str) -> None:
    work = DEMO_SCALE * QueuesSpec().work
    bounded = outcome(demo_runs["queues", model], QueuesOutcome).timings["assigned"]
    roomy = batches[roomy_runs][model]
    passed(roomy)
    assert bounded >= 2 * work - 0.005, bounded
    timings = outcome(roomy, QueuesOutcome).timings
    assert timings["assigned"] < 2 * work, timings


# put_nowait on a full queue of 3 raises; gevent raises the standard library's queue.Full.
@pytest.mark.parametrize(
    ("model", "raised"),
    [("asyncio", "asyncio.QueueFull"), ("gevent", "queue.Full"), ("threads", "queue.Full")],
)
def test_put_nowait_on_a_full_queue(demo_runs: Runs, model: str, raised: str) -> None:
    full = outcome(demo_runs["queues", model], QueuesOutcome).full
    assert full == {"qsize": 3, "put_nowait": raised}
    assert f"put_nowait on a full queue of 3: {raised}" in demo_runs["queues", model].transcript


#: How the workers learn that the work is over, per model, before 3.13 and from 3.13.
STOPS = {
    ("asyncio", False): "sentinel",
    ("asyncio", True): "asyncio.QueueShutDown",
    ("gevent", False): "gevent.queue.ShutDown",
    ("gevent", True): "queue.ShutDown",
    ("threads", False): "sentinel",
    ("threads", True): "queue.ShutDown",
}


# shutdown() where this Python (or gevent) has it, sentinels where not.
def test_how_workers_stop(demo_runs: Runs, model: str) -> None:
    stop = STOPS[model, SHUTDOWN]
    assert outcome(demo_runs["queues", model], QueuesOutcome).stops == dict.fromkeys(WORKERS, stop)
    for name in WORKERS:
        assert f"Quitting time for {name}: {stop}" in demo_runs["queues", model].transcript


# The expectation says the same for both kinds of Python, whichever runs the suite.
@pytest.mark.parametrize("shutdown", [False, True])
def test_stop_signal_per_version(model: str, shutdown: bool) -> None:
    assert stop_signal(model, shutdown=shutdown) == STOPS[model, shutdown]


# Nothing is left running, nothing is said on stderr.
def test_quiet(demo_runs: Runs, model: str) -> None:
    quiet(demo_runs["queues", model])


# A spec without room or tasks, with a worker twice or work that takes no time is refused.
@pytest.mark.parametrize(
    "values", [{"maxsize": 0}, {"items": 0}, {"workers": ("a", "a")}, {"work": 0}]
)
def test_bad_spec(values: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        QueuesSpec(**values)  # type: ignore[arg-type]
