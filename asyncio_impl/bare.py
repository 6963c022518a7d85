"""The service alone in asyncio: protocols on one event loop, no framework.

    CONCURRENCY_COMPARE_UPSTREAM=URL python -m asyncio_impl.bare (--fd N | --port P)

The loop calls a ``Connection`` (an ``asyncio.Protocol``) when bytes arrive;
it parses them at once and queues the requests they complete, and one task per
connection answers them in order, awaiting the upstream meanwhile, so that
thousands of requests wait at the price of a coroutine each. Protocols are the
loop's own interface, the one aiohttp and uvicorn build on; the upstream client
is on streams, whose reads and writes say the same as the sockets of the other
two models. The parsing, the answers and the arguments are the three models'
(``shared.measure.http1``); the endpoint is the deployed service's
(``shared.measure.deploy``).
"""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
from typing import Any, NamedTuple

from asyncio_impl.service import call_blocking  # the deployed service's (What hurts a service)
from shared.contract import HTTP_TIMEOUT
from shared.measure import cpu, http1
from shared.measure.deploy import answer, client_pool, upstream_url


class _Stream(NamedTuple):
    """An upstream connection, as streams give it."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def close(self) -> None:
        self.writer.close()


class UpstreamPool:
    """Keep-alive connections to the upstream: at most ``size`` requests at once."""

    def __init__(self, size: int) -> None:
        self.slots = asyncio.Semaphore(size)
        self.idle: http1.IdleConnections[_Stream] = http1.IdleConnections()

    async def get(self, url: str) -> list[dict[str, Any]]:
        """The events the upstream answers to a GET of ``url``."""
        address, request = http1.upstream_request(url)
        async with self.slots:
            upstream = http1.UpstreamAnswer()
            stream = self.idle.take()
            try:
                async with asyncio.timeout(HTTP_TIMEOUT):
                    if stream is None:
                        stream = _Stream(*await asyncio.open_connection(*address))
                    stream.writer.write(request)
                    while not upstream.feed(await stream.reader.read(http1.BUFFER)):
                        pass
            except OSError as exc:  # refused, reset, or too late (TimeoutError)
                raise http1.upstream_failed(exc) from None
            finally:
                self.idle.release(stream, upstream.keep_alive)
        return upstream.events()


async def handle(pool: UpstreamPool, request: http1.Request) -> http1.Response:
    """Call the upstream, spend the CPU asked for, answer."""
    try:
        ask = request.ask()
        events = await pool.get(upstream_url(ask))
    except http1.HttpError as error:
        return request.refuse(error)
    cpu.spend(ask.cpu_ms)  # in the coroutine: no other request runs meanwhile
    await call_blocking(ask)
    return request.answer(answer(events, ask))


class Connection(asyncio.Protocol):
    """A client's connection: the loop hands it bytes; its task answers in order."""

    def __init__(self, pool: UpstreamPool, open_ones: set[Connection]) -> None:
        self.pool = pool
        self.open_ones = open_ones
        self.reader = http1.RequestReader()
        self.requests: asyncio.Queue[http1.Request] = asyncio.Queue()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.task = asyncio.create_task(self.serve())
        self.open_ones.add(self)

    def data_received(self, data: bytes) -> None:
        for request in self.reader.feed(data):
            self.requests.put_nowait(request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.task.cancel()  # a request under way for a client who left is dropped
        self.open_ones.discard(self)

    async def serve(self) -> None:
        """Answer the connection's requests one after the other, as they come."""
        while True:
            request = await self.requests.get()
            response = await handle(self.pool, request)
            self.transport.write(response.data)
            if not response.keep_alive:
                self.transport.close()
                return


async def serve(listener: socket.socket) -> None:
    """Serve on ``listener`` until SIGTERM, SIGINT or the end of stdin."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    threading.Thread(target=http1.stop_at_eof, daemon=True).start()
    pool = UpstreamPool(client_pool() or http1.POOL)
    open_ones: set[Connection] = set()
    server = await loop.create_server(lambda: Connection(pool, open_ones), sock=listener)
    await stop.wait()
    server.close()  # the listener first, so that no connection comes in meanwhile
    for connection in list(open_ones):
        connection.transport.abort()
    await server.wait_closed()


if __name__ == "__main__":
    raise SystemExit(http1.main("python -m asyncio_impl.bare", lambda s: asyncio.run(serve(s))))
