"""The gevent tutorial's Locks and Semaphores: lost updates, and a bounded resource."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from shared.contract import Difference, Expected, Outcome, Scenario, Spec, at_least

#: The ways the tasks update the shared counter: read it, pass a yield point,
#: write it back plus one. At the yield point they wait for a result that is
#: already there ("ready"), or sleep for zero seconds ("switch"); "locked" is
#: "switch" with the model's lock held from the read to the write.
WAYS = ("ready", "switch", "locked")

#: What the facts say of a count that a preemptive model leaves to chance.
SOME = "some"
NOT_PROMISED = "not promised"


@dataclass(frozen=True, kw_only=True)
class LocksSpec(Spec):
    tasks: int = 10  # tasks updating the one counter
    updates: int = 100  # updates each of them makes
    users: int = 6  # tasks that want the bounded resource
    bound: int = 2  # how many of them the semaphore lets hold it at once
    hold: float = 0.3  # seconds each holds it

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.tasks < 2 or self.updates < 1:
            raise ValueError("it takes at least 2 tasks and 1 update each to lose an update")
        if not 1 <= self.bound <= self.users:
            raise ValueError(f"bound must be from 1 to users ({self.users}), not {self.bound}")
        if self.hold <= 0:
            raise ValueError(f"hold must be positive, not {self.hold!r}")

    def total(self) -> int:
        """The updates made, all tasks together: what the counter ends at if none is lost."""
        return self.tasks * self.updates

    def rounds(self) -> int:
        """How many times over the users must take turns with the resource."""
        return math.ceil(self.users / self.bound)


@dataclass(kw_only=True)
class LocksOutcome(Outcome):
    # Whether the model can switch tasks anywhere (threads), or only where the
    # code lets it (at an await, at a call that blocks in gevent).
    preemptive: bool = False
    # way -> updates lost: the total minus where the counter ended.
    lost: dict[str, int] = field(default_factory=dict)
    peak: int = 0  # the most users holding the bounded resource at once

    def facts(self) -> dict[str, Any]:
        """The counts a model promises; where a preemptive one leaves them to chance, less.

        A thread can be switched out between any two bytecodes, so how many
        updates it loses with a zero sleep varies from run to run (only that
        some are lost is sure), and whether it loses any at all with no sleep
        is not promised either. The exact counts stay in ``lost``.
        """
        facts = super().facts()
        if self.preemptive:
            facts["lost"] = {
                "ready": NOT_PROMISED,
                "switch": SOME if self.lost.get("switch") else 0,
                "locked": self.lost.get("locked"),
            }
        return facts


def lost_when_switching(spec: LocksSpec) -> int:
    """Updates lost with a zero sleep between read and write, where switches are in order.

    Each task reads, then lets all the others read the same value before any
    of them writes: of every round of ``tasks`` updates, one counts.
    """
    return spec.total() - spec.updates


def expect(spec: LocksSpec, model: str) -> Expected:
    hold = spec.seconds(spec.hold)
    if model == "threads":
        lost: dict[str, Any] = {"ready": NOT_PROMISED, "switch": SOME, "locked": 0}
    else:
        lost = {"ready": 0, "switch": lost_when_switching(spec), "locked": 0}
    return Expected(
        facts={"preemptive": model == "threads", "lost": lost, "peak": spec.bound},
        bounds={
            # The users take turns, ``bound`` at a time: one at a time would
            # take ``users`` holds, all at once a single one.
            "semaphore": at_least(
                spec.rounds() * hold, below=(spec.rounds() + spec.users) * hold / 2
            )
        },
    )


DEFAULT = LocksSpec()
PINNED_BY = "tests/scenarios/test_locks.py::"

SCENARIO = Scenario(
    name="locks",
    article="tutorial: Locks and Semaphores",
    summary="a counter updated without a lock loses updates; a semaphore bounds a resource",
    idea=(
        "Ten tasks each add one to a shared counter a hundred times, by reading it, "
        "passing a yield point, and writing it back plus one. If another task runs "
        "between the read and the write, it reads the same value, and one of the two "
        "updates is lost. Coroutines and greenlets switch only where the code lets "
        "them: waiting for a result that is already there does not switch, and nothing "
        "is lost; a zero-second sleep does, in first-in-first-out order, and exactly "
        "the same updates are lost every run. Threads can be switched anywhere, so "
        "their loss is real but its count changes from run to run. The model's lock, "
        "held from the read to the write, loses none in any model. A semaphore "
        "bounds a resource instead: of six users, never more than two hold it at "
        "once, so they take three turns."
    ),
    spec_type=LocksSpec,
    outcome_type=LocksOutcome,
    expect=expect,
    differences=(
        Difference(
            "updates lost with a zero sleep between read and write",
            {
                "asyncio": f"{lost_when_switching(DEFAULT)} of {DEFAULT.total()}, every run: "
                "`await asyncio.sleep(0)` runs every other task first",
                "gevent": f"{lost_when_switching(DEFAULT)} of {DEFAULT.total()}, every run: "
                "`gevent.sleep(0)` runs every other greenlet first",
                "threads": "some, a different number each run: `time.sleep(0)` lets the OS "
                "choose who runs",
            },
            PINNED_BY + "test_lost_with_a_switch",
        ),
        Difference(
            "updates lost waiting for a result already there",
            {
                "asyncio": "none: `await` on a done future does not switch",
                "gevent": "none: `AsyncResult.get()` when ready does not switch",
                "threads": "not promised: a thread can be switched out between any two bytecodes",
            },
            PINNED_BY + "test_lost_without_a_switch",
        ),
    ),
)
