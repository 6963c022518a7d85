"""as_completed in asyncio: ``asyncio.as_completed`` over the request tasks.

    python -m asyncio_impl as_completed

``asyncio.as_completed`` does not hand the tasks back: each step yields a new
awaitable that resolves to the next result to arrive, so the result says which
process it came from.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios import baseline
from shared.scenarios.as_completed import AsCompletedOutcome, AsCompletedSpec, handled

Answer = tuple[int, str, float, dict[str, Any]]  # process, Date header, seconds, summary


async def fetch_events(
    session: aiohttp.ClientSession, spec: AsCompletedSpec, process: int, out: Transcript
) -> Answer:
    delay = spec.seconds(spec.delays[process - 1])
    # The service does the sleeping that the article's processes did themselves.
    out.say(f"Fetch async process {process} started, sleeping for {delay:g} seconds")
    began = time.perf_counter()
    async with session.get(spec.url("/events", delay=delay)) as answer:
        body = await answer.json()
    summary = baseline.summary(process, answer.status, body, answer.headers)
    return process, answer.headers["Date"], time.perf_counter() - began, summary


async def main(spec: AsCompletedSpec, out: Transcript, outcome: AsCompletedOutcome) -> None:
    began = time.perf_counter()
    # One connection per request, on purpose (see fetch).
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
        handles = []
        for rank, arrival in enumerate(asyncio.as_completed(fetches), 1):
            handles.append(arrival in fetches)
            process, date, took, summary = await arrival
            outcome.timings.setdefault("first", time.perf_counter() - began)
            out.say(f"{handled(rank, process)}: {date}, took: {took:.2f} seconds")
            outcome.handled.append(handled(rank, process))
            outcome.responses.append(summary)
    outcome.yields_handles = all(handles)


def run(spec: AsCompletedSpec, out: Transcript) -> AsCompletedOutcome:
    outcome = AsCompletedOutcome()
    start = time.perf_counter()
    asyncio.run(main(spec, out, outcome))
    seconds = time.perf_counter() - start
    out.say(f"Process took: {seconds:.2f} seconds")
    outcome.timings["total"] = seconds
    return outcome
