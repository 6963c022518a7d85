"""chat_server in threads: ``socketserver.ThreadingTCPServer``, a thread per connection.

    python -m threads_impl chat_server
    python -m threads_impl chat_server --spec '{"clients": ["ann", "ben"], "lines": 5}'

ThreadingTCPServer serves each connection in a new thread; its
``serve_forever`` loop runs in a thread of its own, and ``shutdown()`` stops
it. Threads can be switched anywhere, in the middle of a broadcast too, so
the broadcast holds a lock: one order for every client. ``server_close()``
joins the connections' threads (``block_on_close``), so nothing outlives the
server. The clients are threads with plain sockets and a ``threading.Barrier``
to start talking together.
"""

from __future__ import annotations

import contextlib
import io
import socket
import socketserver
import threading
from concurrent.futures import ThreadPoolExecutor

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
        self.lock = threading.RLock()

    def broadcast(self, line: str) -> None:
        with self.lock:
            for connection in list(self.clients.values()):
                # A client on its way out: its own thread announces it.
                with contextlib.suppress(OSError):
                    connection.sendall(f"{line}\n".encode())


def serve_client(chat: Chat, connection: socket.socket, _address: object) -> None:
    with chat.lock:
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
        # socketserver closes the connection once this returns.


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
        joined_all.wait(timeout=HTTP_TIMEOUT)
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

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            serve_client(chat, self.request, self.client_address)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    serving = threading.Thread(target=server.serve_forever, name="serve_forever")
    serving.start()
    port = server.server_address[1]
    out.say(f"Chat server on 127.0.0.1:{port}")
    names = [*spec.clients, VANISHER]
    joined_all = threading.Barrier(len(names))
    try:
        with ThreadPoolExecutor(len(names), thread_name_prefix="client") as pool:
            clients = {name: pool.submit(client, spec, port, name, joined_all, out)
                       for name in names}  # fmt: skip
    finally:
        server.shutdown()  # stops serve_forever
        server.server_close()  # and joins the connections' threads
        serving.join()
    outcome.heard = {name: clients[name].result() for name in spec.clients}
    outcome.connections = chat.connections


def run(spec: ChatServerSpec, out: Transcript) -> ChatServerOutcome:
    outcome = ChatServerOutcome()
    main(spec, out, outcome)
    summarise(outcome, spec)
    out.say(f"Everyone heard the same {len(spec.clients) * spec.lines} lines: {outcome.same_order}")
    return outcome
