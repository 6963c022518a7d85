"""future_exceptions in asyncio: a task's failure waits in it until ``task.result()``.

    python -m asyncio_impl future_exceptions

The tasks are awaited with ``asyncio.wait``, which returns when all are done,
failed or not; a TaskGroup would instead cancel the others at the first
failure and raise an ExceptionGroup at its exit.
"""

from __future__ import annotations

import asyncio
import time
import traceback

import aiohttp

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.future_exceptions import (
    FutureExceptionsOutcome,
    FutureExceptionsSpec,
    where,
)
from shared.scenarios.ip import UNRESPONSIVE, IpService


async def fetch_ip(
    session: aiohttp.ClientSession, service: IpService, url: str, out: Transcript
) -> str:
    out.say(f"Fetching IP from {service.name}")
    began = time.perf_counter()
    try:
        async with session.get(url) as answer:
            body = await answer.json()
    except aiohttp.ClientConnectionError:
        out.say(f"{service.name} is unresponsive")
        return UNRESPONSIVE
    ip = str(body[service.attribute])  # nothing here expects the attribute to be missing
    took = time.perf_counter() - began
    out.say(f"{service.name} finished with result: {ip}, took: {took:.2f} seconds")
    return ip


async def main(
    spec: FutureExceptionsSpec, out: Transcript, outcome: FutureExceptionsOutcome
) -> None:
    calls = spec.calls()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT)) as session:
        tasks = [
            asyncio.create_task(fetch_ip(session, service, url, out)) for service, url in calls
        ]
        await asyncio.wait(tasks)
    for (service, _), task in zip(calls, tasks, strict=True):
        try:
            ip = task.result()
        except Exception as exc:
            out.say(f"Unexpected error: {''.join(traceback.format_exception(exc)).rstrip()}")
            outcome.read[service.name] = repr(exc)
            outcome.errors[service.name] = where(exc)
        else:
            outcome.read[service.name] = ip


def run(spec: FutureExceptionsSpec, out: Transcript) -> FutureExceptionsOutcome:
    outcome = FutureExceptionsOutcome()
    start = time.perf_counter()
    asyncio.run(main(spec, out, outcome))
    outcome.timings["total"] = time.perf_counter() - start
    return outcome
