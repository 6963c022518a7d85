"""The service alone in gevent: a StreamServer and cooperative sockets, no framework.

    CONCURRENCY_COMPARE_UPSTREAM=URL python -m gevent_impl.bare (--fd N | --port P)

``gevent.server.StreamServer`` accepts in the hub and runs each connection in a
greenlet of its own, which reads, answers and reads again as a thread would:
the code is the threads model's, line for line, but every wait on a socket
(gevent's own, ``gevent.socket``) hands the hub to another greenlet, so that
thousands of requests wait at the price of a greenlet each. Nothing here needs
monkey-patching; ``gevent_impl``'s ``__init__`` patches the process anyway, as
every module of the package runs patched, which is why the blocking call of
``call_blocking`` is the original ``time.sleep``. The parsing, the answers and
the arguments are the three models' (``shared.measure.http1``); the endpoint is
the deployed service's (``shared.measure.deploy``).
"""

from __future__ import annotations

import signal
import socket
from typing import Any

import gevent
import gevent.lock
import gevent.socket
from gevent.server import StreamServer

from gevent_impl.service import call_blocking  # the deployed service's (What hurts a service)
from shared.contract import HTTP_TIMEOUT
from shared.measure import cpu, http1
from shared.measure.deploy import answer, client_pool, upstream_url


class UpstreamPool:
    """Keep-alive connections to the upstream: at most ``size`` requests at once."""

    def __init__(self, size: int) -> None:
        self.slots = gevent.lock.BoundedSemaphore(size)
        self.idle: http1.IdleConnections[gevent.socket.socket] = http1.IdleConnections()

    def get(self, url: str) -> list[dict[str, Any]]:
        """The events the upstream answers to a GET of ``url``."""
        address, request = http1.upstream_request(url)
        with self.slots:
            upstream = http1.UpstreamAnswer()
            sock = self.idle.take()
            try:
                if sock is None:
                    sock = gevent.socket.create_connection(address, timeout=HTTP_TIMEOUT)
                sock.sendall(request)
                while not upstream.feed(sock.recv(http1.BUFFER)):
                    pass
            except OSError as exc:  # refused, reset, or too late (TimeoutError)
                raise http1.upstream_failed(exc) from None
            finally:
                self.idle.release(sock, upstream.keep_alive)
        return upstream.events()


def handle(pool: UpstreamPool, request: http1.Request) -> http1.Response:
    """Call the upstream, spend the CPU asked for, answer."""
    try:
        ask = request.ask()
        events = pool.get(upstream_url(ask))
    except http1.HttpError as error:
        return request.refuse(error)
    cpu.spend(ask.cpu_ms)  # in this greenlet: no other request runs meanwhile
    call_blocking(ask)
    return request.answer(answer(events, ask))


class Connection:
    """A client's connection, in a greenlet of its own: read, answer, read again."""

    def __init__(self, pool: UpstreamPool, sock: gevent.socket.socket) -> None:
        self.pool = pool
        self.sock = sock
        self.reader = http1.RequestReader()

    def serve(self) -> None:
        """Answer the connection's requests one after the other, as they come."""
        with self.sock:
            try:
                while data := self.sock.recv(http1.BUFFER):
                    for request in self.reader.feed(data):
                        response = handle(self.pool, request)
                        self.sock.sendall(response.data)
                        if not response.keep_alive:
                            return
            except OSError:  # the client reset the connection: nothing to answer
                return


def serve(listener: socket.socket) -> None:
    """Serve on ``listener`` until SIGTERM, SIGINT or the end of stdin."""
    pool = UpstreamPool(client_pool() or http1.POOL)
    server = StreamServer(listener, lambda sock, _: Connection(pool, sock).serve())
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, server.close)  # serve_forever returns
    gevent.get_hub().threadpool.spawn(http1.stop_at_eof)  # a real thread: it blocks
    # Connections still open are dropped at once rather than waited for (as in the others).
    server.serve_forever(stop_timeout=0)


if __name__ == "__main__":
    raise SystemExit(http1.main("python -m gevent_impl.bare", serve))
