"""pools (the tutorial's Groups and Pools): five on the wire at most, and the order of results.

The services count the requests in flight (``peak_in_flight`` in /stats). To
read that count for one run alone, each model's run here gets services of its
own, started in parallel: the session's services see every run at once.
"""

from __future__ import annotations

import pytest

from shared.contract import DEMO_SCALE, MODELS
from shared.harness import runner
from shared.harness.services import Services
from shared.scenarios.pools import PoolsOutcome, PoolsSpec
from tests.support.batches import Batches, Runs, batch
from tests.support.scenarios import outcome, passed, quiet
from tests.support.services import own_services, settled

Wire = dict[str, tuple[runner.Run, dict[str, int]]]


@batch
def wire_runs(services: Services) -> Wire:
    with own_services(len(MODELS)) as own:
        jobs = [runner.Job(model, "pools", runner.make_spec("pools", mine, scale=DEMO_SCALE))
                for model, mine in zip(MODELS, own, strict=True)]  # fmt: skip
        runs = runner.run_all(jobs)
        return {run.job.model: (run, settled(mine)) for run, mine in zip(runs, own, strict=True)}


@pytest.fixture(scope="module")
def wire(batches: Batches) -> Wire:
    return batches[wire_runs]


# The services saw exactly five requests at once at most, forty served, none given up.
def test_at_most_five_on_the_wire(wire: Wire, model: str) -> None:
    run, stats = wire[model]
    passed(run)
    assert stats["peak_in_flight"] == 5, stats
    assert (stats["served"], stats["aborted"], stats["in_flight"]) == (40, 0, 0), stats
    assert outcome(run, PoolsOutcome).on_the_wire == 5
    assert outcome(run, PoolsOutcome).answered == 40


# asyncio starts every task at once, and 15 wait at the semaphore; gevent's pool
# and the executor start a call only when one of their five is free.
@pytest.mark.parametrize(("model", "started"), [("asyncio", 20), ("gevent", 5), ("threads", 5)])
def test_calls_waiting_for_a_slot(demo_runs: Runs, wire: Wire, model: str, started: int) -> None:
    for run in (demo_runs["pools", model], wire[model][0]):
        assert outcome(run, PoolsOutcome).started == started
        assert f"Most calls started at once: {started}" in run.transcript


# map() gives the requests' order, after the slow request 1; unordered, quicker
# requests overtake it. (Which ones is not asserted: a thread of the pool that
# starts late on a loaded machine takes its request late.)
def test_order_of_results(demo_runs: Runs, model: str) -> None:
    run = demo_runs["pools", model]
    passed(run)
    result = outcome(run, PoolsOutcome)
    assert result.mapped == list(range(1, 21))
    assert sorted(result.unordered) == result.mapped
    assert result.slow_overtaken
    assert result.unordered[0] != 1
    spec = PoolsSpec(scale=DEMO_SCALE)
    assert result.timings["mapped"] >= spec.seconds(spec.slow)
    assert result.timings["first"] >= spec.seconds(spec.alongside)


# Nothing is left running or open, nothing is said on stderr.
def test_quiet(demo_runs: Runs, model: str) -> None:
    quiet(demo_runs["pools", model])


# A limit that leaves nothing waiting, or a slow request too close to the quick
# ones to be overtaken for sure, is refused.
@pytest.mark.parametrize("values", [{"limit": 20}, {"limit": 1}, {"slow": 0.5}])
def test_bad_spec(values: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        PoolsSpec(**values)  # type: ignore[arg-type]
