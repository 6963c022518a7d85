"""locals in asyncio: ``contextvars`` are the per-task state.

    python -m asyncio_impl locals

``create_task`` runs the new task in a copy of the current context (or in the
``context=`` given), taken right then: later changes on either side stay on
their side. ``threading.local`` is no use for per-task state here, as every
task of the event loop runs in the same thread and so shares it.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading

from shared.contract import Transcript
from shared.scenarios.locals import AFTER, BEFORE, CHILD, NOTHING, LocalsOutcome, LocalsSpec

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NOTHING)
state = threading.local()


def read(who: str, out: Transcript) -> dict[str, str]:
    """Both kinds of state, as this task sees them."""
    seen = {"contextvar": request_id.get(), "local": getattr(state, "value", NOTHING)}
    out.say(f"{who} sees contextvar={seen['contextvar']}, local={seen['local']}")
    return seen


def write(value: str) -> None:
    request_id.set(value)
    state.value = value


async def child(go: asyncio.Event, out: Transcript, seen: dict[str, str]) -> None:
    await go.wait()
    seen.update(read("Child", out))
    write(CHILD)


async def main(out: Transcript, outcome: LocalsOutcome) -> None:
    write(BEFORE)
    out.say(f"Creator sets both to {BEFORE}, starts a child, sets both to {AFTER}")
    go = asyncio.Event()
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(child(go, out, outcome.child))  # a copy of the context, now
        write(AFTER)
        go.set()
    outcome.creator = read("Creator", out)
    out.say("Creator starts a child in a copy of its context")
    copy = contextvars.copy_context()
    seen: dict[str, str] = {}
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(child(go, out, seen), context=copy)
    outcome.copied = {"child": seen["contextvar"], "creator": read("Creator", out)["contextvar"]}


def run(spec: LocalsSpec, out: Transcript) -> LocalsOutcome:
    outcome = LocalsOutcome()
    asyncio.run(main(out, outcome))
    return outcome
