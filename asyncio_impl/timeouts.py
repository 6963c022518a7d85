"""timeouts in asyncio: ``asyncio.timeout`` around waiting for the first task.

    python -m asyncio_impl timeouts
    python -m asyncio_impl timeouts --spec '{"timeout": 5}'

When the deadline expires, ``asyncio.timeout`` cancels the wait and raises
``TimeoutError``; the request tasks themselves go on until they are cancelled
too, and ``Task.cancel()`` stops each at the await it is blocked in, which
drops its connection. The TaskGroup then waits for the cancellations to land,
so nothing is left behind.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.ip import IpService
from shared.scenarios.timeouts import (
    MESSAGE,
    NOT_AVAILABLE,
    TimeoutsOutcome,
    TimeoutsSpec,
    deadline,
)


async def fetch_ip(service: IpService, url: str, out: Transcript) -> str:
    out.say(f"Fetching IP from {service.name}")
    began = time.perf_counter()
    async with aiohttp.request(
        "GET", url, timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
    ) as answer:
        body = await answer.json()
    ip = str(body[service.attribute])
    took = time.perf_counter() - began
    out.say(f"{service.name} finished with result: {ip}, took: {took:.2f} seconds")
    return ip


async def main(spec: TimeoutsSpec, out: Transcript, outcome: TimeoutsOutcome) -> None:
    seconds = spec.seconds(spec.timeout)
    out.say(f"Using a {seconds:g} timeout")
    began = time.perf_counter()
    async with asyncio.TaskGroup() as tasks:
        fetches = {
            service.name: tasks.create_task(fetch_ip(service, url, out))
            for service, url in spec.calls()
        }
        try:
            async with asyncio.timeout(seconds):
                done, _ = await asyncio.wait(fetches.values(), return_when=asyncio.FIRST_COMPLETED)
            outcome.response["ip"] = done.pop().result()
        except TimeoutError as exc:
            outcome.deadline = deadline(exc)
        outcome.timings["response"] = time.perf_counter() - began
        out.say(str(outcome.response))
        for fetch in fetches.values():
            fetch.cancel()  # a no-op for the one that is done
    for name, fetch in fetches.items():
        outcome.unfinished[name] = "cancelled" if fetch.cancelled() else "done"
        if fetch.cancelled():
            out.say(f"{name} unfinished: cancelled")


def run(spec: TimeoutsSpec, out: Transcript) -> TimeoutsOutcome:
    outcome = TimeoutsOutcome(response={"message": MESSAGE, "ip": NOT_AVAILABLE})
    asyncio.run(main(spec, out, outcome))
    return outcome
