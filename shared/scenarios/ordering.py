"""Article example 1c: sequential work finishes in call order, concurrent work does not."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from shared.contract import Expected, Outcome, Scenario, Spec, one_by_one_and_at_once


@dataclass(frozen=True, kw_only=True)
class OrderingSpec(Spec):
    tasks: int = 9
    # The delays are step, 2*step, ... shuffled: distinct on purpose, and far enough
    # apart (50 ms at the demo scale) that a thread woken late on a busy machine
    # still finishes in its turn.
    step: float = 0.2
    seed: int = 2016  # the shuffle is seeded, so the expected order is known

    def delays(self) -> dict[int, float]:
        """Task number -> seconds it sleeps: distinct, shuffled by the seed."""
        ranks = random.Random(self.seed).sample(range(1, self.tasks + 1), self.tasks)
        return {pid: self.seconds(self.step * rank) for pid, rank in enumerate(ranks, 1)}


@dataclass(kw_only=True)
class OrderingOutcome(Outcome):
    synchronous: list[int] = field(default_factory=list)  # task numbers in completion order
    concurrent: list[int] = field(default_factory=list)


def expect(spec: OrderingSpec, model: str) -> Expected:
    delays = spec.delays()
    return Expected(
        facts={
            "synchronous": list(range(1, spec.tasks + 1)),
            "concurrent": sorted(delays, key=delays.__getitem__),
        },
        bounds=one_by_one_and_at_once(list(delays.values())),
        # A task woken late finishes behind the next one: the concurrent order
        # is as much a timing as the bounds are.
        late=["concurrent"],
    )


SCENARIO = Scenario(
    name="ordering",
    article="1c",
    summary="tasks run one by one finish in call order; run concurrently, in delay order",
    idea=(
        "Nine tasks each sleep for a while and then report. Run one after the other "
        "they finish in the order they were called. Run concurrently they finish in "
        "the order of their delays. The article draws random delays; here they are "
        "distinct and shuffled by a seed, so the concurrent order is known in advance "
        "and can be checked."
    ),
    spec_type=OrderingSpec,
    outcome_type=OrderingOutcome,
    expect=expect,
)
