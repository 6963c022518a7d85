"""pools in asyncio: no pool, but a ``Semaphore`` in every task.

    python -m asyncio_impl pools

Every request is a task from the start, and the ``Semaphore(limit)`` lets
only ``limit`` of them on the wire: the others wait at it, started. The
TaskGroup's tasks, read in order, are what a pool's ``map`` returns;
``as_completed`` hands the results over as they arrive. The session's
connector keeps its default limit of 100: the semaphore is the only limit.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.pools import Gauges, PoolsOutcome, PoolsSpec, answered, conclude


async def get_events(
    number: int,
    session: aiohttp.ClientSession,
    spec: PoolsSpec,
    slots: asyncio.Semaphore,
    gauges: Gauges,
) -> tuple[int, bool]:
    with gauges.started.inside():
        async with slots:
            with gauges.on_the_wire.inside():
                url = spec.url("/events", delay=spec.delay(number))
                async with session.get(url) as answer:
                    return number, answered(answer.status, await answer.json())


async def map_pass(
    session: aiohttp.ClientSession, spec: PoolsSpec, gauges: Gauges
) -> list[tuple[int, bool]]:
    slots = asyncio.Semaphore(spec.limit)
    async with asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(get_events(number, session, spec, slots, gauges))
            for number in spec.numbers()
        ]
    return [task.result() for task in tasks]  # in the order of the requests


async def unordered_pass(
    session: aiohttp.ClientSession, spec: PoolsSpec, gauges: Gauges
) -> tuple[list[tuple[int, bool]], float]:
    slots = asyncio.Semaphore(spec.limit)
    began = time.perf_counter()
    arrivals: list[tuple[int, bool]] = []
    first = 0.0
    async with asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(get_events(number, session, spec, slots, gauges))
            for number in spec.numbers()
        ]
        for arrival in asyncio.as_completed(tasks):
            arrivals.append(await arrival)
            first = first or time.perf_counter() - began
    return arrivals, first


async def main(spec: PoolsSpec, out: Transcript) -> PoolsOutcome:
    gauges = Gauges()
    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        began = time.perf_counter()
        mapped = await map_pass(session, spec, gauges)
        took = time.perf_counter() - began
        began = time.perf_counter()
        unordered, first = await unordered_pass(session, spec, gauges)
        outcome = conclude(spec, mapped, unordered, gauges, out)
    outcome.timings = {"mapped": took, "first": first, "unordered": time.perf_counter() - began}
    return outcome


def run(spec: PoolsSpec, out: Transcript) -> PoolsOutcome:
    return asyncio.run(main(spec, out))
