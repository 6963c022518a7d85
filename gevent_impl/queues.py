"""queues in gevent: a ``gevent.queue.Queue(maxsize)``, workers as greenlets.

    python -m gevent_impl queues

``put()`` blocks the boss's greenlet while the queue is full; ``put_nowait()``
raises the standard library's own ``queue.Full``. gevent's queue has
``shutdown()`` on every Python (since gevent 24.10.1): the workers empty the
queue, then ``get()`` raises ``gevent.queue.ShutDown``, which is
``queue.ShutDown`` itself from Python 3.13 on. No sentinels needed.
"""

from __future__ import annotations

import time
from typing import Any

import gevent
from gevent.queue import Full, Queue, ShutDown

from shared.contract import Transcript
from shared.scenarios.queues import (
    SENTINEL,
    QueuesOutcome,
    QueuesSpec,
    exception_name,
    tally,
)

# What get() raises once a shut-down queue is empty, on every Python.
SHUT_DOWN: tuple[type[Exception], ...] = (ShutDown,)


def worker(
    name: str,
    tasks: Queue,
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
        got.append((name, task))
        gevent.sleep(seconds)  # the work


def boss(spec: QueuesSpec, tasks: Queue, out: Transcript) -> None:
    for task in range(1, spec.items + 1):
        tasks.put(task)  # waits here while the queue is full
    out.say("Assigned all work")


def stop_workers(spec: QueuesSpec, tasks: Queue) -> None:
    tasks.shutdown()  # the workers empty the queue, then get() raises


def full_queue(spec: QueuesSpec) -> dict[str, Any]:
    tasks = Queue(spec.maxsize)
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
    tasks = Queue(spec.maxsize)
    got: list[tuple[str, int]] = []
    began = time.perf_counter()
    workers = {
        name: gevent.spawn(worker, name, tasks, spec.seconds(spec.work), got, out)
        for name in spec.workers
    }
    boss(spec, tasks, out)
    outcome.timings["assigned"] = time.perf_counter() - began
    stop_workers(spec, tasks)
    gevent.joinall(workers.values(), raise_error=True)
    outcome.timings["done"] = time.perf_counter() - began
    outcome.stops = {name: greenlet.get() for name, greenlet in workers.items()}
    tally(outcome, got)
    return outcome


def run(spec: QueuesSpec, out: Transcript) -> QueuesOutcome:
    return main(spec, out)
