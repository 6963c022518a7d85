"""ordering in asyncio: each task is a coroutine that awaits its own sleep.

python -m asyncio_impl ordering
"""

from __future__ import annotations

import asyncio
import time

from shared.contract import Transcript
from shared.scenarios import baseline
from shared.scenarios.ordering import OrderingOutcome, OrderingSpec


async def task(pid: int, seconds: float, out: Transcript, finished: list[int]) -> None:
    await asyncio.sleep(seconds)
    out.say(f"Task {pid} done")
    finished.append(pid)


async def main(spec: OrderingSpec, out: Transcript, finished: list[int]) -> None:
    out.say("Asynchronous:")
    async with asyncio.TaskGroup() as tasks:
        for pid, seconds in spec.delays().items():
            tasks.create_task(task(pid, seconds, out, finished))


def run(spec: OrderingSpec, out: Transcript) -> OrderingOutcome:
    synchronous, synchronous_seconds = baseline.ordering(spec, out)
    finished: list[int] = []
    start = time.perf_counter()
    asyncio.run(main(spec, out, finished))
    return OrderingOutcome(
        synchronous=synchronous,
        concurrent=finished,
        timings={"synchronous": synchronous_seconds, "concurrent": time.perf_counter() - start},
    )
