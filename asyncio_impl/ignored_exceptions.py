"""ignored_exceptions in asyncio: the failure waits in its task until the task is destroyed.

    python -m asyncio_impl ignored_exceptions

``asyncio.wait`` returns when every task is done, failed or not, and nothing
reads the results. The failed task keeps its KeyError; when the task object is
destroyed with the exception still unread, asyncio logs "Task exception was
never retrieved" with the traceback, on the ``asyncio`` logger. Here that is as
main returns and its list of tasks goes, after the other answers.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.ignored_exceptions import (
    IgnoredExceptionsOutcome,
    IgnoredExceptionsSpec,
    outcome_from,
)
from shared.scenarios.ip import UNRESPONSIVE, IpService


async def fetch_ip(
    session: aiohttp.ClientSession,
    service: IpService,
    url: str,
    out: Transcript,
    answers: dict[str, str],
) -> None:
    out.say(f"Fetching IP from {service.name}")
    began = time.perf_counter()
    try:
        async with session.get(url) as answer:
            body = await answer.json()
    except aiohttp.ClientConnectionError:
        out.say(f"{service.name} is unresponsive")
        answers[service.name] = UNRESPONSIVE
        return
    ip = str(body[service.attribute])  # nothing here expects the attribute to be missing
    took = time.perf_counter() - began
    out.say(f"{service.name} finished with result: {ip}, took: {took:.2f} seconds")
    answers[service.name] = ip


async def main(spec: IgnoredExceptionsSpec, out: Transcript, answers: dict[str, str]) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT)) as session:
        tasks = [
            asyncio.create_task(fetch_ip(session, service, url, out, answers))
            for service, url in spec.calls()
        ]
        await asyncio.wait(tasks)  # the results, and the failure, are left unread


def run(spec: IgnoredExceptionsSpec, out: Transcript) -> IgnoredExceptionsOutcome:
    answers: dict[str, str] = {}
    asyncio.run(main(spec, out, answers))
    return outcome_from(answers, out)
