"""The gevent tutorial's Events: one setter, many waiters, and a value handed over."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.contract import Difference, Expected, Outcome, Scenario, Spec, at_least
from shared.scenarios.timeouts import deadline

#: What a value holder is after a wait on it timed out: untouched, or cancelled.
PENDING, CANCELLED = "pending", "cancelled"


@dataclass(frozen=True, kw_only=True)
class EventsSpec(Spec):
    waiters: int = 5  # the tutorial's five waiters
    set_after: float = 1.2  # when the setter sets the event (the tutorial: 3 s)
    value: str = "Hello!"  # what the tutorial's AsyncResult hands over
    value_after: float = 0.8  # when the setter hands the value over (the tutorial: 1 s)
    # How long the impatient waiter waits for either, far short of both: at the
    # demo's scale 175 ms before the value, more than a busy machine delays a
    # thread's start, so the timeout comes first.
    patience: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.waiters < 1:
            raise ValueError("waiters must be at least 1")
        if not 0 < self.patience <= min(self.set_after, self.value_after) / 2:
            raise ValueError(
                f"patience {self.patience!r} must be positive and at most half of the "
                "setter's delays: closer, who comes first would be a race"
            )


@dataclass(kw_only=True)
class EventsOutcome(Outcome):
    woken: list[int] = field(default_factory=list)  # the waiters the event woke, sorted
    values: list[str] = field(default_factory=list)  # what each waiter got, in waiter order
    # How the impatient waiter's waits ended: {"event": ..., "value": ...}.
    impatient: dict[str, str] = field(default_factory=dict)
    # A value holder nobody sets, after the model's plainest wait on it with a
    # timeout (no shield): PENDING, or CANCELLED for everyone.
    timed_out_holder: str = ""


def raised(exc: BaseException) -> str:
    """How a wait ended that raised ``exc``, in the same words for every model."""
    return f"raised {deadline(exc)['raised']}"


def returned(value: object) -> str:
    """How a wait ended that returned ``value``."""
    return f"returned {value!r}"


#: How a wait with a timeout ends when the timeout comes first, per model.
EVENT_TIMEOUT = {
    "asyncio": "raised TimeoutError",  # asyncio.Event.wait() has no timeout: asyncio.timeout
    "gevent": "returned False",  # Event.wait(timeout)
    "threads": "returned False",  # threading.Event.wait(timeout)
}
VALUE_TIMEOUT = {
    "asyncio": "raised TimeoutError",  # asyncio.timeout around the (shielded) Future
    "gevent": "raised gevent.timeout.Timeout",  # AsyncResult.get(timeout=)
    "threads": "raised TimeoutError",  # Future.result(timeout=)
}
# Cancelling a task that awaits a Future cancels the Future itself.
TIMED_OUT_HOLDER = {"asyncio": CANCELLED, "gevent": PENDING, "threads": PENDING}


def expect(spec: EventsSpec, model: str) -> Expected:
    set_after, value_after = spec.seconds(spec.set_after), spec.seconds(spec.value_after)
    patience = spec.seconds(spec.patience)
    return Expected(
        facts={
            "woken": list(range(1, spec.waiters + 1)),
            "values": [spec.value] * spec.waiters,
            "impatient": {"event": EVENT_TIMEOUT[model], "value": VALUE_TIMEOUT[model]},
            "timed_out_holder": TIMED_OUT_HOLDER[model],
        },
        bounds={
            # Every waiter wakes when the event is set, all at once.
            "event": at_least(set_after, below=2 * set_after),
            "value": at_least(value_after, below=2 * value_after),
            # The impatient one gives up after its timeout, long before the setter.
            "event_timeout": at_least(patience, below=set_after),
            "value_timeout": at_least(patience, below=value_after),
        },
    )


PINNED_BY = "tests/scenarios/test_events.py::"

SCENARIO = Scenario(
    name="events",
    article="tutorial: Events",
    summary="one setter wakes many waiters; a value handed over; waiting with a timeout",
    idea=(
        "Five waiters wait on one event; a setter does its work, then sets the event, "
        "and all five wake at once. Then the setter hands a value over the same way "
        "(gevent's AsyncResult; an asyncio Future; a concurrent.futures Future, set by "
        "hand): every waiter gets it. Meanwhile an impatient waiter waits for each with "
        "a timeout and gives up first. How it gives up differs: threading's and "
        "gevent's Event.wait(timeout) return False, asyncio's Event.wait takes no "
        "timeout, so asyncio.timeout raises TimeoutError; gevent's AsyncResult raises "
        "gevent.Timeout. And in asyncio a wait that times out cancels what it awaits: "
        "around a shared Future, that cancels the Future for every waiter, unless the "
        "wait is shielded. The scenario shields it, and shows the plain wait on a "
        "Future of its own."
    ),
    spec_type=EventsSpec,
    outcome_type=EventsOutcome,
    expect=expect,
    differences=(
        Difference(
            "waiting for an event with a timeout",
            {
                "asyncio": "no timeout parameter: `asyncio.timeout` raises TimeoutError",
                "gevent": "`Event.wait(timeout)` returns False",
                "threads": "`Event.wait(timeout)` returns False",
            },
            PINNED_BY + "test_impatient_waiter",
        ),
        Difference(
            "waiting for a value with a timeout",
            {
                "asyncio": "`asyncio.timeout` around `await shield(future)`: TimeoutError",
                "gevent": "`AsyncResult.get(timeout=)` raises `gevent.Timeout`, a BaseException",
                "threads": "`Future.result(timeout=)` raises TimeoutError",
            },
            PINNED_BY + "test_impatient_waiter",
        ),
        Difference(
            "a timed-out wait on a shared value",
            {
                "asyncio": "cancels the Future for every waiter, unless shielded",
                "gevent": "leaves the AsyncResult as it was",
                "threads": "leaves the Future as it was",
            },
            PINNED_BY + "test_timed_out_holder",
        ),
    ),
)
