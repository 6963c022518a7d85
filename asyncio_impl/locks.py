"""locks in asyncio: tasks switch only at an ``await`` that suspends.

    python -m asyncio_impl locks

``await`` on a future that is already done returns at once, without going
back to the event loop, so no other task can run there. ``await
asyncio.sleep(0)`` always goes back, and the loop runs the ready tasks in the
order they became ready: the same updates are lost every run.
``asyncio.Lock`` and ``asyncio.Semaphore`` serve the tasks of one event loop;
they are not for threads.
"""

from __future__ import annotations

import asyncio
import time

from shared.contract import Transcript
from shared.scenarios.locks import WAYS, LocksOutcome, LocksSpec


class Counter:
    """The state every task updates, the lock that guards it, and a result already there."""

    def __init__(self) -> None:
        self.value = 0
        self.lock = asyncio.Lock()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ready.set_result(None)


class Holders:
    """Who holds the bounded resource: how many now, and the most at once."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    def enter(self) -> int:
        self.now += 1  # no await from here to the return: no other task runs meanwhile
        self.peak = max(self.peak, self.now)
        return self.now

    def leave(self) -> None:
        self.now -= 1


async def update(way: str, counter: Counter) -> None:
    """Add one to the counter: read it, pass the yield point, write it back."""
    if way == "locked":
        async with counter.lock:
            value = counter.value
            await asyncio.sleep(0)
            counter.value = value + 1
        return
    value = counter.value
    if way == "ready":
        await counter.ready  # done already: carries on without a switch
    else:
        await asyncio.sleep(0)  # back to the event loop: every other ready task runs first
    counter.value = value + 1


async def updater(way: str, updates: int, counter: Counter) -> None:
    for _ in range(updates):
        await update(way, counter)
        await asyncio.sleep(0)  # the others' turn, between two updates


async def count(way: str, spec: LocksSpec, out: Transcript) -> int:
    """How many updates the tasks lose, updating the counter ``way``."""
    counter = Counter()
    async with asyncio.TaskGroup() as tasks:
        for _ in range(spec.tasks):
            tasks.create_task(updater(way, spec.updates, counter))
    lost = spec.total() - counter.value
    out.say(f"{way}: the counter at {counter.value} of {spec.total()}, {lost} lost")
    return lost


async def user(name: int, seconds: float, semaphore: asyncio.Semaphore, holders: Holders,
               out: Transcript) -> None:  # fmt: skip
    async with semaphore:
        out.say(f"User {name} acquired the semaphore, {holders.enter()} holding it")
        await asyncio.sleep(seconds)
        holders.leave()
        out.say(f"User {name} released the semaphore")


async def main(spec: LocksSpec, out: Transcript, outcome: LocksOutcome) -> None:
    for way in WAYS:
        outcome.lost[way] = await count(way, spec, out)
    semaphore, holders = asyncio.Semaphore(spec.bound), Holders()
    began = time.perf_counter()
    async with asyncio.TaskGroup() as tasks:
        for name in range(spec.users):
            tasks.create_task(user(name, spec.seconds(spec.hold), semaphore, holders, out))
    outcome.timings["semaphore"] = time.perf_counter() - began
    outcome.peak = holders.peak


def run(spec: LocksSpec, out: Transcript) -> LocksOutcome:
    outcome = LocksOutcome(preemptive=False)
    asyncio.run(main(spec, out, outcome))
    return outcome
