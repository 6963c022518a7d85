"""determinism (the tutorial's Determinism): the same answer everywhere; the wake-up order."""

from __future__ import annotations

import pytest

from shared.contract import DEMO_SCALE
from shared.harness import runner
from shared.harness.services import Services
from shared.scenarios.determinism import DeterminismOutcome, DeterminismSpec, square
from tests.support.batches import Batches, Runs, batch
from tests.support.scenarios import in_every_model, outcome, passed, quiet

#: More rounds than the demo's four, to see the order over many wake-ups.
MANY = {"scale": DEMO_SCALE, "rounds": 12}

#: Whether the model runs tasks that are due together in the order they started.
FIFO = {"asyncio": True, "gevent": True, "threads": False}


@batch
def many_rounds(services: Services) -> dict[str, runner.Run]:
    return in_every_model("determinism", services, **MANY)


def runs_of(model: str, demo_runs: Runs, batches: Batches) -> list[runner.Run]:
    return [demo_runs["determinism", model], batches[many_rounds][model]]


# Every round of every run gives the squares in input order, whatever came back first.
def test_same_answer(demo_runs: Runs, batches: Batches, model: str) -> None:
    for run in runs_of(model, demo_runs, batches):
        passed(run)
        rounds = run.job.spec.rounds  # type: ignore[attr-defined]
        assert outcome(run, DeterminismOutcome).answers == [[square(n) for n in range(10)]] * rounds


# asyncio and gevent wake the tasks due together first-in-first-out, every round;
# threads wake each task once, in an order nobody promises: it is not asserted.
def test_wake_up_order(demo_runs: Runs, batches: Batches, model: str) -> None:
    start_order = list(range(10))
    for run in runs_of(model, demo_runs, batches):
        orders = outcome(run, DeterminismOutcome).orders
        assert len(orders) == run.job.spec.rounds  # type: ignore[attr-defined]
        if FIFO[model]:
            assert orders == [start_order] * len(orders)
            assert "Runs alike: True" in run.transcript
        else:
            assert all(sorted(order) == start_order for order in orders), orders


# The tutorial's lines: one per run with the order, whether the runs were alike, the squares.
def test_transcript(demo_runs: Runs, model: str) -> None:
    lines = demo_runs["determinism", model].transcript
    assert [line.split(":")[0] for line in lines] == [
        "Run 1", "Run 2", "Run 3", "Run 4", "Runs alike", "Squares",
    ]  # fmt: skip
    assert lines[-1] == "Squares: 0 1 4 9 16 25 36 49 64 81"


# Nothing is left running, nothing is said on stderr.
def test_quiet(demo_runs: Runs, model: str) -> None:
    quiet(demo_runs["determinism", model])


# A spec without tasks, rounds or nap is refused.
@pytest.mark.parametrize("values", [{"tasks": 0}, {"rounds": 0}, {"nap": 0}])
def test_bad_spec(values: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        DeterminismSpec(**values)  # type: ignore[arg-type]
