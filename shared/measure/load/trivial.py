"""A trivial HTTP server, for measuring the generator itself.

``python -m shared.measure.load.trivial`` answers every request at once with a small
fixed answer, on raw asyncio protocols (uvloop when installed), so that one
core serves far more requests than the generator can send: what the generator
sustains against it is the generator's own limit.

``--stall-after S --stall-for T``: S seconds after the first request, the
server stops answering for T seconds (one blocking sleep, like a long garbage
collection or a blocking call), then answers everything that waited. The
generator's correction for coordinated omission is tested against it.
``--backlog N``: its listen backlog (the kernel caps it at net.core.somaxconn),
small to see what a stall does to the connections that overflow it.

It reports its URL as one JSON line on stdout and stops when stdin closes;
``open_trivial()`` runs it in a child process for the tests and the benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import cast

from shared import args as argtypes
from shared.contract import HOST
from shared.errors import EnvironmentFailure
from shared.harness import processes
from shared.harness.pipes import line_within
from shared.harness.services import READY_TIMEOUT

BODY = b'{"ok": true}'
#: Its listen backlog: Linux's usual cap (net.core.somaxconn), so that a stall's
#: connections wait in the accept queue rather than overflow it.
BACKLOG = 4096
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)


class Stall:
    """When the one stall happens, counted from the first request."""

    def __init__(self, after: float, seconds: float) -> None:
        self.after, self.seconds = after, seconds
        self.first: float | None = None
        self.done = seconds <= 0

    def maybe(self) -> None:
        if self.done:
            return
        now = time.monotonic()
        if self.first is None:
            self.first = now
        elif now - self.first >= self.after:
            self.done = True
            time.sleep(self.seconds)  # the point: block the whole server


class Answerer(asyncio.Protocol):
    def __init__(self, stall: Stall) -> None:
        self.stall = stall
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        count = self.buffer.count(b"\r\n\r\n")  # GETs have no body: one head, one request
        if count:
            self.buffer = self.buffer[self.buffer.rfind(b"\r\n\r\n") + 4 :]
            self.stall.maybe()
            assert self.transport is not None
            self.transport.write(ANSWER * count)


async def serve(stall: Stall, backlog: int = BACKLOG) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Answerer(stall), HOST, 0, backlog=backlog)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"url": f"http://{HOST}:{port}/"}), flush=True)
    closed = asyncio.Event()

    def parent_gone() -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            loop.remove_reader(sys.stdin.fileno())
            closed.set()

    loop.add_reader(sys.stdin.fileno(), parent_gone)
    async with server:
        await closed.wait()


@contextlib.contextmanager
def open_trivial(
    stall_after: float = 0.0, stall_for: float = 0.0, *, backlog: int = BACKLOG
) -> Iterator[str]:
    """Run the server in a child process; its URL. It stops, whatever happens, on exit."""
    command = [sys.executable, "-m", "shared.measure.load.trivial",
               "--stall-after", f"{stall_after:g}", "--stall-for", f"{stall_for:g}",
               "--backlog", str(backlog)]  # fmt: skip
    # Closing its stdin (on leaving the block) stops it.
    with processes.started(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as child:
        assert child.stdout is not None
        line = line_within(child.stdout, READY_TIMEOUT)
        if not line:
            raise EnvironmentFailure("the trivial server did not start")
        yield str(json.loads(line)["url"])


def main(argv: list[str] | None = None) -> None:
    seconds = argtypes.within(0, 3600, "seconds")
    parser = argtypes.OneLineParser(prog="python -m shared.measure.load.trivial")
    parser.add_argument("--stall-after", type=seconds, default=0.0, metavar="S")
    parser.add_argument("--stall-for", type=seconds, default=0.0, metavar="T")
    parser.add_argument(
        "--backlog", type=argtypes.whole(1, 65535, "a backlog"), default=BACKLOG, metavar="N"
    )
    args = parser.parse_args(argv)
    stall = Stall(args.stall_after, args.stall_for)
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(stall, args.backlog))
    else:
        uvloop.run(serve(stall, args.backlog))


if __name__ == "__main__":
    main()
