"""What a child process says on its pipes: its answer within a deadline, its last words.

Our children (the services, PostgreSQL's supervisor, the load generator, the
trivial server) answer with one JSON line on stdout, and say why they failed
in the last line of their stderr.
"""

from __future__ import annotations

import selectors
from typing import IO, AnyStr


def line_within(stream: IO[AnyStr], timeout: float) -> AnyStr | None:
    """The next line on ``stream``; None if nothing came within ``timeout`` seconds.

    Waiting for the stream to be readable first keeps a child that hangs from
    hanging us: once it has begun a line, our children finish it at once.
    """
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        ready = selector.select(timeout)
    return stream.readline() if ready else None


def last_line(output: str | bytes) -> str | None:
    """The last line of what a child wrote (why it failed, as a rule); None if nothing."""
    text = output.decode(errors="replace") if isinstance(output, bytes) else output
    lines = text.strip().splitlines()
    return lines[-1] if lines else None
