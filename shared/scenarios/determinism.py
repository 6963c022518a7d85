"""The gevent tutorial's Determinism: the same pure work gives the same answer, in what order?"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.contract import Difference, Expected, Outcome, Scenario, Spec, Transcript, at_least


@dataclass(frozen=True, kw_only=True)
class DeterminismSpec(Spec):
    tasks: int = 10  # the tutorial's range(10)
    rounds: int = 4  # the tutorial's run1 .. run4
    # Every task naps this long before it answers: the same for all, so that
    # they are all due at once. Longer than the tutorial's 1 ms, so that the
    # whole pool's time stands well apart from the sum of the naps.
    nap: float = 0.04

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.tasks < 1 or self.rounds < 1:
            raise ValueError("tasks and rounds must be at least 1")
        if self.nap <= 0:
            raise ValueError(f"nap must be a positive number of seconds, not {self.nap!r}")


@dataclass(kw_only=True)
class DeterminismOutcome(Outcome):
    # Each round's results, put back in the order of their inputs.
    answers: list[list[int]] = field(default_factory=list)
    # Each round's inputs in the order their results came back. Reported, not
    # compared: asyncio and gevent keep the start order, threads promise none,
    # and that difference is pinned by a test of its own.
    orders: list[list[int]] = field(default_factory=list)

    def facts(self) -> dict[str, Any]:
        facts = super().facts()
        del facts["orders"]
        return facts


def square(number: int) -> int:
    """The pure computation every task does: nothing but its input decides the answer."""
    return number * number


def answer(results: list[tuple[int, int]]) -> list[int]:
    """A round's ``(input, result)`` pairs, in whatever order they came, as results by input."""
    return [result for _, result in sorted(results)]


def record(outcome: DeterminismOutcome, results: list[tuple[int, int]], out: Transcript) -> None:
    """Keep one round's results, and print the order they came back in, as the tutorial does."""
    outcome.answers.append(answer(results))
    outcome.orders.append([number for number, _ in results])
    out.say(f"Run {len(outcome.orders)}: " + " ".join(str(n) for n, _ in results))


def conclude(outcome: DeterminismOutcome, out: Transcript) -> None:
    """Print what the rounds show: whether they came back alike, and the answer."""
    out.say(f"Runs alike: {all(order == outcome.orders[0] for order in outcome.orders)}")
    out.say("Squares: " + " ".join(str(result) for result in outcome.answers[0]))


def expect(spec: DeterminismSpec, model: str) -> Expected:
    nap = spec.seconds(spec.nap)
    together, one_by_one = spec.rounds * nap, spec.rounds * spec.tasks * nap
    return Expected(
        facts={"answers": [[square(n) for n in range(spec.tasks)]] * spec.rounds},
        # The naps of a round overlap: about one nap per round, not one per task.
        bounds={"rounds": at_least(together, below=one_by_one)},
    )


SCENARIO = Scenario(
    name="determinism",
    article="tutorial: Determinism",
    summary="a pool's pure work: the same answer everywhere; the order of tasks due together",
    idea=(
        "A pool of tasks squares the numbers 0 to 9, each after the same short nap, "
        "and the results are taken as they come back, round after round, as in the "
        "tutorial's imap_unordered. Whatever the order, the same inputs give the same "
        "answer in every model. The order itself is another matter. All the tasks are "
        "due at the same moment; asyncio and gevent then run them first-in-first-out, "
        "in the order they started, every round alike: a single thread runs them, and "
        "its timers fire in deadline order. Threads are woken by the operating system, "
        "which promises no order: the rounds may come back alike, or not."
    ),
    spec_type=DeterminismSpec,
    outcome_type=DeterminismOutcome,
    expect=expect,
    differences=(
        Difference(
            "tasks due at the same moment run",
            {
                "asyncio": "first-in-first-out: timers fire in deadline order, the start order",
                "gevent": "first-in-first-out: each sleep reads the clock, timers keep start order",
                "threads": "in whatever order the OS wakes them: not promised",
            },
            "tests/scenarios/test_determinism.py::test_wake_up_order",
        ),
    ),
)
