"""determinism in asyncio: a TaskGroup a round, results by ``as_completed``.

    python -m asyncio_impl determinism

asyncio has no pool: a round is one task per number, and ``as_completed``
hands the results back as they arrive. ``asyncio.sleep`` sets each task's
deadline from the loop's clock when the task starts, so tasks that nap alike
are due in the order they started, and the loop runs due timers in deadline
order: every round comes back in the start order.
"""

from __future__ import annotations

import asyncio
import time

from shared.contract import Transcript
from shared.scenarios.determinism import (
    DeterminismOutcome,
    DeterminismSpec,
    conclude,
    record,
    square,
)


async def nap_and_square(number: int, seconds: float) -> tuple[int, int]:
    await asyncio.sleep(seconds)
    return number, square(number)


async def one_round(spec: DeterminismSpec) -> list[tuple[int, int]]:
    seconds = spec.seconds(spec.nap)
    async with asyncio.TaskGroup() as tasks:
        started = [tasks.create_task(nap_and_square(n, seconds)) for n in range(spec.tasks)]
        return [await result for result in asyncio.as_completed(started)]


async def main(spec: DeterminismSpec, out: Transcript) -> DeterminismOutcome:
    outcome = DeterminismOutcome()
    began = time.perf_counter()
    for _ in range(spec.rounds):
        record(outcome, await one_round(spec), out)
    outcome.timings["rounds"] = time.perf_counter() - began
    conclude(outcome, out)
    return outcome


def run(spec: DeterminismSpec, out: Transcript) -> DeterminismOutcome:
    return asyncio.run(main(spec, out))
