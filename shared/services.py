"""The local HTTP services that stand in for the article's public APIs.

One aiohttp.web server in a process of its own, on 127.0.0.1 and a free port:

========================  ===========================================  ======================
endpoint                  answers                                      stands in for
========================  ===========================================  ======================
``GET /``                 where everything is, as JSON                 -
``GET /events?delay=S``   a JSON list of events, a ``Date`` header     GitHub's events API
``GET /ip/ipify``         ``{"ip": IP}``                               api.ipify.org
``GET /ip/ip-api``        ``{"query": IP}``                            ip-api.com
``GET /ip/malformed``     JSON without the attribute clients ask for   an API that changed
``GET /hang``             accepts, never answers                       a stalled service
``GET /stats``            in flight, peak in flight, served, aborted   what the server saw
``POST /stats/reset``     zeroes the counters                          -
the ``unreachable`` URL   connection refused                           the article's "borken"
========================  ===========================================  ======================

Every endpoint but ``/stats`` takes ``?delay=S``: the seconds it waits before answering.

``aborted`` counts requests whose client left before the answer: it shows from
the outside whether a model really cancelled the work it gave up on.

``open_services()`` runs the server in a child process for the tests, the CLI and
``python -m <model>_impl``; ``concurrency-compare serve`` runs it in the foreground.
The child watches its stdin, so it ends with its parent however the parent ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from aiohttp import web

HOST = "127.0.0.1"  # never "localhost": name resolution would be part of every timing
IP = "203.0.113.7"  # the IP the echo services report: an address reserved for documentation
EVENTS = (
    {"id": "1", "type": "PushEvent"},
    {"id": "2", "type": "WatchEvent"},
    {"id": "3", "type": "ForkEvent"},
)
READY_TIMEOUT = 20.0  # seconds a child may take to start serving


class ServicesError(Exception):
    """The local services could not be started or reached."""


# -- the server ---------------------------------------------------------------

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
    refused = closed_port()
    unreachable = f"http://{HOST}:{refused.getsockname()[1]}/"
    # handler_cancellation: a handler is cancelled when its client disconnects,
    # which is how ``aborted`` sees a request given up on the wire.
    runner = web.AppRunner(make_app(unreachable), handler_cancellation=True, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, HOST, port, backlog=1024)
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


# -- the client side ----------------------------------------------------------


@dataclass
class Services:
    """Where the local services are, and a way to read what they saw."""

    url: str
    unreachable: str
    pid: int | None = None  # the server's process, when open_services started it

    def stats(self) -> dict[str, int]:
        return self._call("GET", "/stats")

    def reset(self) -> dict[str, int]:
        return self._call("POST", "/stats/reset")

    def _call(self, method: str, path: str) -> dict[str, int]:
        body = b"" if method == "POST" else None
        request = urllib.request.Request(self.url + path, method=method, data=body)
        with urllib.request.urlopen(request, timeout=5) as answer:
            counters: dict[str, int] = json.load(answer)
        return counters


def connect(url: str) -> Services:
    """The services already running at ``url``; ``ServicesError`` if none answer there."""
    base = url.rstrip("/")
    try:
        with urllib.request.urlopen(base + "/", timeout=3) as answer:
            about = json.load(answer)
        return Services(url=base, unreachable=str(about["unreachable"]))
    except (OSError, ValueError, KeyError, urllib.error.URLError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServicesError(f"no concurrency-compare services at {base} ({reason})") from None


@contextlib.contextmanager
def use_services(url: str | None) -> Iterator[Services]:
    """The services at ``url`` if one is given, else services of our own."""
    if url:
        yield connect(url)
    else:
        with open_services() as services:
            yield services


@contextlib.contextmanager
def open_services(port: int = 0) -> Iterator[Services]:
    """Start the services in a child process; stop it, whatever happens, on exit."""
    child = subprocess.Popen(
        [sys.executable, "-m", "shared.services", "--port", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # A session of its own keeps Ctrl-C for the parent, which then stops
        # the child in order; closing its stdin stops it even if the parent dies.
        start_new_session=True,
    )
    try:
        yield _wait_ready(child)
    finally:
        assert child.stdin is not None
        child.stdin.close()  # the child's cue to stop
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()


def _wait_ready(child: subprocess.Popen[bytes]) -> Services:
    assert child.stdout is not None and child.stderr is not None
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        ready = selector.select(READY_TIMEOUT)
    line = child.stdout.readline() if ready else b""
    if not line:
        child.kill()
        child.wait()
        error = child.stderr.read().decode(errors="replace").strip().splitlines()
        last = error[-1] if error else "no answer in time"
        raise ServicesError(f"the local services did not start: {last}")
    urls = json.loads(line)
    return Services(url=urls["url"], unreachable=urls["unreachable"], pid=child.pid)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m shared.services")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    asyncio.run(serve_child(args.port))


if __name__ == "__main__":
    main()
