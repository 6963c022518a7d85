"""future_states in asyncio: ``asyncio.Task`` for work, ``asyncio.Future`` by hand.

    python -m asyncio_impl future_states

A task is pending until it is done: asyncio has no ``running()`` query, and a
task that has started and waits looks like one that has not started yet.
``result()`` never blocks (it raises InvalidStateError until the task is done:
one awaits the task instead), and a done-callback is scheduled on the event
loop, never called on the spot. ``cancel()`` works on a running task too: it
raises CancelledError at the await the task is blocked in.
"""

from __future__ import annotations

import asyncio
from typing import Any

from shared.contract import IP, Transcript
from shared.scenarios.future_states import (
    NA,
    OTHER_IP,
    FutureStatesOutcome,
    FutureStatesSpec,
    accepted,
    answer,
    called,
    failure,
    fate,
    noting,
    report,
    waited,
)


class Work:
    """Work that starts, waits until it is released, and notes what happened to it."""

    def __init__(self, *, fail: bool = False) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.trace: list[str] = []
        self.fail = fail

    async def __call__(self) -> str:
        self.started.set()
        try:
            await self.release.wait()
        except BaseException as exc:
            self.trace.append(f"{type(exc).__name__} inside")
            raise
        if self.fail:
            raise failure()
        self.trace.append("runs to the end")
        return IP

    def fate(self) -> str:
        return fate(self.started.is_set(), self.trace)


def row(task: asyncio.Future[Any]) -> dict[str, str]:
    return {
        "done": answer(task.done),
        "running": NA,
        "cancelled": answer(task.cancelled),
        "result": answer(task.result),
        "exception": answer(task.exception),
    }


def who() -> str:
    """Who is calling: a callback run by the loop runs outside any task."""
    return "the event loop" if asyncio.current_task() is None else "a task"


async def states() -> dict[str, dict[str, str]]:
    rows = {}
    work = Work()
    task = asyncio.create_task(work())
    rows["pending"] = row(task)
    await work.started.wait()
    rows["running"] = row(task)
    work.release.set()
    await asyncio.wait([task])
    rows["done with a result"] = row(task)
    failing = Work(fail=True)
    failing.release.set()
    task = asyncio.create_task(failing())
    await asyncio.wait([task])
    rows["done with an exception"] = row(task)
    task = asyncio.create_task(Work()())
    task.cancel()
    await asyncio.wait([task])
    rows["cancelled"] = row(task)
    return rows


async def actions(spec: FutureStatesSpec) -> dict[str, str]:
    done: dict[str, str] = {}

    work = Work()
    task = asyncio.create_task(work())
    await work.started.wait()
    done["result() before done"] = waited(task.result, task.done)
    work.release.set()
    await asyncio.wait([task])

    work = Work()
    task = asyncio.create_task(work())
    returned = answer(task.cancel)
    await asyncio.wait([task])
    done["cancel() a pending one"] = f"{returned}; {work.fate()}"

    work = Work()
    task = asyncio.create_task(work())
    await work.started.wait()
    returned = answer(task.cancel)
    await asyncio.wait([task])
    done["cancel() a running one"] = f"{returned}; {work.fate()}"

    calls: list[str] = []
    work = Work()
    task = asyncio.create_task(work())
    task.add_done_callback(noting(task, calls, who))
    work.release.set()
    await asyncio.wait([task])
    await asyncio.sleep(0)  # the loop runs the callbacks it scheduled
    done["done-callback"] = called(calls)

    calls.clear()
    task.add_done_callback(noting(task, calls, who))
    at_once = bool(calls)
    await asyncio.sleep(0)
    done["done-callback added once done"] = called(calls, at_once)

    future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    future.set_result(IP)
    done["result set by hand"] = f"done: {answer(future.done)}, result: {answer(future.result)}"
    again = accepted(lambda: future.set_result(OTHER_IP))
    done["result set twice"] = f"{again}; result: {answer(future.result)}"
    return done


async def main(spec: FutureStatesSpec) -> FutureStatesOutcome:
    return FutureStatesOutcome(states=await states(), actions=await actions(spec))


def run(spec: FutureStatesSpec, out: Transcript) -> FutureStatesOutcome:
    outcome = asyncio.run(main(spec))
    report(outcome.states, outcome.actions, out)
    return outcome
