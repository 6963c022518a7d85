"""future_states in gevent: ``gevent.Greenlet`` for work, ``gevent.event.AsyncResult`` by hand.

    python -m gevent_impl future_states

A greenlet is ``started`` from the moment it is spawned until it is dead, so
nothing tells a greenlet that waits from one that has not run yet: no
``running()``. Nor is there ``cancelled()``: ``kill()`` raises GreenletExit in
it, which counts as a success, so a killed greenlet is ready and its value is
the GreenletExit. ``get()`` blocks (switching to the other greenlets) until
the greenlet is done; ``get(block=False)`` raises gevent's Timeout instead.
A greenlet that dies of an exception has its traceback printed by the hub,
even if someone reads the exception later.
"""

from __future__ import annotations

import gevent
from gevent.event import AsyncResult, Event

from shared.contract import IP, Transcript
from shared.scenarios.future_states import (
    NA,
    OTHER_IP,
    FutureStatesOutcome,
    FutureStatesSpec,
    accepted,
    answer,
    called,
    failure,
    fate,
    noting,
    report,
    waited,
)


class Work:
    """Work that starts, waits until it is released, and notes what happened to it."""

    def __init__(self, *, fail: bool = False) -> None:
        self.started = Event()
        self.release = Event()
        self.trace: list[str] = []
        self.fail = fail

    def __call__(self) -> str:
        self.started.set()
        try:
            self.release.wait()
        except BaseException as exc:
            self.trace.append(f"{type(exc).__name__} inside")
            raise
        if self.fail:
            raise failure()
        self.trace.append("runs to the end")
        return IP

    def fate(self) -> str:
        return fate(self.started.is_set(), self.trace)


def row(greenlet: gevent.Greenlet) -> dict[str, str]:
    return {
        "done": answer(lambda: bool(greenlet.ready())),
        "running": NA,
        "cancelled": NA,
        "result": answer(lambda: greenlet.get(block=False)),
        "exception": answer(lambda: greenlet.exception),
    }


def who() -> str:
    """Who is calling: ``link`` runs a callback in a plain greenlet the hub starts."""
    current, hub = gevent.getcurrent(), gevent.get_hub()
    by_hub = current is hub or (not isinstance(current, gevent.Greenlet) and current.parent is hub)
    return "the hub" if by_hub else "a greenlet"


def states() -> dict[str, dict[str, str]]:
    rows = {}
    work = Work()
    greenlet = gevent.spawn(work)
    rows["pending"] = row(greenlet)
    work.started.wait()
    rows["running"] = row(greenlet)
    work.release.set()
    greenlet.join()
    rows["done with a result"] = row(greenlet)
    failing = Work(fail=True)
    failing.release.set()
    greenlet = gevent.spawn(failing)
    greenlet.join()
    rows["done with an exception"] = row(greenlet)
    greenlet = gevent.spawn(Work())
    greenlet.kill()
    rows["cancelled"] = row(greenlet)
    return rows


def actions(spec: FutureStatesSpec) -> dict[str, str]:
    done: dict[str, str] = {}

    work = Work()
    greenlet = gevent.spawn(work)
    work.started.wait()
    gevent.spawn_later(spec.seconds(spec.release), work.release.set)
    done["result() before done"] = waited(greenlet.get, lambda: bool(greenlet.ready()))
    greenlet.join()

    work = Work()
    greenlet = gevent.spawn(work)
    returned = answer(greenlet.kill)
    greenlet.join()
    done["cancel() a pending one"] = f"{returned}; {work.fate()}"

    work = Work()
    greenlet = gevent.spawn(work)
    work.started.wait()
    returned = answer(greenlet.kill)  # blocks until it is dead
    greenlet.join()
    done["cancel() a running one"] = f"{returned}; {work.fate()}"

    calls: list[str] = []
    work = Work()
    greenlet = gevent.spawn(work)
    greenlet.link(noting(greenlet, calls, who))
    work.release.set()
    greenlet.join()
    gevent.sleep(0)  # the hub runs the links it scheduled
    done["done-callback"] = called(calls)

    calls.clear()
    greenlet.link(noting(greenlet, calls, who))
    at_once = bool(calls)
    gevent.sleep(0)
    done["done-callback added once done"] = called(calls, at_once)

    future: AsyncResult = AsyncResult()
    future.set(IP)
    done["result set by hand"] = (
        f"done: {answer(lambda: bool(future.ready()))}, "
        f"result: {answer(lambda: future.get(block=False))}"
    )
    again = accepted(lambda: future.set(OTHER_IP))
    done["result set twice"] = f"{again}; result: {answer(lambda: future.get(block=False))}"
    return done


def main(spec: FutureStatesSpec) -> FutureStatesOutcome:
    return FutureStatesOutcome(states=states(), actions=actions(spec))


def run(spec: FutureStatesSpec, out: Transcript) -> FutureStatesOutcome:
    outcome = main(spec)
    report(outcome.states, outcome.actions, out)
    return outcome
