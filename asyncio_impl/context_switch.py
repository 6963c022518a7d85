"""context_switch in asyncio: ``await asyncio.sleep(0)`` is the yield point.

python -m asyncio_impl context_switch
"""

from __future__ import annotations

import asyncio

from shared.contract import Transcript
from shared.scenarios.context_switch import ContextSwitchOutcome, ContextSwitchSpec


async def foo(out: Transcript) -> None:
    out.say("Running in foo")
    await asyncio.sleep(0)
    out.say("Explicit context switch to foo again")


async def bar(out: Transcript) -> None:
    out.say("Explicit context to bar")
    await asyncio.sleep(0)
    out.say("Implicit context switch back to bar")


async def main(out: Transcript) -> None:
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(foo(out))
        tasks.create_task(bar(out))


def run(spec: ContextSwitchSpec, out: Transcript) -> ContextSwitchOutcome:
    asyncio.run(main(out))
    return ContextSwitchOutcome(lines=out.lines)
