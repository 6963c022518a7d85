"""The gevent tutorial's Chat Server: a line-based TCP chat, its clients all at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.contract import Expected, Outcome, Scenario, Spec

#: The protocol, one line each way, UTF-8, "\n" at the end:
#: a client sends its name first and gets WELCOME back; then every line it
#: sends is broadcast to every client, itself included, as "name: text";
#: QUIT leaves, and the server closes the connection. The server announces
#: arrivals and departures as "* name joined" and "* name left". A line cut
#: short by the end of the connection is dropped: it was never said.
WELCOME = "welcome"
QUIT = "/quit"

#: The client that vanishes: it joins, sends half a line and closes.
VANISHER = "mallory"
HALF_LINE = "half a li"


def said(name: str, number: int) -> str:
    """What client ``name`` says the ``number``-th time."""
    return f"line {number} from {name}"


def joined(name: str) -> str:
    return f"* {name} joined"


def left(name: str) -> str:
    return f"* {name} left"


@dataclass(frozen=True, kw_only=True)
class ChatServerSpec(Spec):
    clients: tuple[str, ...] = ("alice", "bob", "carol")
    lines: int = 3  # each client says this many lines, all clients at once

    def __post_init__(self) -> None:
        super().__post_init__()
        names = [*self.clients, VANISHER]
        if not self.clients or len(set(names)) != len(names) or self.lines < 1:
            raise ValueError(
                f"clients must be distinct names (not {VANISHER!r}), and lines at least 1"
            )
        if any(not name.isidentifier() for name in self.clients):
            raise ValueError("client names must be plain words")


@dataclass(kw_only=True)
class ChatServerOutcome(Outcome):
    # What each client heard of the talk ("name: text" lines), from the
    # vanisher's departure to its own last expected line: checked, then
    # summed up in the facts below.
    heard: dict[str, list[str]] = field(default_factory=dict)
    lines_each: dict[str, int] = field(default_factory=dict)  # talk lines each client got
    same_order: bool = False  # every client heard the talk in one and the same order
    sender_order: bool = False  # each speaker's lines in the order they were said
    half_line_heard: bool = True  # anyone heard the vanisher's half line
    connections: int = 0  # the server handled these, the vanisher's included

    def facts(self) -> dict[str, Any]:
        facts = super().facts()
        del facts["heard"]  # its order is the server's to choose, run by run
        return facts


def summarise(outcome: ChatServerOutcome, spec: ChatServerSpec) -> None:
    """Fill in the facts from what the clients heard."""
    heard = outcome.heard
    outcome.lines_each = {name: len(lines) for name, lines in heard.items()}
    orders = {tuple(lines) for lines in heard.values()}
    outcome.same_order = len(orders) == 1
    outcome.sender_order = all(
        [line for line in lines if line.startswith(f"{name}: ")]
        == [f"{name}: {said(name, n)}" for n in range(1, spec.lines + 1)]
        for lines in heard.values()
        for name in spec.clients
    )
    outcome.half_line_heard = any(HALF_LINE in line for lines in heard.values() for line in lines)


def expect(spec: ChatServerSpec, model: str) -> Expected:
    talk = len(spec.clients) * spec.lines
    return Expected(
        facts={
            "lines_each": dict.fromkeys(spec.clients, talk),
            "same_order": True,
            "sender_order": True,
            "half_line_heard": False,
            "connections": len(spec.clients) + 1,
        }
    )


SCENARIO = Scenario(
    name="chat_server",
    article="tutorial: Chat Server",
    summary="a line-based TCP chat: every client hears every line, in one order",
    idea=(
        "A chat server on 127.0.0.1 and a free port, inside the model's process: "
        "asyncio.start_server, gevent.server.StreamServer, "
        "socketserver.ThreadingTCPServer, each handling a connection per task, "
        "greenlet or thread. Clients of the same model join at once; one of them "
        "vanishes in the middle of a line (it closes without the newline), which "
        "must neither take the server down nor reach the others as a line. Then "
        "the others talk at once, and every client must hear every line, in one "
        "and the same order, each speaker's lines in the order said. In asyncio a "
        "broadcast is a few write() calls that never yield, so one order comes for "
        "free; a greenlet's or a thread's sendall can be interrupted half-way "
        "through the clients, so the gevent and threads servers broadcast under a "
        "lock."
    ),
    spec_type=ChatServerSpec,
    outcome_type=ChatServerOutcome,
    expect=expect,
)
