"""The gevent tutorial's Groups and Pools: twenty GETs, at most five at once."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from shared.contract import (
    EVENTS,
    Difference,
    Expected,
    HttpSpec,
    Outcome,
    Scenario,
    Transcript,
    at_least,
)


@dataclass(frozen=True, kw_only=True)
class PoolsSpec(HttpSpec):
    requests: int = 20
    limit: int = 5  # the most requests on the wire at once
    # Request 1 answers slowly. The others started with it answer in well under
    # half its time, and long enough that they are surely all on the wire at
    # once with it, even on a busy machine: the limit is reached. The rest are
    # quick. (Which of those come back before request 1 depends on how fast the
    # machine turns requests round: not compared.)
    slow: float = 1.0
    alongside: float = 0.3
    quick: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 2 <= self.limit < self.requests:
            raise ValueError(
                f"limit must be at least 2 and below requests ({self.requests}), "
                f"not {self.limit}: otherwise nothing waits for a slot"
            )
        if min(self.alongside, self.quick) <= 0 or self.slow < 2 * self.alongside:
            raise ValueError(
                f"slow must be at least twice alongside (not {self.slow!r} and "
                f"{self.alongside!r}): closer, which comes back first would be a race; "
                "alongside and quick must be positive"
            )

    def delay(self, number: int) -> float:
        """Request ``number``'s response time, in seconds at the spec's scale."""
        if number == 1:
            return self.seconds(self.slow)
        return self.seconds(self.alongside if number <= self.limit else self.quick)

    def numbers(self) -> list[int]:
        return list(range(1, self.requests + 1))


@dataclass(kw_only=True)
class PoolsOutcome(Outcome):
    mapped: list[int] = field(default_factory=list)  # request numbers as map() returned them
    # Request numbers as they came back unordered: reported, not compared, since
    # the quick ones that finish together come in any order.
    unordered: list[int] = field(default_factory=list)
    # Whether, unordered, the slow request 1 was overtaken: map() returns it first.
    # (By which others depends on how fast the machine starts threads: not compared.)
    slow_overtaken: bool = False
    answered: int = 0  # answers with status 200 and the events, over both passes
    on_the_wire: int = 0  # the most requests on the wire at once, counted by the client
    started: int = 0  # the most calls started and not finished at once, slot or not

    def facts(self) -> dict[str, Any]:
        facts = super().facts()
        del facts["unordered"]
        return facts


class Gauge:
    """How many are inside at once, and the most there ever were; safe in threads."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def inside(self) -> Iterator[None]:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            yield
        finally:
            with self._lock:
                self.now -= 1


@dataclass
class Gauges:
    """What a run counts as it goes, over both passes."""

    started: Gauge = field(default_factory=Gauge)  # calls started, waiting for a slot or not
    on_the_wire: Gauge = field(default_factory=Gauge)  # calls with a slot, on the wire


def conclude(
    spec: PoolsSpec,
    mapped: list[tuple[int, bool]],
    unordered: list[tuple[int, bool]],
    gauges: Gauges,
    out: Transcript,
) -> PoolsOutcome:
    """The outcome of both passes, each a list of ``(number, answered)``; prints them."""
    for title, results in (("Ordered", mapped), ("Unordered", unordered)):
        out.say(f"{title}: " + " ".join(str(number) for number, _ in results))
    out.say(f"Most on the wire at once: {gauges.on_the_wire.most}")
    out.say(f"Most calls started at once: {gauges.started.most}")
    order = [number for number, _ in unordered]
    return PoolsOutcome(
        mapped=[number for number, _ in mapped],
        unordered=order,
        slow_overtaken=order[0] != 1,
        answered=sum(ok for _, ok in mapped + unordered),
        on_the_wire=gauges.on_the_wire.most,
        started=gauges.started.most,
    )


def answered(status: int, body: Any) -> bool:
    """Whether an answer is the events service's."""
    return status == 200 and body == list(EVENTS)


def expect(spec: PoolsSpec, model: str) -> Expected:
    slow, alongside = spec.seconds(spec.slow), spec.seconds(spec.alongside)
    one_by_one = sum(spec.delay(number) for number in spec.numbers())
    return Expected(
        facts={
            "mapped": spec.numbers(),
            "slow_overtaken": True,
            "answered": 2 * spec.requests,
            "on_the_wire": spec.limit,
            # asyncio starts a task per request, and those beyond the limit wait
            # at the semaphore; a gevent pool spawns a greenlet only when one of
            # its own is free; an executor queues the calls for its threads.
            "started": spec.requests if model == "asyncio" else spec.limit,
        },
        # The upper bounds only catch a stall: that the requests overlap is shown
        # by the counts, not the clock. Forty GETs cost the client CPU that no
        # pool overlaps (gevent spends it all in one thread), and on a loaded
        # machine that cost alone can take a pass past the delays' sum.
        bounds={
            # map() hands the results over once all are in, in order: after the slow one.
            "mapped": at_least(slow, below=2 * one_by_one),
            # Unordered, the first result comes once the first wave's quicker ones do.
            "first": at_least(alongside, below=2 * one_by_one),
            "unordered": at_least(slow, below=2 * one_by_one),
        },
    )


PINNED_BY = "tests/scenarios/test_pools.py::"

SCENARIO = Scenario(
    name="pools",
    article="tutorial: Groups and Pools",
    summary="twenty GETs, five at a time; map() in order, unordered as they come",
    idea=(
        "Twenty requests to the events service, at most five on the wire at once: "
        "the service's own count of requests in flight peaks at exactly five. "
        "Request 1 is slow, the four started with it quicker, the rest quicker still. "
        "Mapped over the pool, the results come back in the order of the requests, "
        "all at once after the slow one; taken unordered (gevent's imap_unordered, "
        "as_completed in the others), they come as they are ready, and the quicker "
        "ones overtake the slow one. asyncio has "
        "no pool: a Semaphore bounds the requests, but every task starts at once "
        "and waits for its turn; gevent's pool and the thread pool start only as "
        "many as they have room for and queue the rest."
    ),
    spec_type=PoolsSpec,
    outcome_type=PoolsOutcome,
    expect=expect,
    differences=(
        Difference(
            "a pool of five",
            {
                "asyncio": "no pool: a `Semaphore(5)` in each task of a TaskGroup",
                "gevent": "`gevent.pool.Pool(5)`: `map`, `imap_unordered`",
                "threads": "`ThreadPoolExecutor(5)`: `map`, `as_completed` on `submit`'s futures",
            },
            PINNED_BY + "test_at_most_five_on_the_wire",
        ),
        Difference(
            "calls waiting for a slot",
            {
                "asyncio": "started: all 20 tasks run, 15 wait at the Semaphore",
                "gevent": "not started: `Pool.map` spawns a greenlet when one of 5 is free",
                "threads": "not started: queued in the executor for its 5 threads",
            },
            PINNED_BY + "test_calls_waiting_for_a_slot",
        ),
    ),
)
