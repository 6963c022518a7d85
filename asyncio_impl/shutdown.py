"""shutdown in asyncio: a loop signal handler that cancels the main task.

    python -m asyncio_impl shutdown
    python -m asyncio_impl shutdown --spec '{"signal": "SIGINT"}'
    python -m asyncio_impl shutdown --spec '{"sender": "outside"}'  # then kill -TERM PID

``loop.add_signal_handler`` runs its callback in the loop, between tasks, not
at whatever line the signal interrupts: cancelling the main task there is
safe. The cancellation reaches the TaskGroup, which cancels every request:
those on the wire close their connections, those waiting for the semaphore
never send. For SIGINT there is nothing to write: ``asyncio.Runner`` (and so
``asyncio.run``) cancels the main task on Ctrl-C the same way, then raises
KeyboardInterrupt once everything is unwound.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import aiohttp

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.shutdown import (
    DONE,
    STOPPED,
    ShutdownOutcome,
    ShutdownSpec,
    interruptible,
    status,
)


async def fetch(
    spec: ShutdownSpec,
    session: aiohttp.ClientSession,
    number: int,
    workers: asyncio.Semaphore,
    states: dict[int, str],
    out: Transcript,
) -> None:
    seconds = spec.seconds(spec.delays[number - 1])
    async with workers:
        states[number] = STOPPED  # unless it gets its answer
        out.say(f"Request {number} sent ({seconds:g} s)")
        async with session.get(spec.url("/events", delay=seconds)) as answer:
            await answer.read()
        states[number] = DONE
        out.say(f"Request {number} answered")


async def warm_up(spec: ShutdownSpec, session: aiohttp.ClientSession) -> None:
    """One request before the clock starts: a first request's costs are not the point."""
    async with session.get(spec.url("/events", delay=0)) as answer:
        await answer.read()


async def main(
    spec: ShutdownSpec, out: Transcript, outcome: ShutdownOutcome, states: dict[int, str]
) -> None:
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()
    assert me is not None
    signum = signal.Signals[spec.signal]
    if signum == signal.SIGTERM:  # SIGINT: asyncio.Runner has a handler of its own

        def on_sigterm() -> None:
            out.say("SIGTERM: cancelling the main task")
            me.cancel()

        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    workers = asyncio.Semaphore(spec.workers)
    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await warm_up(spec, session)
        # The clock starts before the pid is said: a signal sent from outside
        # on that line can then never seem to come early.
        began = time.perf_counter()
        out.say(f"pid {os.getpid()}: {len(spec.delays)} requests, {spec.workers} at a time")
        if spec.sender == "self":
            loop.call_later(spec.seconds(spec.signal_after), os.kill, os.getpid(), signum)
        try:
            async with asyncio.TaskGroup() as tasks:
                for number in range(1, len(spec.delays) + 1):
                    tasks.create_task(fetch(spec, session, number, workers, states, out))
        finally:
            outcome.timings["stopped"] = time.perf_counter() - began


def run(spec: ShutdownSpec, out: Transcript) -> ShutdownOutcome:
    outcome = ShutdownOutcome(met="nothing")
    states: dict[int, str] = {}
    with interruptible(spec), asyncio.Runner() as runner:
        try:
            runner.run(main(spec, out, outcome, states))
        except (asyncio.CancelledError, KeyboardInterrupt) as exc:
            outcome.met = type(exc).__name__
    outcome.requests = status(states, len(spec.delays))
    stopped = outcome.timings["stopped"]
    after = stopped - spec.seconds(spec.signal_after)  # when it was sent, or meant to be
    out.say(f"{outcome.met} in main; stopped at {stopped:.2f} s, {after:.2f} s after the signal")
    for number, state in enumerate(outcome.requests, 1):
        if state != DONE:
            out.say(f"Request {number}: {state}")
    return outcome
