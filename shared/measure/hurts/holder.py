"""The idle-connection holder, in a process of its own.

``python -m shared.measure.hurts.holder --target URL --connections N`` opens N
connections to URL, sends one request on each (so that each becomes a
keep-alive connection the server has served, as a browser's or a mobile
app's is), and keeps them open and idle. When every connection is answered,
refused or given up on, it prints one JSON line on stdout; then it holds
them until its stdin closes (the parent's word that the live requests are
done), and prints a second line: how many the server closed meanwhile.

It is cheap on purpose: asyncio protocols on one event loop (uvloop's when
installed), a few hundred bytes each, so that ten thousand cost it a few
megabytes and little CPU, and the figures measure the server, not the holder.
At most ``--at-once`` connections are being opened at a time: a burst of ten
thousand SYNs would overflow the listen backlog and measure the kernel's SYN
retries instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from typing import cast
from urllib.parse import urlsplit

import psutil

from shared import args as argtypes
from shared import documents
from shared.measure.hurts.document import Holding, Released


def raise_own_limit(needed: int) -> int:
    """Raise this process's soft limit on open files as far as ``needed`` allows;
    the new soft limit. Only this process's: it ends with it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return wanted
    return soft


def rss_kb(pid: int | None = None) -> int | None:
    """A process's resident memory in KiB (this one's by default), None if it is gone."""
    try:
        return int(psutil.Process(pid).memory_info().rss // 1024)
    except psutil.Error:
        return None


class Held(asyncio.Protocol):
    """One connection: one request, its answer, then idle until the end."""

    def __init__(self, holder: Holder) -> None:
        self.holder = holder
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.answered = asyncio.get_running_loop().create_future()
        self.open = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.open = True
        self.transport.write(self.holder.request)

    def data_received(self, data: bytes) -> None:
        if self.answered.done():
            return
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).decode("latin-1").lower()
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip() == "content-length":
                length = int(value)
        if len(self.buffer) >= end + 4 + length:
            self.answered.set_result(head[9:12])  # the status code
            self.buffer.clear()

    def connection_lost(self, exc: Exception | None) -> None:
        was_open, self.open = self.open, False
        if not self.answered.done():
            self.answered.set_result("closed")
        elif was_open:
            self.holder.closed_by_server += 1


class Holder:
    def __init__(self, url: str, connections: int, at_once: int, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise SystemExit(f"not an http:// URL: {url!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode("ascii")
        self.connections, self.at_once, self.timeout = connections, at_once, timeout
        self.held: list[Held] = []
        self.outcomes: dict[str, int] = {}
        self.closed_by_server = 0

    async def open_one(self, gate: asyncio.Semaphore) -> None:
        loop = asyncio.get_running_loop()
        async with gate:
            try:
                async with asyncio.timeout(self.timeout):
                    _, held = await loop.create_connection(lambda: Held(self), self.host, self.port)
                    self.held.append(held)
                    outcome = await held.answered
            except TimeoutError:
                outcome = "no answer"
            except OSError as exc:
                outcome = type(exc).__name__
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    async def run(self) -> None:
        began = time.perf_counter()
        gate = asyncio.Semaphore(self.at_once)
        async with asyncio.TaskGroup() as group:
            for _ in range(self.connections):
                group.create_task(self.open_one(gate))
        answered = sum(n for outcome, n in self.outcomes.items() if outcome.isdigit())
        self.closed_by_server = 0  # from now on: while they are held idle
        say(
            Holding(
                asked=self.connections,
                answered=answered,
                open=sum(held.open for held in self.held),
                outcomes=dict(sorted(self.outcomes.items())),
                seconds=round(time.perf_counter() - began, 3),
                rss_kb=rss_kb(),
            )
        )
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)
        times = os.times()
        say(
            Released(
                still_open=sum(held.open for held in self.held),
                closed_by_server=self.closed_by_server,
                cpu_seconds=round(times.user + times.system, 3),
            )
        )
        for held in self.held:
            if held.transport is not None:
                held.transport.abort()


def say(figures: Holding | Released) -> None:
    """A line of figures for the parent, which reads it as the same type."""
    print(json.dumps(documents.to_json(figures)), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argtypes.OneLineParser(prog="python -m shared.measure.hurts.holder")
    parser.add_argument(
        "--target",
        type=argtypes.http_url,
        required=True,
        help="an http:// URL, requested once each",
    )
    count = argtypes.whole(1, 100_000, "connections")
    parser.add_argument("--connections", type=count, required=True)
    parser.add_argument("--at-once", type=count, default=256, help="connections opening at a time")
    parser.add_argument(
        "--timeout", type=argtypes.positive_number, default=10.0, help="seconds per connection"
    )
    args = parser.parse_args(argv)
    raise_own_limit(args.connections + 100)
    holder = Holder(args.target, args.connections, args.at_once, args.timeout)
    try:
        import uvloop
    except ImportError:
        asyncio.run(holder.run())
    else:
        uvloop.run(holder.run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
