"""chat_server in asyncio: ``asyncio.start_server``, a task per connection.

    python -m asyncio_impl chat_server
    python -m asyncio_impl chat_server --spec '{"clients": ["ann", "ben"], "lines": 5}'

The server calls ``serve_client`` in a new task for each connection, with a
StreamReader and a StreamWriter. A broadcast is a ``write()`` per client:
``write()`` only buffers and never yields, so no other task can slip a line
in between two clients, and every client gets the lines in the same order
without a lock. ``readline()`` hands back what is left at the end of the
stream even without its newline: the server checks for it. The clients are
tasks of the same loop, with ``asyncio.open_connection`` and an
``asyncio.Barrier`` to start talking together.
"""

from __future__ import annotations

import asyncio

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
        self.clients: dict[str, asyncio.StreamWriter] = {}
        self.connections = 0

    def broadcast(self, line: str) -> None:
        for writer in self.clients.values():
            writer.write(f"{line}\n".encode())


async def serve_client(
    chat: Chat, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    chat.connections += 1
    name = ""
    try:
        first = await reader.readline()
        if not first.endswith(b"\n"):  # gone before it said who it was
            return
        name = first.decode().strip()
        # No await from here to the broadcast: nothing can come in between.
        writer.write(f"{WELCOME}\n".encode())
        chat.clients[name] = writer
        chat.broadcast(joined(name))
        while (line := await reader.readline()).endswith(b"\n"):
            text = line.decode().rstrip("\n")
            if text == QUIT:
                break
            chat.broadcast(f"{name}: {text}")
        # Here on /quit, or at the end of the stream: a last line without its
        # newline (a client that vanished mid-line) is dropped.
    except ConnectionError:
        pass  # the client went away abruptly: the same as leaving
    finally:
        if chat.clients.get(name) is writer:
            del chat.clients[name]
            chat.broadcast(left(name))
        writer.close()


async def read_line(reader: asyncio.StreamReader) -> str:
    line = await reader.readline()
    if not line.endswith(b"\n"):
        raise ConnectionError("the server closed the connection")
    return line.decode().rstrip("\n")


async def client(
    spec: ChatServerSpec, port: int, name: str, joined_all: asyncio.Barrier, out: Transcript
) -> list[str]:
    async with asyncio.timeout(HTTP_TIMEOUT):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(f"{name}\n".encode())
            assert await read_line(reader) == WELCOME
            out.say(f"{name} joined")
            await joined_all.wait()
            if name == VANISHER:
                writer.write(HALF_LINE.encode())  # and no newline: it vanishes
                out.say(f"{name} vanished mid-line")
                return []
            while await read_line(reader) != left(VANISHER):
                pass
            for number in range(1, spec.lines + 1):
                writer.write(f"{said(name, number)}\n".encode())
            heard: list[str] = []
            while len(heard) < len(spec.clients) * spec.lines:
                line = await read_line(reader)
                if not line.startswith("* "):
                    heard.append(line)
            writer.write(f"{QUIT}\n".encode())
            while await reader.readline():  # departures, until the server hangs up
                pass
            out.say(f"{name} heard {len(heard)} lines and left")
            return heard
        finally:
            writer.close()
            await writer.wait_closed()


async def main(spec: ChatServerSpec, out: Transcript, outcome: ChatServerOutcome) -> None:
    chat = Chat()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_client(chat, reader, writer)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    out.say(f"Chat server on 127.0.0.1:{port}")
    names = [*spec.clients, VANISHER]
    joined_all = asyncio.Barrier(len(names))
    async with server, asyncio.TaskGroup() as tasks:
        clients = {name: tasks.create_task(client(spec, port, name, joined_all, out))
                   for name in names}  # fmt: skip
    outcome.heard = {name: clients[name].result() for name in spec.clients}
    outcome.connections = chat.connections


def run(spec: ChatServerSpec, out: Transcript) -> ChatServerOutcome:
    outcome = ChatServerOutcome()
    asyncio.run(main(spec, out, outcome))
    summarise(outcome, spec)
    out.say(f"Everyone heard the same {len(spec.clients) * spec.lines} lines: {outcome.same_order}")
    return outcome
