"""The service in asyncio: an aiohttp.web app, its upstream calls on one aiohttp session.

    gunicorn --worker-class aiohttp.GunicornWebWorker asyncio_impl.service:make_app

(``aiohttp.GunicornUVLoopWebWorker`` runs it on uvloop's loop.) ``make_app`` is
an async factory, which aiohttp's worker awaits inside the worker's own event
loop, so the client session is made on the loop that will use it. Every request
is a task on that one loop: thousands wait on the upstream at once for the
price of a coroutine each, but the CPU a handler spends holds up every other
request until it awaits. See ``shared.measure.deploy`` for the endpoint and the answer.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from shared.contract import HTTP_TIMEOUT
from shared.measure import cpu
from shared.measure.deploy import Ask, answer, client_pool, upstream_url

CLIENT = web.AppKey("client", aiohttp.ClientSession)
SERVED = itertools.count(1)  # the requests this worker has served, for ``call_blocking``


async def open_client(app: web.Application) -> AsyncIterator[None]:
    """The upstream client for the worker's life: one session, its connector's pool."""
    pool = client_pool()
    # aiohttp's default connector holds at most 100 connections: the defaults keep it.
    connector = aiohttp.TCPConnector() if pool is None else aiohttp.TCPConnector(limit=pool)
    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        app[CLIENT] = session
        yield


async def call_blocking(ask: Ask) -> None:
    """Every ``ask.every``-th request, a call that asyncio does not cooperate with.

    ``time.sleep`` stands for any synchronous call (a driver without asyncio
    support, a ``requests.get``): in the coroutine it holds the event loop, and
    every other request with it. The fix, ``asyncio.to_thread``, runs it in the
    loop's default executor and awaits it, so the loop goes on meanwhile.
    """
    if not ask.blocks(next(SERVED)):
        return
    if ask.offload:
        await asyncio.to_thread(time.sleep, ask.block_ms / 1000)
    else:
        time.sleep(ask.block_ms / 1000)  # noqa: ASYNC251 (the mistake, on purpose)


async def handle(request: web.Request) -> web.Response:
    """Call the upstream, spend the CPU asked for, answer."""
    try:
        ask = Ask.from_query(request.query)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    try:
        async with request.app[CLIENT].get(upstream_url(ask)) as response:
            response.raise_for_status()
            events = await response.json()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise web.HTTPBadGateway(text=f"upstream: {type(exc).__name__}") from None
    cpu.spend(ask.cpu_ms)  # in the coroutine: no other request runs meanwhile
    await call_blocking(ask)
    return web.json_response(answer(events, ask))


async def make_app() -> web.Application:
    """The app, for gunicorn's aiohttp worker."""
    cpu.calibrate()
    app = web.Application()
    app.cleanup_ctx.append(open_client)
    app.router.add_get("/", handle)
    return app
