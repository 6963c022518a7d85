"""cooperative in asyncio: ``await asyncio.sleep`` gives control away.

python -m asyncio_impl cooperative
"""

from __future__ import annotations

import asyncio

from shared.contract import Transcript
from shared.scenarios.cooperative import CooperativeOutcome, CooperativeSpec, outcome_from


async def gr1(spec: CooperativeSpec, out: Transcript) -> None:
    out.say(f"gr1 started work: at {out.elapsed():.1f} seconds")
    await asyncio.sleep(spec.seconds(spec.block))
    out.say(f"gr1 ended work: at {out.elapsed():.1f} seconds")


async def gr2(spec: CooperativeSpec, out: Transcript) -> None:
    out.say(f"gr2 started work: at {out.elapsed():.1f} seconds")
    await asyncio.sleep(spec.seconds(spec.block))
    out.say(f"gr2 ended work: at {out.elapsed():.1f} seconds")


async def gr3(spec: CooperativeSpec, out: Transcript) -> None:
    out.say(f"Lets do some stuff while the tasks are blocked, at {out.elapsed():.1f} seconds")
    await asyncio.sleep(spec.seconds(spec.work))
    out.say("Done!")


async def main(spec: CooperativeSpec, out: Transcript) -> None:
    async with asyncio.TaskGroup() as tasks:
        for worker in (gr1, gr2, gr3):
            tasks.create_task(worker(spec, out))


def run(spec: CooperativeSpec, out: Transcript) -> CooperativeOutcome:
    asyncio.run(main(spec, out))
    return outcome_from(out)
