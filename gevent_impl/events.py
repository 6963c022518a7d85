"""events in gevent: an ``Event``, then an ``AsyncResult``, in greenlets.

    python -m gevent_impl events

The tutorial's own tools. ``Event.wait(timeout)`` returns False when the
timeout comes first; ``AsyncResult.get(timeout=)`` raises ``gevent.Timeout``,
a BaseException. A wait that times out leaves the AsyncResult as it was: the
other waiters still get the value.
"""

from __future__ import annotations

import contextlib
import time

import gevent
from gevent.event import AsyncResult, Event

from shared.contract import Transcript
from shared.scenarios.events import (
    PENDING,
    EventsOutcome,
    EventsSpec,
    raised,
    returned,
)


def set_event(event: Event, seconds: float, out: Transcript) -> None:
    out.say("A: Hey wait for me, I have to do something")
    gevent.sleep(seconds)
    out.say("Ok, I'm done")
    event.set()


def wait_event(number: int, event: Event, out: Transcript) -> int:
    out.say(f"Waiter {number}: I'll wait for you")
    event.wait()
    out.say(f"Waiter {number}: It's about time")
    return number


def wait_event_impatiently(event: Event, seconds: float, out: Transcript) -> tuple[str, float]:
    began = time.perf_counter()
    ended = returned(event.wait(seconds))
    out.say(f"Impatient: tired of waiting for the event: {ended}")
    return ended, time.perf_counter() - began


def hand_over(holder: AsyncResult, value: str, seconds: float, out: Transcript) -> None:
    gevent.sleep(seconds)
    out.say(f"Handing over {value!r}")
    holder.set(value)


def wait_value(number: int, holder: AsyncResult, out: Transcript) -> str:
    value: str = holder.get()
    out.say(f"Waiter {number} got {value!r}")
    return value


def wait_value_impatiently(
    holder: AsyncResult, seconds: float, out: Transcript
) -> tuple[str, float]:
    began = time.perf_counter()
    try:
        ended = returned(holder.get(timeout=seconds))
    except gevent.Timeout as exc:  # a BaseException: ``except Exception`` would miss it
        ended = raised(exc)
    out.say(f"Impatient: tired of waiting for the value: {ended}")
    return ended, time.perf_counter() - began


def time_out_on_a_holder(seconds: float, out: Transcript) -> str:
    holder = AsyncResult()
    with contextlib.suppress(gevent.Timeout):
        holder.get(timeout=seconds)
    # An AsyncResult cannot be cancelled: a timed-out wait leaves it unset.
    state = "ready" if holder.ready() else PENDING
    out.say(f"An AsyncResult waited for with a timeout is now {state}")
    return state


def main(spec: EventsSpec, out: Transcript) -> EventsOutcome:
    outcome = EventsOutcome()
    patience = spec.seconds(spec.patience)
    event = Event()
    began = time.perf_counter()
    setter = gevent.spawn(set_event, event, spec.seconds(spec.set_after), out)
    woken = [gevent.spawn(wait_event, n, event, out) for n in range(1, spec.waiters + 1)]
    impatient = gevent.spawn(wait_event_impatiently, event, patience, out)
    gevent.joinall([setter, *woken, impatient], raise_error=True)
    outcome.timings["event"] = time.perf_counter() - began
    outcome.woken = sorted(greenlet.get() for greenlet in woken)
    outcome.impatient["event"], outcome.timings["event_timeout"] = impatient.get()

    holder = AsyncResult()
    began = time.perf_counter()
    setter = gevent.spawn(hand_over, holder, spec.value, spec.seconds(spec.value_after), out)
    values = [gevent.spawn(wait_value, n, holder, out) for n in range(1, spec.waiters + 1)]
    impatient = gevent.spawn(wait_value_impatiently, holder, patience, out)
    timed_out = gevent.spawn(time_out_on_a_holder, patience, out)
    gevent.joinall([setter, *values, impatient, timed_out], raise_error=True)
    outcome.timings["value"] = time.perf_counter() - began
    outcome.values = [greenlet.get() for greenlet in values]
    outcome.impatient["value"], outcome.timings["value_timeout"] = impatient.get()
    outcome.timed_out_holder = timed_out.get()
    return outcome


def run(spec: EventsSpec, out: Transcript) -> EventsOutcome:
    return main(spec, out)
