"""error_handling in asyncio: each task catches aiohttp's connection error itself.

    python -m asyncio_impl error_handling

aiohttp reports a refused connection as ``aiohttp.ClientConnectorError`` (a
``ClientConnectionError``, and an ``OSError``). Caught inside the task, it never
reaches the TaskGroup, which would otherwise cancel the other requests.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.error_handling import ErrorHandlingOutcome, ErrorHandlingSpec
from shared.scenarios.ip import UNRESPONSIVE, IpService, root_cause


async def fetch_ip(
    session: aiohttp.ClientSession, service: IpService, url: str, out: Transcript
) -> tuple[str, str]:
    """The IP, or "unresponsive" and why."""
    out.say(f"Fetching IP from {service.name}")
    began = time.perf_counter()
    try:
        async with session.get(url) as answer:
            body = await answer.json()
    except aiohttp.ClientConnectionError as exc:
        out.say(f"{service.name} is unresponsive")
        return UNRESPONSIVE, root_cause(exc)
    ip = str(body[service.attribute])
    took = time.perf_counter() - began
    out.say(f"{service.name} finished with result: {ip}, took: {took:.2f} seconds")
    return ip, ""


async def main(spec: ErrorHandlingSpec, out: Transcript) -> dict[str, tuple[str, str]]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT)) as session,
        asyncio.TaskGroup() as tasks,
    ):
        fetches = {
            service.name: tasks.create_task(fetch_ip(session, service, url, out))
            for service, url in spec.calls()
        }
    return {name: fetch.result() for name, fetch in fetches.items()}


def run(spec: ErrorHandlingSpec, out: Transcript) -> ErrorHandlingOutcome:
    start = time.perf_counter()
    answers = asyncio.run(main(spec, out))
    seconds = time.perf_counter() - start
    return ErrorHandlingOutcome(
        results={name: result for name, (result, _) in answers.items()},
        causes={name: cause for name, (_, cause) in answers.items() if cause},
        timings={"total": seconds},
    )
