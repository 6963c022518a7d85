"""events in threads: a ``threading.Event``, then a ``Future`` set by hand.

    python -m threads_impl events

``Event.wait(timeout)`` returns False when the timeout comes first. The value
travels in a Future made by hand, the way an executor makes them, and set
with ``set_result``; ``result(timeout=)`` raises ``TimeoutError`` and leaves
the Future as it was: the other waiters still get the value. Each waiter and
setter has a worker of its own, so that none waits for a free one.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import Future, ThreadPoolExecutor
from threading import Event

from shared.contract import Transcript
from shared.scenarios.events import (
    CANCELLED,
    PENDING,
    EventsOutcome,
    EventsSpec,
    raised,
    returned,
)


def set_event(event: Event, seconds: float, out: Transcript) -> None:
    out.say("A: Hey wait for me, I have to do something")
    time.sleep(seconds)
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


def hand_over(holder: Future[str], value: str, seconds: float, out: Transcript) -> None:
    time.sleep(seconds)
    out.say(f"Handing over {value!r}")
    holder.set_result(value)


def wait_value(number: int, holder: Future[str], out: Transcript) -> str:
    value = holder.result()
    out.say(f"Waiter {number} got {value!r}")
    return value


def wait_value_impatiently(
    holder: Future[str], seconds: float, out: Transcript
) -> tuple[str, float]:
    began = time.perf_counter()
    try:
        ended = returned(holder.result(timeout=seconds))
    except TimeoutError as exc:
        ended = raised(exc)
    out.say(f"Impatient: tired of waiting for the value: {ended}")
    return ended, time.perf_counter() - began


def time_out_on_a_holder(seconds: float, out: Transcript) -> str:
    holder: Future[str] = Future()
    with contextlib.suppress(TimeoutError):
        holder.result(timeout=seconds)
    state = CANCELLED if holder.cancelled() else PENDING
    out.say(f"A Future waited for with a timeout is now {state}")
    return state


def main(spec: EventsSpec, out: Transcript) -> EventsOutcome:
    outcome = EventsOutcome()
    patience = spec.seconds(spec.patience)
    event = Event()
    began = time.perf_counter()
    with ThreadPoolExecutor(spec.waiters + 2, thread_name_prefix="events") as pool:
        pool.submit(set_event, event, spec.seconds(spec.set_after), out)
        woken = [pool.submit(wait_event, n, event, out) for n in range(1, spec.waiters + 1)]
        impatient = pool.submit(wait_event_impatiently, event, patience, out)
    outcome.timings["event"] = time.perf_counter() - began
    outcome.woken = sorted(future.result() for future in woken)
    outcome.impatient["event"], outcome.timings["event_timeout"] = impatient.result()

    holder: Future[str] = Future()
    began = time.perf_counter()
    with ThreadPoolExecutor(spec.waiters + 3, thread_name_prefix="events") as pool:
        pool.submit(hand_over, holder, spec.value, spec.seconds(spec.value_after), out)
        values = [pool.submit(wait_value, n, holder, out) for n in range(1, spec.waiters + 1)]
        impatient = pool.submit(wait_value_impatiently, holder, patience, out)
        timed_out = pool.submit(time_out_on_a_holder, patience, out)
    outcome.timings["value"] = time.perf_counter() - began
    outcome.values = [future.result() for future in values]
    outcome.impatient["value"], outcome.timings["value_timeout"] = impatient.result()
    outcome.timed_out_holder = timed_out.result()
    return outcome


def run(spec: EventsSpec, out: Transcript) -> EventsOutcome:
    return main(spec, out)
