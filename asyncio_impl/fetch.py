"""fetch in asyncio: aiohttp requests as tasks of one client session.

python -m asyncio_impl fetch
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios import baseline
from shared.scenarios.fetch import FetchOutcome, FetchSpec


async def fetch_events(
    session: aiohttp.ClientSession, spec: FetchSpec, process: int, out: Transcript
) -> dict[str, Any]:
    out.say(f"Fetch async process {process} started")
    began = time.perf_counter()
    delay = spec.seconds(spec.delays[process - 1])
    async with session.get(spec.url("/events", delay=delay)) as answer:
        body = await answer.json()
    took = time.perf_counter() - began
    out.say(f"Process {process}: {answer.headers['Date']}, took: {took:.2f} seconds")
    return baseline.summary(process, answer.status, body, answer.headers)


async def main(spec: FetchSpec, out: Transcript) -> list[dict[str, Any]]:
    out.say("Asynchronous:")
    # One connection per request, on purpose: the default connector caps a
    # session at 100 connections, a limit that would serialise a bigger fan-out.
    connector = aiohttp.TCPConnector(limit=len(spec.delays))
    async with (
        aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
        ) as session,
        asyncio.TaskGroup() as tasks,
    ):
        fetches = [
            tasks.create_task(fetch_events(session, spec, process, out))
            for process in range(1, len(spec.delays) + 1)
        ]
    return [fetch.result() for fetch in fetches]


def run(spec: FetchSpec, out: Transcript) -> FetchOutcome:
    synchronous, synchronous_seconds = baseline.fetch(spec, out)
    start = time.perf_counter()
    concurrent = asyncio.run(main(spec, out))
    seconds = time.perf_counter() - start
    out.say(f"Process took: {seconds:.2f} seconds")
    return FetchOutcome(
        synchronous=synchronous,
        concurrent=concurrent,
        timings={"synchronous": synchronous_seconds, "concurrent": seconds},
    )
