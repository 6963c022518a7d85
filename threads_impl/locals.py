"""locals in threads: ``threading.local`` is per thread, and so is the context.

    python -m threads_impl locals

A new thread starts with an empty ``contextvars`` context (3.14 adds
``Thread(context=)``, and free-threaded builds copy the creator's by default)
and with none of its creator's ``threading.local`` attributes. To pass the
context on, run the thread's function through
``contextvars.copy_context().run``, as ``asyncio.to_thread`` does.
"""

from __future__ import annotations

import contextvars
import threading

from shared.contract import Transcript
from shared.scenarios.locals import AFTER, BEFORE, CHILD, NOTHING, LocalsOutcome, LocalsSpec

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NOTHING)
state = threading.local()


def read(who: str, out: Transcript) -> dict[str, str]:
    """Both kinds of state, as this thread sees them."""
    seen = {"contextvar": request_id.get(), "local": getattr(state, "value", NOTHING)}
    out.say(f"{who} sees contextvar={seen['contextvar']}, local={seen['local']}")
    return seen


def write(value: str) -> None:
    request_id.set(value)
    state.value = value


def child(go: threading.Event, out: Transcript, seen: dict[str, str]) -> None:
    go.wait()
    seen.update(read("Child", out))
    write(CHILD)


def main(out: Transcript, outcome: LocalsOutcome) -> None:
    write(BEFORE)
    out.say(f"Creator sets both to {BEFORE}, starts a child, sets both to {AFTER}")
    go = threading.Event()
    thread = threading.Thread(target=child, args=(go, out, outcome.child))  # an empty context
    thread.start()
    write(AFTER)
    go.set()
    thread.join()
    outcome.creator = read("Creator", out)
    out.say("Creator starts a child in a copy of its context")
    copy = contextvars.copy_context()
    seen: dict[str, str] = {}
    thread = threading.Thread(target=copy.run, args=(child, go, out, seen))
    thread.start()
    thread.join()
    outcome.copied = {"child": seen["contextvar"], "creator": read("Creator", out)["contextvar"]}


def run(spec: LocalsSpec, out: Transcript) -> LocalsOutcome:
    outcome = LocalsOutcome()
    main(out, outcome)
    return outcome
