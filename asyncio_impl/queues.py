"""queues in asyncio: an ``asyncio.Queue(maxsize)``, workers as tasks.

    python -m asyncio_impl queues

``await put()`` waits while the queue is full; ``put_nowait()`` raises
``asyncio.QueueFull`` instead. From Python 3.13 ``shutdown()`` lets the
workers empty the queue, then makes ``get()`` raise ``QueueShutDown``; before
3.13 the boss puts one ``None`` per worker after the last task.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from shared.contract import Transcript
from shared.scenarios.queues import (
    SENTINEL,
    QueuesOutcome,
    QueuesSpec,
    exception_name,
    tally,
)

# What get() raises once a shut-down queue is empty (3.13+); nothing before.
SHUT_DOWN: tuple[type[Exception], ...] = ()
if sys.version_info >= (3, 13):
    SHUT_DOWN = (asyncio.QueueShutDown,)


async def worker(
    name: str,
    tasks: asyncio.Queue[int | None],
    seconds: float,
    got: list[tuple[str, int]],
    out: Transcript,
) -> str:
    while True:
        try:
            task = await tasks.get()
        except SHUT_DOWN as exc:
            out.say(f"Quitting time for {name}: {exception_name(exc)}")
            return exception_name(exc)
        if task is None:
            out.say(f"Quitting time for {name}: {SENTINEL}")
            return SENTINEL
        out.say(f"Worker {name} got task {task}")
        got.append((name, task))
        await asyncio.sleep(seconds)  # the work


async def boss(spec: QueuesSpec, tasks: asyncio.Queue[int | None], out: Transcript) -> None:
    for task in range(1, spec.items + 1):
        await tasks.put(task)  # waits here while the queue is full
    out.say("Assigned all work")


async def stop_workers(spec: QueuesSpec, tasks: asyncio.Queue[int | None]) -> None:
    if sys.version_info >= (3, 13):
        tasks.shutdown()  # the workers empty the queue, then get() raises
    else:
        for _ in spec.workers:
            await tasks.put(None)  # a sentinel each, after the last task


def full_queue(spec: QueuesSpec) -> dict[str, Any]:
    tasks: asyncio.Queue[int] = asyncio.Queue(spec.maxsize)
    for task in range(spec.maxsize):
        tasks.put_nowait(task)
    try:
        tasks.put_nowait(spec.maxsize)
    except asyncio.QueueFull as exc:
        return {"qsize": tasks.qsize(), "put_nowait": exception_name(exc)}
    raise AssertionError("put_nowait did not raise on a full queue")


async def main(spec: QueuesSpec, out: Transcript) -> QueuesOutcome:
    outcome = QueuesOutcome(full=full_queue(spec))
    out.say(f"put_nowait on a full queue of {spec.maxsize}: {outcome.full['put_nowait']}")
    tasks: asyncio.Queue[int | None] = asyncio.Queue(spec.maxsize)
    got: list[tuple[str, int]] = []
    began = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        workers = {
            name: group.create_task(worker(name, tasks, spec.seconds(spec.work), got, out))
            for name in spec.workers
        }
        await boss(spec, tasks, out)
        outcome.timings["assigned"] = time.perf_counter() - began
        await stop_workers(spec, tasks)
    outcome.timings["done"] = time.perf_counter() - began
    outcome.stops = {name: task.result() for name, task in workers.items()}
    tally(outcome, got)
    return outcome


def run(spec: QueuesSpec, out: Transcript) -> QueuesOutcome:
    return asyncio.run(main(spec, out))
