"""subprocesses in asyncio: ``asyncio.create_subprocess_exec`` and ``communicate()``.

    python -m asyncio_impl subprocesses
    python -m asyncio_impl subprocesses --spec '{"delays": [2, 1, 3]}'

The event loop watches each child's pipes and its exit, so the children run
at once while main awaits them. A timeout around ``communicate()``
(``asyncio.timeout`` here, ``asyncio.wait_for`` alike) cancels the waiting,
not the child: the process goes on running until it is killed, so the code
that gives up on a child must kill it and wait for it itself.
"""

from __future__ import annotations

import asyncio
import time

from shared.contract import Transcript
from shared.scenarios.subprocesses import (
    KILLED,
    RUNNING,
    SubprocessesOutcome,
    SubprocessesSpec,
    command,
    exception_name,
    overlapping,
    running_children,
)


async def run_child(seconds: float, name: str, out: Transcript) -> tuple[str, tuple[float, float]]:
    began = time.perf_counter()
    child = await asyncio.create_subprocess_exec(
        *command(seconds, name), stdout=asyncio.subprocess.PIPE
    )
    out.say(f"{name} started, sleeping {seconds:g} s")
    stdout, _ = await child.communicate()
    last = stdout.decode().splitlines()[-1]
    out.say(f"{name} said: {last}")
    return last, (began, time.perf_counter())


async def give_up_on(spec: SubprocessesSpec, out: Transcript, outcome: SubprocessesOutcome) -> None:
    seconds = spec.seconds(spec.timeout)
    began = time.perf_counter()  # the time given counts from the start, as in every model
    child = await asyncio.create_subprocess_exec(
        *command(spec.seconds(spec.slow), "slow child"), stdout=asyncio.subprocess.PIPE
    )
    out.say(f"slow child started, {seconds:g} s to finish")
    try:
        async with asyncio.timeout(seconds):
            await child.communicate()
    except TimeoutError as exc:
        outcome.timings["timeout"] = time.perf_counter() - began
        state = RUNNING if child.returncode is None and running_children() else KILLED
        outcome.timeout = {"raised": exception_name(exc), "child": state}
        out.say(f"Timed out ({exception_name(exc)}): the slow child is {state}")
    if child.returncode is None:
        child.kill()  # giving up on it did not stop it: we must
        await child.wait()
        out.say("slow child killed")


async def main(spec: SubprocessesSpec, out: Transcript, outcome: SubprocessesOutcome) -> None:
    began = time.perf_counter()
    async with asyncio.TaskGroup() as tasks:
        children = [
            tasks.create_task(run_child(spec.seconds(delay), f"child {n}", out))
            for n, delay in enumerate(spec.delays, 1)
        ]
    outcome.timings["together"] = time.perf_counter() - began
    ran = [child.result() for child in children]
    outcome.outputs = [output for output, _ in ran]
    outcome.overlapped = overlapping([span for _, span in ran])
    out.say(f"All {len(children)} children done in {outcome.timings['together']:.2f} s")
    await give_up_on(spec, out, outcome)


def run(spec: SubprocessesSpec, out: Transcript) -> SubprocessesOutcome:
    outcome = SubprocessesOutcome()
    asyncio.run(main(spec, out, outcome))
    outcome.left = running_children()
    return outcome
