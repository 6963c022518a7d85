"""The gevent tutorial's Queues: a boss hands tasks to workers through a bounded queue."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any

from shared.contract import MODELS, Difference, Expected, Outcome, Scenario, Spec, at_least

#: How a worker learnt that the work was over, when it was not an exception.
SENTINEL = "sentinel"

#: Whether this Python's asyncio.Queue and queue.Queue have ``shutdown()`` (3.13+).
#: gevent's queue has had one on every Python since gevent 24.10.1.
HAS_SHUTDOWN = sys.version_info >= (3, 13)

#: Where a queue exception is defined -> where its users import it from.
PUBLIC = {"asyncio.queues": "asyncio", "gevent._gevent_cqueue": "gevent.queue"}


@dataclass(frozen=True, kw_only=True)
class QueuesSpec(Spec):
    items: int = 12  # tasks the boss hands out
    maxsize: int = 3  # the tutorial's Queue(maxsize=3)
    workers: tuple[str, ...] = ("steve", "john", "bob")  # the tutorial's workers
    # Seconds a task keeps its worker busy; the tutorial's workers only yield
    # (sleep(0)), but with no work at all the backpressure could not be timed.
    work: float = 0.28

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.items < 1 or self.maxsize < 1:
            raise ValueError("items and maxsize must be at least 1")
        if not self.workers or len(set(self.workers)) != len(self.workers):
            raise ValueError(f"workers must be distinct names, at least one: {self.workers!r}")
        if self.work <= 0:
            raise ValueError(f"work must be a positive number of seconds, not {self.work!r}")

    def rounds(self, tasks: int) -> int:
        """How many tasks in a row the busiest worker does, when ``tasks`` are shared out."""
        return math.ceil(tasks / len(self.workers))


@dataclass(kw_only=True)
class QueuesOutcome(Outcome):
    handled: list[int] = field(default_factory=list)  # every task a worker got, sorted
    # Whether each worker got its tasks in the order they were put: a FIFO queue.
    in_order: bool = False
    # A queue of maxsize filled without consumers: {"qsize": ..., "put_nowait": what it raised}.
    full: dict[str, Any] = field(default_factory=dict)
    stops: dict[str, str] = field(default_factory=dict)  # worker -> what told it to stop


def exception_name(exc: BaseException) -> str:
    """An exception's class by the name its users import it by: ``queue.Full``, ..."""
    kind = type(exc)
    module = PUBLIC.get(kind.__module__, kind.__module__)
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def tally(outcome: QueuesOutcome, got: list[tuple[str, int]]) -> None:
    """Note the ``(worker, task)`` pairs, in the order the workers got them."""
    outcome.handled = sorted(task for _, task in got)
    by_worker = [[task for name, task in got if name == worker] for worker in dict(got)]
    outcome.in_order = all(tasks == sorted(tasks) for tasks in by_worker)


#: What ``put_nowait`` raises on a full queue. gevent's queue raises the
#: standard library's own ``queue.Full``.
FULL = {"asyncio": "asyncio.QueueFull", "gevent": "queue.Full", "threads": "queue.Full"}


def stop_signal(model: str, *, shutdown: bool = HAS_SHUTDOWN) -> str:
    """How ``model``'s workers are told to stop: ``shutdown()``'s exception, or a sentinel."""
    if model == "gevent":
        # gevent's own ShutDown below 3.13, the standard library's from 3.13 on.
        return "queue.ShutDown" if shutdown else "gevent.queue.ShutDown"
    if not shutdown:
        return SENTINEL
    return {"asyncio": "asyncio.QueueShutDown", "threads": "queue.ShutDown"}[model]


def expect(spec: QueuesSpec, model: str) -> Expected:
    work = spec.seconds(spec.work)
    # The boss's last put fits once task (items - maxsize) is taken, which the
    # busiest worker can only take after finishing its earlier ones.
    waits = (spec.rounds(spec.items - spec.maxsize) - 1) * work if spec.items > spec.maxsize else 0
    together, one_by_one = spec.rounds(spec.items) * work, spec.items * work
    return Expected(
        facts={
            "handled": list(range(1, spec.items + 1)),
            "in_order": True,
            "full": {"qsize": spec.maxsize, "put_nowait": FULL[model]},
            "stops": dict.fromkeys(spec.workers, stop_signal(model)),
        },
        bounds={
            # Backpressure: the boss waits at maxsize, so it is done assigning
            # only once the workers have made room; never after they are through.
            "assigned": at_least(waits, below=together),
            # The workers share the tasks: about the busiest one's share.
            "done": at_least(together, below=(together + one_by_one) / 2),
        },
    )


PINNED_BY = "tests/scenarios/test_queues.py::"

SCENARIO = Scenario(
    name="queues",
    article="tutorial: Queues",
    summary="a boss and workers through a bounded queue: backpressure, a full queue, the end",
    idea=(
        "A boss puts twelve tasks in a queue that holds three; three workers take "
        "them out one at a time and spend a while on each. The boss cannot run ahead: "
        "at maxsize its put waits until a worker makes room, so it is done assigning "
        "only when the last tasks fit, well after it started. put_nowait on a full "
        "queue does not wait: it raises. Once all is assigned, the workers must be "
        "told to stop. From Python 3.13 asyncio's and the standard library's queues "
        "have shutdown(): the workers finish what is queued, then get() raises. Before "
        "3.13 the boss puts one sentinel per worker. gevent's queue has had "
        "shutdown() on every Python for a while."
    ),
    spec_type=QueuesSpec,
    outcome_type=QueuesOutcome,
    expect=expect,
    differences=(
        Difference(
            "`put_nowait()` on a full queue raises",
            {model: f"`{FULL[model]}`" for model in MODELS},
            PINNED_BY + "test_put_nowait_on_a_full_queue",
        ),
        Difference(
            "telling the workers to stop",
            {
                "asyncio": "3.13+: `shutdown()`, `get()` raises `asyncio.QueueShutDown`; "
                "before: a sentinel per worker",
                "gevent": "`shutdown()` on every Python: `get()` raises `gevent.queue.ShutDown` "
                "(3.13+: `queue.ShutDown`)",
                "threads": "3.13+: `shutdown()`, `get()` raises `queue.ShutDown`; "
                "before: a sentinel per worker",
            },
            PINNED_BY + "test_how_workers_stop",
        ),
    ),
)
