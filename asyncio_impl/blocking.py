"""blocking in asyncio: ``time.sleep`` in a coroutine, ``asyncio.to_thread``, debug mode.

    python -m asyncio_impl blocking
    python -m asyncio_impl blocking --spec '{"block": 2}'

A coroutine runs until its next await: whatever it calls in between holds
the event loop, and every other task waits. ``asyncio.to_thread`` runs the
call in the loop's default thread pool and awaits its end, so the loop goes
on. In debug mode (``asyncio.run(debug=True)``, or ``PYTHONASYNCIODEBUG=1``)
the loop times every step of every task and logs, through the ``asyncio``
logger, each one slower than ``loop.slow_callback_duration``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable

from shared.contract import Transcript
from shared.scenarios.blocking import (
    DETECTOR,
    LIBRARY,
    OFFLOADED,
    SLEEP,
    BlockingOutcome,
    BlockingSpec,
)


async def tick(seconds: float, gaps: list[float]) -> None:
    last = time.perf_counter()
    while True:
        await asyncio.sleep(seconds)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


async def step(spec: BlockingSpec, call: Callable[[], Awaitable[None]]) -> float:
    """The ticker's longest gap while ``call`` runs between two ticks."""
    gaps: list[float] = []
    async with asyncio.TaskGroup() as tasks:
        ticker = tasks.create_task(tick(spec.seconds(spec.tick), gaps))
        await asyncio.sleep(spec.seconds(spec.tick))
        await call()
        await asyncio.sleep(spec.seconds(spec.tick))
        ticker.cancel()
    return max(gaps)


class Reports(logging.Handler):
    """Keeps what the ``asyncio`` logger says, with the step it was said in."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.step = ""
        self.said: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        # In debug mode a task's repr carries where it was created: shorten it.
        said = re.sub(r"<Task .*>", "<Task ...>", record.getMessage().splitlines()[0])
        self.said.append((self.step, said))


async def main(spec: BlockingSpec, out: Transcript, outcome: BlockingOutcome) -> None:
    seconds = spec.seconds(spec.block)
    # Debug mode reports any step of a task slower than this.
    asyncio.get_running_loop().slow_callback_duration = spec.seconds(spec.threshold())

    async def sleep() -> None:
        time.sleep(seconds)  # noqa: ASYNC251 - the point: it blocks the loop

    async def offloaded() -> None:
        await asyncio.to_thread(time.sleep, seconds)

    # In a coroutine, time.sleep is the library's own wait: nothing patches it.
    calls = {SLEEP: sleep, LIBRARY: sleep, OFFLOADED: offloaded}
    reports = Reports()
    logger = logging.getLogger("asyncio")
    logger.addHandler(reports)  # instead of the last-resort printing to stderr
    try:
        for name, call in calls.items():
            reports.step = name
            gap = await step(spec, call)
            outcome.timings[f"gap {name}"] = gap
            outcome.stalled[name] = gap > spec.seconds(spec.threshold())
            out.say(f"{name} for {seconds:g} s: the ticker's longest gap {gap:.3f} s")
        reports.step = ""
    finally:
        # Debug mode off before the handler goes: on a busy machine, any
        # later slow step would be printed on stderr by logging's last resort.
        asyncio.get_running_loop().set_debug(False)
        logger.removeHandler(reports)
    for name, said in reports.said:
        outcome.reports.append(f"{name or 'between steps'}: {said}")
        out.say(f"{DETECTOR['asyncio']}, during {name or 'no step'}: {said}")
    outcome.caught = {
        name: any(when == name for when, _ in reports.said)
        for name, stalled in outcome.stalled.items()
        if stalled
    }


def run(spec: BlockingSpec, out: Transcript) -> BlockingOutcome:
    outcome = BlockingOutcome(detector=DETECTOR["asyncio"])
    asyncio.run(main(spec, out, outcome), debug=True)
    return outcome
