"""The service in asyncio: an aiohttp.web app, its upstream calls on one aiohttp session.

    gunicorn --worker-class aiohttp.GunicornWebWorker 'asyncio_impl.service:make_app()'
    gunicorn --worker-class uvicorn_worker.UvicornWorker "asyncio_impl.service:make_app('asgi')"

(``aiohttp.GunicornUVLoopWebWorker`` runs it on uvloop's loop; ``make_app('asgi')``
is the same service as an ASGI app, for uvicorn, the stack most asyncio teams
deploy now.) gunicorn calls ``make_app`` in the worker; the client session is
opened on the worker's own event loop as the app starts (``open_client``, the
ASGI lifespan). Every request is a task on that one loop: thousands wait on the
upstream at once for the price of a coroutine each, but the CPU a handler spends
holds up every other request until it awaits. See ``shared.measure.deploy`` for
the endpoint and the answer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from shared.contract import HTTP_TIMEOUT
from shared.measure import cpu
from shared.measure.deploy import Ask, answer, client_pool, upstream_url

CLIENT = web.AppKey("client", aiohttp.ClientSession)
SERVED = itertools.count(1)  # the requests this worker has served, for ``call_blocking``
# ASGI's shapes (``make_app("asgi")``): a message, the channels, the app.
_Message = dict[str, Any]
_Receive = Callable[[], Awaitable[_Message]]
_Send = Callable[[_Message], Awaitable[None]]
_Asgi = Callable[[_Message, _Receive, _Send], Awaitable[None]]


async def open_client(app: web.Application) -> AsyncIterator[None]:
    """The upstream client for the worker's life: one session, its connector's pool."""
    async with _session() as session:
        app[CLIENT] = session
        yield


def _session() -> aiohttp.ClientSession:
    """A session on the running loop, with the deployment's pool."""
    pool = client_pool()
    # aiohttp's default connector holds at most 100 connections: the defaults keep it.
    connector = aiohttp.TCPConnector() if pool is None else aiohttp.TCPConnector(limit=pool)
    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
    return aiohttp.ClientSession(connector=connector, timeout=timeout)


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


def make_app(server: str = "aiohttp") -> web.Application | _Asgi:
    """The app gunicorn's worker serves: aiohttp.web's, or with ``"asgi"`` uvicorn's."""
    cpu.calibrate()
    if server == "asgi":
        return _asgi()
    app = web.Application()
    app.cleanup_ctx.append(open_client)
    app.router.add_get("/", handle)
    return app


# -- the same service as an ASGI app, for uvicorn ---------------------------------------


def _asgi() -> _Asgi:
    """The app for uvicorn (gunicorn's ``uvicorn_worker.UvicornWorker``).

    A bare ASGI callable, no framework: the stack is uvicorn alone (uvloop,
    httptools), so that set beside aiohttp.web the figures compare two servers,
    not a server and a framework's routing and middleware. The upstream client
    is aiohttp's session again, not httpx (what FastAPI's documents pair with
    uvicorn): the two deployments then differ in the server only, and httpx's
    pure-Python parser (h11) would add a cost of its own. The session lives for
    the app's lifespan, opened on the worker's loop.
    """
    client: list[aiohttp.ClientSession] = []  # the lifespan's session, once it started

    async def app(scope: _Message, receive: _Receive, send: _Send) -> None:
        if scope["type"] == "lifespan":  # startup, then shutdown, and nothing between
            await receive()
            client.append(_session())
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await client.pop().close()
            await send({"type": "lifespan.shutdown.complete"})
        elif scope["type"] == "http":
            await _respond(client[0], scope, send)

    return app


async def _respond(session: aiohttp.ClientSession, scope: _Message, send: _Send) -> None:
    """``handle``'s work in ASGI: the same answer, the same refusals."""
    if scope["path"] != "/":
        return await _send(send, 404, b"Not Found", "text/plain")
    if scope["method"] not in ("GET", "HEAD"):
        return await _send(send, 405, b"Method Not Allowed", "text/plain")
    # The first of a repeated name, as aiohttp's ``request.query.get`` reads it.
    query = dict(reversed(urllib.parse.parse_qsl(scope["query_string"].decode("latin-1"))))
    try:
        ask = Ask.from_query(query)
    except ValueError as exc:
        return await _send(send, 400, str(exc).encode(), "text/plain")
    try:
        async with session.get(upstream_url(ask)) as response:
            response.raise_for_status()
            events = await response.json()
    except (aiohttp.ClientError, TimeoutError) as exc:
        return await _send(send, 502, f"upstream: {type(exc).__name__}".encode(), "text/plain")
    cpu.spend(ask.cpu_ms)  # in the coroutine: no other request runs meanwhile
    await call_blocking(ask)
    await _send(send, 200, json.dumps(answer(events, ask)).encode(), "application/json")


async def _send(send: _Send, status: int, body: bytes, kind: str) -> None:
    headers = [(b"content-type", f"{kind}; charset=utf-8".encode()),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
