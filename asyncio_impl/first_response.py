"""first_response in asyncio: ``asyncio.wait(FIRST_COMPLETED)``, then ``Task.cancel()``.

    python -m asyncio_impl first_response
    python -m asyncio_impl first_response --spec '{"mode": "careless"}'

Each request is a task with a session of its own, like the article's
``aiohttp.request``. ``asyncio.wait`` takes tasks, never bare coroutines, and
hands back two sets, done and pending. Cancelling a task raises CancelledError
at the await it is blocked in; its ``async with`` blocks then close the response
and the session, so the server sees the client hang up. The tidy version awaits
the cancelled tasks, so all that is over before main returns. The careless one
just returns: modern ``asyncio.run`` then cancels the tasks still pending, which
the article's ``run_until_complete`` did not, hence its warnings.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.first_response import (
    CANCELLED,
    FINISHED,
    WAITING,
    FirstResponseOutcome,
    FirstResponseSpec,
    shape,
)
from shared.scenarios.ip import IpService, address


async def fetch_ip(
    spec: FirstResponseSpec, service: IpService, delay: float, out: Transcript
) -> tuple[str, str, float]:
    out.say(f"Fetching IP from {service.name}")
    began = time.perf_counter()
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT)) as session,
        session.get(address(spec, service, delay)) as answer,
    ):
        body = await answer.json()
    return service.name, body[service.attribute], time.perf_counter() - began


def state(task: asyncio.Task[Any]) -> str:
    if task.cancelled():
        return CANCELLED
    return FINISHED if task.done() else WAITING


async def main(spec: FirstResponseSpec, out: Transcript) -> FirstResponseOutcome:
    tasks = [
        asyncio.create_task(fetch_ip(spec, service, delay, out), name=service.name)
        for service, delay in spec.services()
    ]
    waited = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    done, pending = waited
    winner = next(task for task in tasks if task in done)
    name, ip, took = winner.result()
    out.say(f"{name} finished with result: {ip}, took: {took:.2f} seconds")
    first = out.elapsed()
    losers = [task for task in tasks if task is not winner]
    if spec.mode == "tidy":
        for task in pending:
            task.cancel()
        # Let the cancelled tasks unwind: their sessions close on the way out.
        await asyncio.gather(*pending, return_exceptions=True)
    for task in losers:
        out.say(f"{task.get_name()}: {state(task)}")
    return FirstResponseOutcome(
        winner=name,
        ip=ip,
        waited=shape(waited),
        loser=state(losers[0]),
        timings={"first": first, "returned": out.elapsed()},
    )


def run(spec: FirstResponseSpec, out: Transcript) -> FirstResponseOutcome:
    return asyncio.run(main(spec, out))
