"""chat_server in gevent: ``gevent.server.StreamServer``, a greenlet per connection.

    python -m gevent_impl chat_server
    python -m gevent_impl chat_server --spec '{"clients": ["ann", "ben"], "lines": 5}'

StreamServer calls ``serve_client`` in a new greenlet for each connection,
with a cooperative socket. ``sendall`` may switch to another greenlet when a
client's buffer is full, so a broadcast half-way through its clients could
let another line overtake it at the remaining ones: a lock around the
broadcast keeps one order for everyone. The clients are greenlets with the
patched ``socket`` and ``threading.Barrier`` (patched too) to start talking
together.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading

import gevent
from gevent.lock import RLock
from gevent.pool import Pool
from gevent.server import StreamServer

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.chat_server import (
    HALF_LINE,
    QUIT,
    VANISHER,
    WELCOME,
    ChatServerOutcome,
    ChatServerSpec,
    joined,
    left,
    said,
    summarise,
)


class Chat:
    """The server's state: who is here, and how many have come."""

    def __init__(self) -> None:
        self.clients: dict[str, socket.socket] = {}
        self.connections = 0
        self.lock = RLock()

    def broadcast(self, line: str) -> None:
        with self.lock:
            for connection in list(self.clients.values()):
                # A client on its way out: its own greenlet announces it.
                with contextlib.suppress(OSError):
                    connection.sendall(f"{line}\n".encode())


def serve_client(chat: Chat, connection: socket.socket, _address: object) -> None:
    chat.connections += 1
    name = ""
    try:
        with connection.makefile("rb") as reader:
            first = reader.readline()
            if not first.endswith(b"\n"):  # gone before it said who it was
                return
            name = first.decode().strip()
            with chat.lock:  # here for every line broadcast after its welcome
                connection.sendall(f"{WELCOME}\n".encode())
                chat.clients[name] = connection
                chat.broadcast(joined(name))
            while (line := reader.readline()).endswith(b"\n"):
                text = line.decode().rstrip("\n")
                if text == QUIT:
                    break
                chat.broadcast(f"{name}: {text}")
            # Here on /quit, or at the end of the stream: a last line without
            # its newline (a client that vanished mid-line) is dropped.
    except ConnectionError:
        pass  # the client went away abruptly: the same as leaving
    finally:
        with chat.lock:
            if chat.clients.get(name) is connection:
                del chat.clients[name]
                chat.broadcast(left(name))
        connection.close()


def read_line(reader: io.BufferedReader) -> str:
    line = reader.readline()
    if not line.endswith(b"\n"):
        raise ConnectionError("the server closed the connection")
    return line.decode().rstrip("\n")


def client(
    spec: ChatServerSpec, port: int, name: str, joined_all: threading.Barrier, out: Transcript
) -> list[str]:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT) as connection,
        connection.makefile("rb") as reader,
    ):
        connection.sendall(f"{name}\n".encode())
        assert read_line(reader) == WELCOME
        out.say(f"{name} joined")
        joined_all.wait()
        if name == VANISHER:
            connection.sendall(HALF_LINE.encode())  # and no newline: it vanishes
            out.say(f"{name} vanished mid-line")
            return []
        while read_line(reader) != left(VANISHER):
            pass
        for number in range(1, spec.lines + 1):
            connection.sendall(f"{said(name, number)}\n".encode())
        heard: list[str] = []
        while len(heard) < len(spec.clients) * spec.lines:
            line = read_line(reader)
            if not line.startswith("* "):
                heard.append(line)
        connection.sendall(f"{QUIT}\n".encode())
        while reader.readline():  # departures, until the server hangs up
            pass
        out.say(f"{name} heard {len(heard)} lines and left")
        return heard


def main(spec: ChatServerSpec, out: Transcript, outcome: ChatServerOutcome) -> None:
    chat = Chat()
    # With a pool to spawn them in, stop() waits for the connections' greenlets.
    connections = Pool()
    server = StreamServer(
        ("127.0.0.1", 0), lambda *args: serve_client(chat, *args), spawn=connections
    )
    server.start()
    port = server.address[1]
    out.say(f"Chat server on 127.0.0.1:{port}")
    names = [*spec.clients, VANISHER]
    joined_all = threading.Barrier(len(names))
    try:
        clients = {name: gevent.spawn(client, spec, port, name, joined_all, out)
                   for name in names}  # fmt: skip
        gevent.joinall(list(clients.values()), raise_error=True)
    finally:
        server.stop(timeout=HTTP_TIMEOUT)
    outcome.heard = {name: clients[name].get() for name in spec.clients}
    outcome.connections = chat.connections


def run(spec: ChatServerSpec, out: Transcript) -> ChatServerOutcome:
    outcome = ChatServerOutcome()
    main(spec, out, outcome)
    summarise(outcome, spec)
    out.say(f"Everyone heard the same {len(spec.clients) * spec.lines} lines: {outcome.same_order}")
    return outcome
