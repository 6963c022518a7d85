"""The benchmark workloads in asyncio: tasks, asyncio.Queue and aiohttp.

    python -m asyncio_impl bench switch --size 10000
    python -m asyncio_impl bench spawn --size 10000 --uvloop

What each workload measures, and how, is said once in ``shared.measure.bench.plan``.
Every workload here is a coroutine: the bench runs it in a fresh event loop,
asyncio's own or uvloop's (the ``asyncio+uvloop`` variant), and the timing is
taken inside it, so creating the loop is not part of any figure.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from shared.measure.bench.records import Parked, Pass, Throughput, memory_in_use, tally

# -- spawn --------------------------------------------------------------------


async def nothing() -> None:
    """The trivial task: starts, and is done."""


async def spawn(tasks: int) -> float:
    """Seconds to create, start and finish ``tasks`` trivial tasks."""
    start = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(tasks):
            group.create_task(nothing())
    return time.perf_counter() - start


# -- memory -------------------------------------------------------------------


async def parked(arrived: asyncio.Queue[None], release: asyncio.Event) -> None:
    await arrived.put(None)
    await release.wait()


async def memory(tasks: int) -> Parked:
    """The memory that ``tasks`` tasks take while they all wait on one event."""
    arrived: asyncio.Queue[None] = asyncio.Queue()
    release = asyncio.Event()
    resident, virtual = memory_in_use()
    async with asyncio.TaskGroup() as group:
        for _ in range(tasks):
            group.create_task(parked(arrived, release))
        for _ in range(tasks):
            await arrived.get()
        now_resident, now_virtual = memory_in_use()
        release.set()
    return Parked(tasks, now_resident - resident, now_virtual - virtual)


# -- switch -------------------------------------------------------------------


async def echo(inbox: asyncio.Queue[int], outbox: asyncio.Queue[int], rounds: int) -> None:
    for _ in range(rounds):
        await outbox.put(await inbox.get())


async def switch(rounds: int) -> float:
    """Seconds for ``rounds`` round trips to another task and back, through queues."""
    there: asyncio.Queue[int] = asyncio.Queue()
    back: asyncio.Queue[int] = asyncio.Queue()
    async with asyncio.TaskGroup() as group:
        group.create_task(echo(there, back, rounds))
        start = time.perf_counter()
        for number in range(rounds):
            await there.put(number)
            await back.get()
        seconds = time.perf_counter() - start
    return seconds


# -- fan-out and throughput ---------------------------------------------------


def open_session(connections: int | None) -> aiohttp.ClientSession:
    """A client session with ``connections`` connections at most (None: aiohttp's 100)."""
    if connections is None:
        return aiohttp.ClientSession()
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections))


async def fetch(session: aiohttp.ClientSession, url: str) -> Exception | None:
    """GET ``url``: None when it was answered, else the failure.

    A failure is returned, not raised, so that it is counted and nothing else:
    it does not stop the other requests.
    """
    try:
        async with session.get(url) as answer:
            answer.raise_for_status()
            await answer.read()
    except Exception as failure:
        return failure
    return None


async def fanout(url: str, count: int, tuned: bool, passes: int, deadline: float) -> list[Pass]:
    """``count`` GETs at once, ``passes`` times over the same session (cold, then warm).

    Tuned, the connector allows one connection per request; by default it allows
    100, and the requests above that wait for a free one.
    """
    results = []
    async with open_session(count if tuned else None) as session:
        for _ in range(passes):
            start = time.perf_counter()
            tasks = [asyncio.create_task(fetch(session, url)) for _ in range(count)]
            done, pending = await asyncio.wait(tasks, timeout=deadline)
            wall = time.perf_counter() - start
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
            failures = [task.result() for task in done]
            results.append(Pass(wall, failures.count(None), tally(failures), len(pending)))
            if pending:
                break
    return results


async def keep_fetching(
    session: aiohttp.ClientSession, url: str, until: float
) -> list[Exception | None]:
    outcomes = []
    while time.perf_counter() < until:
        outcomes.append(await fetch(session, url))
    return outcomes


async def throughput(url: str, seconds: float, concurrency: int) -> Throughput:
    """``concurrency`` tasks each doing GETs back to back, for ``seconds``."""
    async with open_session(concurrency) as session:
        start = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            workers = [
                group.create_task(keep_fetching(session, url, start + seconds))
                for _ in range(concurrency)
            ]
        elapsed = time.perf_counter() - start
    outcomes = [outcome for worker in workers for outcome in worker.result()]
    return Throughput(elapsed, outcomes.count(None), tally(outcomes))
