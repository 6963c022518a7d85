"""HTTP/1.1 for the model-alone services (``<model>_impl/bare.py``): what the three share.

Each ``bare.py`` serves the deployed service's endpoint (``shared.measure.deploy``)
on its model's own sockets, with nothing of a web framework between: this module
holds the parts that do not depend on the model, so that a ``bare.py`` holds only
how its model accepts, reads, waits on the upstream and writes.

All three parse with httptools, the C parser (llhttp) that uvicorn uses, both
ways: ``RequestReader`` turns a client's bytes into ``Request`` objects and
``UpstreamAnswer`` reads the upstream's answer. A C parser costs a few
microseconds a request, the same in every model, so what differs between the
three is the model, not the parser (aiohttp, the asyncio deployment, parses in C
too; gunicorn's parser, under the gevent and threads deployments, is Python).

What a service does not handle it refuses with a clean answer and closes the
connection: a malformed request (400), an HTTP version other than 1.0 and 1.1
(505), a body on a GET (400), a method other than GET (405). Pipelined
requests are served in order, as HTTP/1.1 asks: the reader hands over every
complete request it has, and each model answers them one after the other.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qsl, urlsplit

import httptools

from shared.args import Parser, port_number
from shared.contract import HOST
from shared.errors import OK, UsageError, run_command
from shared.measure import cpu
from shared.measure.deploy import UPSTREAM_ENV, Ask

#: How much a socket read asks for at once.
BUFFER = 65536
#: The upstream connections a service keeps, unless ``deploy.client_pool()`` says
#: otherwise: aiohttp's default, in every model (a thread per client connection
#: has no thread count to size it by).
POOL = 100
#: Idle upstream connections older than this are closed, not reused: the upstream
#: (aiohttp) closes its side after 75 s, and a request sent on a connection it
#: has closed would fail.
IDLE_LIMIT = 30.0
#: A request's line and headers larger than this are refused (431) rather than kept.
HEAD_LIMIT = 65536

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           431: "Request Header Fields Too Large", 502: "Bad Gateway",
           505: "HTTP Version Not Supported"}  # fmt: skip


class HttpError(Exception):
    """An answer other than 200: its status, its one-line reason (the body), and
    whether the connection closes after it (it does after anything malformed)."""

    def __init__(self, status: int, reason: str, *, close: bool = True) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.close = close


@dataclass(frozen=True)
class Response:
    """The bytes of an answer, and whether the connection stays open after it."""

    data: bytes
    keep_alive: bool


@dataclass(frozen=True)
class Request:
    """One request the reader collected, or the refusal of bytes that were none."""

    method: bytes
    target: bytes
    version: str
    keep_alive: bool
    refused: HttpError | None = None

    def ask(self) -> Ask:
        """What the request asks of the service; ``HttpError`` if it is not served."""
        if self.refused is not None:
            raise self.refused
        if self.method != b"GET":
            raise HttpError(405, f"{self.method.decode('latin-1')}: only GET is served")
        path, _, query = self.target.decode("latin-1").partition("?")
        if path != "/":
            raise HttpError(404, f"{path}: not found", close=False)
        try:
            return Ask.from_query(dict(parse_qsl(query)))
        except ValueError as exc:  # well formed, badly asked: the connection stays
            raise HttpError(400, str(exc), close=False) from None

    def answer(self, document: dict[str, Any]) -> Response:
        """200 and ``document`` as JSON."""
        return self._response(200, json.dumps(document).encode(), b"application/json", True)

    def refuse(self, error: HttpError) -> Response:
        """``error``'s status, its reason as plain text."""
        return self._response(error.status, error.reason.encode(), b"text/plain", not error.close)

    def _response(self, status: int, body: bytes, kind: bytes, keep: bool) -> Response:
        keep_alive = keep and self.keep_alive
        # HTTP/1.1 keeps a connection unless told; HTTP/1.0 closes it unless told.
        if keep_alive:
            connection = b"Connection: keep-alive\r\n" if self.version == "1.0" else b""
        else:
            connection = b"Connection: close\r\n"
        head = b"HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n" % (
            status, REASONS[status].encode(), _date(), kind, len(body), connection,
        )  # fmt: skip
        return Response(head + body, keep_alive)


_dated: list[tuple[int, bytes]] = [(0, b"")]


def _date() -> bytes:
    """The Date header's value, formatted once a second (every server does so)."""
    now = int(time.time())
    second, text = _dated[-1]
    if second != now:
        text = formatdate(now, usegmt=True).encode()
        _dated[-1] = (now, text)
    return text


class RequestReader:
    """One client connection's parser: bytes in, the requests they complete out.

    httptools calls back (``on_url``, ``on_header``, ...) while it parses what
    ``feed`` gives it; the callbacks collect each request until it is complete.
    After a refusal the parser is done: the connection closes once it is answered.
    """

    def __init__(self) -> None:
        self._parser = httptools.HttpRequestParser(self)
        self._complete: list[Request] = []
        self._target = b""
        self._body = False  # the headers announce a body
        self._head = 0  # bytes fed since the request began, until its headers end
        self._refused: HttpError | None = None

    def feed(self, data: bytes) -> list[Request]:
        """The requests ``data`` completes, in order; the last may be a refusal."""
        try:
            self._parser.feed_data(data)
            if self._head:  # a request's headers are not all in yet
                self._head += len(data)
                if self._head > HEAD_LIMIT:
                    raise HttpError(431, "request line and headers too large")
        except httptools.HttpParserUpgrade:
            # Not ours to switch protocols: the request is answered as any other, then
            # the connection closes, since what follows it is not HTTP/1.1.
            last = self._complete.pop()
            self._complete.append(Request(last.method, last.target, last.version, False))
        except httptools.HttpParserCallbackError:  # a callback refused it, and said why
            self._refuse(self._refused or HttpError(400, "bad request"))
        except httptools.HttpParserError as exc:
            if "version" in str(exc):
                self._refuse(HttpError(505, "only HTTP/1.0 and HTTP/1.1 are served"))
            else:
                self._refuse(HttpError(400, f"bad request: {str(exc).lower()}"))
        except HttpError as error:
            self._refuse(error)
        complete, self._complete = self._complete, []
        return complete

    def _refuse(self, error: HttpError) -> None:
        self._complete.append(Request(b"", b"", "1.1", False, error))

    # httptools' callbacks

    def on_message_begin(self) -> None:
        self._target = b""
        self._body = False
        self._head = 1

    def on_url(self, url: bytes) -> None:
        self._target += url

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            self._body = True

    def on_headers_complete(self) -> None:
        self._head = 0
        if self._parser.get_http_version() not in ("1.0", "1.1"):
            self._refused = HttpError(505, "only HTTP/1.0 and HTTP/1.1 are served")
        elif self._body and self._parser.get_method() == b"GET":
            self._refused = HttpError(400, "a GET has no body")
        if self._refused is not None:
            raise self._refused  # stops the parser: feed() answers with it

    def on_message_complete(self) -> None:
        parser = self._parser
        version, keep_alive = parser.get_http_version(), parser.should_keep_alive()
        self._complete.append(Request(parser.get_method(), self._target, version, keep_alive))


# -- the upstream client ---------------------------------------------------------

Address = tuple[str, int]


def upstream_request(url: str) -> tuple[Address, bytes]:
    """Where to send a GET of ``url`` (an ``http://`` URL), and its bytes."""
    parts = urlsplit(url)
    target = f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"
    request = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
    return (parts.hostname or HOST, parts.port or 80), request


class UpstreamAnswer:
    """The upstream's answer to one request, read with httptools' response parser."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._body = bytearray()
        self._complete = False
        self.keep_alive = False  # whether the connection can carry the next request

    def feed(self, data: bytes) -> bool:
        """Feed what a read returned (b"" at the end of the connection); whether the
        answer is complete. ``HttpError`` 502 if the upstream failed."""
        if not data:
            raise HttpError(502, "upstream: connection closed", close=False)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise HttpError(502, f"upstream: {type(exc).__name__}", close=False) from None
        return self._complete

    def events(self) -> list[dict[str, Any]]:
        """The events the upstream answered; ``HttpError`` 502 unless it answered 200."""
        status = self._parser.get_status_code()
        if status != 200:
            raise HttpError(502, f"upstream: status {status}", close=False)
        try:
            events: list[dict[str, Any]] = json.loads(self._body)
        except ValueError as exc:
            raise HttpError(502, f"upstream: {type(exc).__name__}", close=False) from None
        return events

    # httptools' callbacks

    def on_body(self, body: bytes) -> None:
        self._body += body

    def on_message_complete(self) -> None:
        self._complete = True
        # Asked here: once the message is complete, llhttp resets what it says.
        self.keep_alive = self._parser.should_keep_alive()


def upstream_failed(exc: OSError) -> HttpError:
    """The answer when the upstream could not be reached or did not answer in time."""
    return HttpError(502, f"upstream: {type(exc).__name__}", close=False)


class Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closable)


@dataclass
class IdleConnections(Generic[C]):
    """Keep-alive connections between two requests, the most recent first."""

    _idle: list[tuple[float, C]] = field(default_factory=list)

    def release(self, connection: C | None, reusable: bool) -> None:
        """After a request: ``connection`` idles until the next if ``reusable``, or closes."""
        if connection is not None and reusable:
            self._idle.append((time.monotonic(), connection))
        elif connection is not None:
            connection.close()

    def take(self) -> C | None:
        """An idle connection to reuse, or None; those idle too long are closed."""
        while self._idle:  # list.pop and list.append are atomic: threads share it as it is
            since, connection = self._idle.pop()
            if time.monotonic() - since < IDLE_LIMIT:
                return connection
            connection.close()
        return None


# -- the process -----------------------------------------------------------------


def stop_at_eof() -> None:
    """Read stdin to its end, then SIGTERM this process: the parent is gone.

    gunicorn's stdin watch does the same (``shared.measure.load.gunicorn_conf``).
    Each model runs it in a real thread of its own.
    """
    try:
        while os.read(0, 4096):
            pass
    except OSError:  # no stdin to watch
        return
    os.kill(os.getpid(), signal.SIGTERM)


def main(prog: str, serve: Callable[[socket.socket], None], argv: list[str] | None = None) -> int:
    """``PROG (--fd N | --port P)``: ``serve`` on that listener until it returns; the
    exit status (0, or 2 and one line for bad arguments)."""

    def command() -> int:
        listener = _listener(prog, argv)
        with listener:
            if not os.environ.get(UPSTREAM_ENV):
                raise UsageError(f"{UPSTREAM_ENV} is not set (the upstream's base URL)")
            cpu.calibrate()
            serve(listener)
        return OK

    return run_command(prog, command)


def _listener(prog: str, argv: list[str] | None) -> socket.socket:
    parser = Parser(prog=prog, description="The service alone, on the model's own sockets.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--fd", type=int, help="serve on this inherited listening socket")
    where.add_argument("--port", type=port_number, help=f"bind {HOST}:PORT and serve there")
    args = parser.parse_args(argv)
    if args.port is not None:
        try:
            return socket.create_server((HOST, args.port), backlog=4096)
        except OSError as exc:
            raise UsageError(f"cannot listen on {HOST}:{args.port}: {exc.strerror}") from None
    try:
        listener = socket.socket(fileno=args.fd)
    except OSError as exc:
        raise UsageError(f"--fd {args.fd}: not a socket ({exc.strerror})") from None
    if not listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        listener.detach()
        raise UsageError(f"--fd {args.fd}: not a listening socket")
    return listener
