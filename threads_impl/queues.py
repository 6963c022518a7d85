"""queues in threads: a ``queue.Queue(maxsize)``, workers in an executor.

    python -m threads_impl queues

``put()`` blocks the boss's thread while the queue is full; ``put_nowait()``
raises ``queue.Full`` instead. From Python 3.13 ``shutdown()`` lets the
workers empty the queue, then makes ``get()`` raise ``queue.ShutDown``; before
3.13 the boss puts one ``None`` per worker after the last task.
"""

from __future__ import annotations

import queue
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from queue import Full, Queue
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
    SHUT_DOWN = (queue.ShutDown,)


def worker(
    name: str,
    tasks: Queue[int | None],
    seconds: float,
    got: list[tuple[str, int]],
    out: Transcript,
) -> str:
    while True:
        try:
            task = tasks.get()
        except SHUT_DOWN as exc:
            out.say(f"Quitting time for {name}: {exception_name(exc)}")
            return exception_name(exc)
        if task is None:
            out.say(f"Quitting time for {name}: {SENTINEL}")
            return SENTINEL
        out.say(f"Worker {name} got task {task}")
        got.append((name, task))  # list.append is atomic: no lock needed
        time.sleep(seconds)  # the work


def boss(spec: QueuesSpec, tasks: Queue[int | None], out: Transcript) -> None:
    for task in range(1, spec.items + 1):
        tasks.put(task)  # waits here while the queue is full
    out.say("Assigned all work")


def stop_workers(spec: QueuesSpec, tasks: Queue[int | None]) -> None:
    if sys.version_info >= (3, 13):
        tasks.shutdown()  # the workers empty the queue, then get() raises
    else:
        for _ in spec.workers:
            tasks.put(None)  # a sentinel each, after the last task


def full_queue(spec: QueuesSpec) -> dict[str, Any]:
    tasks: Queue[int] = Queue(spec.maxsize)
    for task in range(spec.maxsize):
        tasks.put_nowait(task)
    try:
        tasks.put_nowait(spec.maxsize)
    except Full as exc:
        return {"qsize": tasks.qsize(), "put_nowait": exception_name(exc)}
    raise AssertionError("put_nowait did not raise on a full queue")


def main(spec: QueuesSpec, out: Transcript) -> QueuesOutcome:
    outcome = QueuesOutcome(full=full_queue(spec))
    out.say(f"put_nowait on a full queue of {spec.maxsize}: {outcome.full['put_nowait']}")
    tasks: Queue[int | None] = Queue(spec.maxsize)
    got: list[tuple[str, int]] = []
    began = time.perf_counter()
    with ThreadPoolExecutor(len(spec.workers), thread_name_prefix="queues") as pool:
        workers = {
            name: pool.submit(worker, name, tasks, spec.seconds(spec.work), got, out)
            for name in spec.workers
        }
        boss(spec, tasks, out)
        outcome.timings["assigned"] = time.perf_counter() - began
        stop_workers(spec, tasks)
    outcome.timings["done"] = time.perf_counter() - began
    outcome.stops = {name: future.result() for name, future in workers.items()}
    tally(outcome, got)
    return outcome


def run(spec: QueuesSpec, out: Transcript) -> QueuesOutcome:
    return main(spec, out)
