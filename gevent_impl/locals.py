"""locals in gevent: ``threading.local``, patched, is per greenlet.

    python -m gevent_impl locals

Monkey-patching replaces ``threading.local`` with ``gevent.local.local``, whose
attributes each greenlet has its own of; a greenlet also has a ``contextvars``
context of its own, which starts empty: ``gevent.spawn`` hands the child
nothing of its creator's state. To pass the context on, spawn the child's
function through ``contextvars.copy_context().run``.
"""

from __future__ import annotations

import contextvars
import threading

import gevent
from gevent.event import Event

from shared.contract import Transcript
from shared.scenarios.locals import AFTER, BEFORE, CHILD, NOTHING, LocalsOutcome, LocalsSpec

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NOTHING)
state = threading.local()  # gevent.local.local, since the package patched threading


def read(who: str, out: Transcript) -> dict[str, str]:
    """Both kinds of state, as this greenlet sees them."""
    seen = {"contextvar": request_id.get(), "local": getattr(state, "value", NOTHING)}
    out.say(f"{who} sees contextvar={seen['contextvar']}, local={seen['local']}")
    return seen


def write(value: str) -> None:
    request_id.set(value)
    state.value = value


def child(go: Event, out: Transcript, seen: dict[str, str]) -> None:
    go.wait()
    seen.update(read("Child", out))
    write(CHILD)


def main(out: Transcript, outcome: LocalsOutcome) -> None:
    write(BEFORE)
    out.say(f"Creator sets both to {BEFORE}, starts a child, sets both to {AFTER}")
    go = Event()
    greenlet = gevent.spawn(child, go, out, outcome.child)  # an empty context of its own
    write(AFTER)
    go.set()
    greenlet.get()
    outcome.creator = read("Creator", out)
    out.say("Creator starts a child in a copy of its context")
    copy = contextvars.copy_context()
    seen: dict[str, str] = {}
    gevent.spawn(copy.run, child, go, out, seen).get()
    outcome.copied = {"child": seen["contextvar"], "creator": read("Creator", out)["contextvar"]}


def run(spec: LocalsSpec, out: Transcript) -> LocalsOutcome:
    outcome = LocalsOutcome()
    main(out, outcome)
    return outcome
