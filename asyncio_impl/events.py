"""events in asyncio: an ``asyncio.Event``, then a Future handed over.

    python -m asyncio_impl events

``asyncio.Event.wait()`` takes no timeout: ``asyncio.timeout`` bounds it and
raises ``TimeoutError``. The value is a Future of the running loop, set with
``set_result``. A task that times out while it awaits a Future cancels that
Future, for every other waiter too: the impatient waiter awaits
``asyncio.shield(future)``, which it may cancel alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from shared.contract import Transcript
from shared.scenarios.events import (
    CANCELLED,
    PENDING,
    EventsOutcome,
    EventsSpec,
    raised,
    returned,
)


async def set_event(event: asyncio.Event, seconds: float, out: Transcript) -> None:
    out.say("A: Hey wait for me, I have to do something")
    await asyncio.sleep(seconds)
    out.say("Ok, I'm done")
    event.set()


async def wait_event(number: int, event: asyncio.Event, out: Transcript) -> int:
    out.say(f"Waiter {number}: I'll wait for you")
    await event.wait()
    out.say(f"Waiter {number}: It's about time")
    return number


async def wait_event_impatiently(
    event: asyncio.Event, seconds: float, out: Transcript
) -> tuple[str, float]:
    began = time.perf_counter()
    try:
        async with asyncio.timeout(seconds):
            ended = returned(await event.wait())
    except TimeoutError as exc:
        ended = raised(exc)
    out.say(f"Impatient: tired of waiting for the event: {ended}")
    return ended, time.perf_counter() - began


async def hand_over(
    holder: asyncio.Future[str], value: str, seconds: float, out: Transcript
) -> None:
    await asyncio.sleep(seconds)
    out.say(f"Handing over {value!r}")
    holder.set_result(value)


async def wait_value(number: int, holder: asyncio.Future[str], out: Transcript) -> str:
    value = await holder
    out.say(f"Waiter {number} got {value!r}")
    return value


async def wait_value_impatiently(
    holder: asyncio.Future[str], seconds: float, out: Transcript
) -> tuple[str, float]:
    began = time.perf_counter()
    try:
        async with asyncio.timeout(seconds):
            # Shielded: the timeout cancels the shield, not the Future the others await.
            ended = returned(await asyncio.shield(holder))
    except TimeoutError as exc:
        ended = raised(exc)
    out.say(f"Impatient: tired of waiting for the value: {ended}")
    return ended, time.perf_counter() - began


async def time_out_on_a_holder(seconds: float, out: Transcript) -> str:
    holder: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await holder  # no shield: the timeout cancels the Future itself
    state = CANCELLED if holder.cancelled() else PENDING
    out.say(f"A Future waited for with a timeout, unshielded, is now {state}")
    return state


async def main(spec: EventsSpec, out: Transcript) -> EventsOutcome:
    outcome = EventsOutcome()
    patience = spec.seconds(spec.patience)
    event = asyncio.Event()
    began = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        group.create_task(set_event(event, spec.seconds(spec.set_after), out))
        woken = [group.create_task(wait_event(n, event, out)) for n in range(1, spec.waiters + 1)]
        impatient = group.create_task(wait_event_impatiently(event, patience, out))
    outcome.timings["event"] = time.perf_counter() - began
    outcome.woken = sorted(task.result() for task in woken)
    outcome.impatient["event"], outcome.timings["event_timeout"] = impatient.result()

    holder: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    began = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        group.create_task(hand_over(holder, spec.value, spec.seconds(spec.value_after), out))
        values = [group.create_task(wait_value(n, holder, out)) for n in range(1, spec.waiters + 1)]
        impatient = group.create_task(wait_value_impatiently(holder, patience, out))
        timed_out = group.create_task(time_out_on_a_holder(patience, out))
    outcome.timings["value"] = time.perf_counter() - began
    outcome.values = [task.result() for task in values]
    outcome.impatient["value"], outcome.timings["value_timeout"] = impatient.result()
    outcome.timed_out_holder = timed_out.result()
    return outcome


def run(spec: EventsSpec, out: Transcript) -> EventsOutcome:
    return asyncio.run(main(spec, out))
