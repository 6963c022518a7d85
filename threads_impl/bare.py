"""The service alone in threads: a thread per connection, blocking sockets, no framework.

    CONCURRENCY_COMPARE_UPSTREAM=URL python -m threads_impl.bare (--fd N | --port P)

The main thread accepts; each connection gets a thread of its own that reads,
answers and reads again, blocking on the socket and on the upstream while the
other threads take turns on the GIL. A thread per connection rather than a pool:
a keep-alive connection holds its thread while it idles, so a pool of N would
leave the N+1st client waiting behind idle ones (gunicorn's gthread worker
needs a selector for that, which is the deployment's stack, not the model).
The cost of a thread per connection is what this measures. The parsing, the
answers and the arguments are the three models' (``shared.measure.http1``);
the endpoint is the deployed service's (``shared.measure.deploy``).
"""

from __future__ import annotations

import signal
import socket
import threading
from typing import Any

from shared.contract import HTTP_TIMEOUT
from shared.measure import cpu, http1
from shared.measure.deploy import answer, client_pool, upstream_url
from threads_impl.service import call_blocking  # the deployed service's (What hurts a service)


class UpstreamPool:
    """Keep-alive connections to the upstream: at most ``size`` requests at once."""

    def __init__(self, size: int) -> None:
        self.slots = threading.BoundedSemaphore(size)
        self.idle: http1.IdleConnections[socket.socket] = http1.IdleConnections()

    def get(self, url: str) -> list[dict[str, Any]]:
        """The events the upstream answers to a GET of ``url``."""
        address, request = http1.upstream_request(url)
        with self.slots:
            upstream = http1.UpstreamAnswer()
            sock = self.idle.take()
            try:
                if sock is None:
                    sock = socket.create_connection(address, timeout=HTTP_TIMEOUT)
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
    cpu.spend(ask.cpu_ms)  # in this thread: the others take turns on the GIL meanwhile
    call_blocking(ask)
    return request.answer(answer(events, ask))


class Connection:
    """A client's connection, in a thread of its own: read, answer, read again."""

    def __init__(self, pool: UpstreamPool, sock: socket.socket) -> None:
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
    # SIGTERM as SIGINT: a KeyboardInterrupt in the main thread, which ends accept().
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    threading.Thread(target=http1.stop_at_eof, daemon=True).start()
    pool = UpstreamPool(client_pool() or http1.POOL)
    try:
        while True:
            sock, _ = listener.accept()
            # Daemon threads: a connection left open does not hold the process at exit.
            threading.Thread(target=Connection(pool, sock).serve, daemon=True).start()
    except KeyboardInterrupt:
        return


if __name__ == "__main__":
    raise SystemExit(http1.main("python -m threads_impl.bare", serve))
