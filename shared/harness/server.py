"""The local services' server: aiohttp.web, run by ``shared.harness.services`` or ``serve``.

See ``shared.harness.services`` for the endpoints. Run alone as ``python -m shared.harness.server``
it reports its URLs as one JSON line on stdout and stops when stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable

from aiohttp import web

from shared.args import OneLineParser, port_number
from shared.contract import EVENTS, HOST, IP
from shared.harness.services import raise_open_files_limit

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
COUNTERS = web.AppKey("counters", dict[str, int])
UNREACHABLE = web.AppKey("unreachable", str)


def new_counters() -> dict[str, int]:
    return {"in_flight": 0, "peak_in_flight": 0, "served": 0, "aborted": 0}


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/stats"):
        return await handler(request)
    counters = request.app[COUNTERS]
    counters["in_flight"] += 1
    counters["peak_in_flight"] = max(counters["peak_in_flight"], counters["in_flight"])
    try:
        response = await handler(request)
    except asyncio.CancelledError:
        # The client disconnected while we were still working on its answer.
        counters["aborted"] += 1
        raise
    finally:
        counters["in_flight"] -= 1
    transport = request.transport
    if transport is None or transport.is_closing():
        counters["aborted"] += 1
    else:
        counters["served"] += 1
    return response


async def delay(request: web.Request) -> None:
    """Wait as long as the ``delay`` query parameter says: the service's response time."""
    try:
        seconds = float(request.query.get("delay", "0"))
    except ValueError:
        raise web.HTTPBadRequest(text="delay must be a number of seconds") from None
    if seconds > 0:
        await asyncio.sleep(seconds)


async def index(request: web.Request) -> web.Response:
    base = f"http://{HOST}:{request.url.port}"
    return web.json_response({"url": base, "unreachable": request.app[UNREACHABLE]})


async def events(request: web.Request) -> web.Response:
    await delay(request)
    return web.json_response(list(EVENTS))  # aiohttp adds the Date header


async def ip(request: web.Request) -> web.Response:
    await delay(request)
    service = request.match_info["service"]
    bodies = {"ipify": {"ip": IP}, "ip-api": {"query": IP}, "malformed": {"address": IP}}
    if service not in bodies:
        raise web.HTTPNotFound(text=f"no IP service called {service!r}")
    return web.json_response(bodies[service])


async def hang(request: web.Request) -> web.Response:
    await asyncio.Event().wait()  # until the client gives up
    raise AssertionError("unreachable")


async def stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[COUNTERS])


async def reset_stats(request: web.Request) -> web.Response:
    request.app[COUNTERS].update(new_counters())
    return web.json_response(request.app[COUNTERS])


def make_app(unreachable: str) -> web.Application:
    app = web.Application(middlewares=[count_requests])
    app[COUNTERS] = new_counters()
    app[UNREACHABLE] = unreachable
    app.router.add_get("/", index)
    app.router.add_get("/events", events)
    app.router.add_get("/ip/{service}", ip)
    app.router.add_get("/hang", hang)
    app.router.add_get("/stats", stats)
    app.router.add_post("/stats/reset", reset_stats)
    return app


def closed_port() -> socket.socket:
    """A socket bound to a port that nobody listens on: connecting to it is refused.

    Holding the socket keeps the port ours, so no other program can start
    listening there while the "unreachable" service is supposed to be down.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    return sock


async def serve(port: int, on_ready: Callable[[dict[str, str]], None]) -> None:
    """Serve until cancelled; call ``on_ready`` with the URLs once listening."""
    raise_open_files_limit()  # one descriptor per client connection
    refused = closed_port()
    unreachable = f"http://{HOST}:{refused.getsockname()[1]}/"
    # handler_cancellation: a handler is cancelled when its client disconnects,
    # which is how ``aborted`` sees a request given up on the wire.
    runner = web.AppRunner(make_app(unreachable), handler_cancellation=True, access_log=None)
    await runner.setup()
    try:
        # A fan-out of thousands connects all at once: with a short accept queue the
        # kernel drops the SYNs that do not fit, and each client waits a second to
        # retry. 4,096 is Linux's default cap (net.core.somaxconn).
        site = web.TCPSite(runner, HOST, port, backlog=4096)
        await site.start()
        bound = runner.addresses[0][1]
        on_ready({"url": f"http://{HOST}:{bound}", "unreachable": unreachable})
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        refused.close()


async def serve_child(port: int) -> None:
    """Serve for a parent process: report the URLs on stdout, stop when stdin closes."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None

    def report(urls: dict[str, str]) -> None:
        print(json.dumps(urls), flush=True)

    def parent_gone() -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            loop.remove_reader(sys.stdin.fileno())
            main.cancel()

    loop.add_reader(sys.stdin.fileno(), parent_gone)
    loop.add_signal_handler(signal.SIGTERM, main.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await serve(port, report)


def main(argv: list[str] | None = None) -> None:
    parser = OneLineParser(prog="python -m shared.harness.server")
    parser.add_argument("--port", type=port_number, default=0, help="default: a free port")
    args = parser.parse_args(argv)
    asyncio.run(serve_child(args.port))


if __name__ == "__main__":
    main()
