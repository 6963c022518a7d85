"""locks in gevent: greenlets switch only where a call blocks, or sleeps.

    python -m gevent_impl locks

``AsyncResult.get()`` on a result that is already set returns it at once,
without going back to the hub, so no other greenlet can run there.
``gevent.sleep(0)`` always goes back, and the hub runs the waiting greenlets
in the order they yielded: the same updates are lost every run. gevent.lock
has the primitives: a ``Semaphore`` of 1 is the lock, a ``BoundedSemaphore``
bounds the resource (monkey-patching makes ``threading.Lock`` one of them).
"""

from __future__ import annotations

import time

import gevent
import gevent.lock
from gevent.event import AsyncResult

from shared.contract import Transcript
from shared.scenarios.locks import WAYS, LocksOutcome, LocksSpec


class Counter:
    """The state every greenlet updates, the lock that guards it, and a result already there."""

    def __init__(self) -> None:
        self.value = 0
        self.lock = gevent.lock.Semaphore(1)
        self.ready = AsyncResult()
        self.ready.set(None)


class Holders:
    """Who holds the bounded resource: how many now, and the most at once."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    def enter(self) -> int:
        self.now += 1  # nothing here blocks: no other greenlet runs meanwhile
        self.peak = max(self.peak, self.now)
        return self.now

    def leave(self) -> None:
        self.now -= 1


def update(way: str, counter: Counter) -> None:
    """Add one to the counter: read it, pass the yield point, write it back."""
    if way == "locked":
        with counter.lock:
            value = counter.value
            gevent.sleep(0)
            counter.value = value + 1
        return
    value = counter.value
    if way == "ready":
        counter.ready.get()  # set already: carries on without a switch
    else:
        gevent.sleep(0)  # back to the hub: every other waiting greenlet runs first
    counter.value = value + 1


def updater(way: str, updates: int, counter: Counter) -> None:
    for _ in range(updates):
        update(way, counter)
        gevent.sleep(0)  # the others' turn, between two updates


def count(way: str, spec: LocksSpec, out: Transcript) -> int:
    """How many updates the greenlets lose, updating the counter ``way``."""
    counter = Counter()
    greenlets = [gevent.spawn(updater, way, spec.updates, counter) for _ in range(spec.tasks)]
    gevent.joinall(greenlets, raise_error=True)
    lost = spec.total() - counter.value
    out.say(f"{way}: the counter at {counter.value} of {spec.total()}, {lost} lost")
    return lost


def user(name: int, seconds: float, semaphore: gevent.lock.BoundedSemaphore, holders: Holders,
         out: Transcript) -> None:  # fmt: skip
    with semaphore:
        out.say(f"User {name} acquired the semaphore, {holders.enter()} holding it")
        gevent.sleep(seconds)
        holders.leave()
        out.say(f"User {name} released the semaphore")


def main(spec: LocksSpec, out: Transcript, outcome: LocksOutcome) -> None:
    for way in WAYS:
        outcome.lost[way] = count(way, spec, out)
    semaphore, holders = gevent.lock.BoundedSemaphore(spec.bound), Holders()
    began = time.perf_counter()
    users = [
        gevent.spawn(user, name, spec.seconds(spec.hold), semaphore, holders, out)
        for name in range(spec.users)
    ]
    gevent.joinall(users, raise_error=True)
    outcome.timings["semaphore"] = time.perf_counter() - began
    outcome.peak = holders.peak


def run(spec: LocksSpec, out: Transcript) -> LocksOutcome:
    outcome = LocksOutcome(preemptive=False)
    main(spec, out, outcome)
    return outcome
