"""locks in threads: a thread can be switched out anywhere.

    python -m threads_impl locks

The interpreter may pass the GIL to another thread between any two bytecodes,
and ``time.sleep(0)`` hands it over on the spot; which thread runs next is the
operating system's choice. So the updates lost with a zero sleep are many, but
never quite the same number twice, and with no sleep at all none being lost
is luck, not a promise. Every shared thing a thread changes needs the lock,
the tally of the semaphore's holders included.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

from shared.contract import Transcript
from shared.scenarios.locks import WAYS, LocksOutcome, LocksSpec


class Counter:
    """The state every thread updates, the lock that guards it, and a result already there."""

    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()
        self.ready: Future[None] = Future()
        self.ready.set_result(None)


class Holders:
    """Who holds the bounded resource: how many now, and the most at once."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self._lock = threading.Lock()  # += is a read and a write: a thread may switch between

    def enter(self) -> int:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
            return self.now

    def leave(self) -> None:
        with self._lock:
            self.now -= 1


def update(way: str, counter: Counter) -> None:
    """Add one to the counter: read it, pass the yield point, write it back."""
    if way == "locked":
        with counter.lock:
            value = counter.value
            time.sleep(0)
            counter.value = value + 1
        return
    value = counter.value
    if way == "ready":
        counter.ready.result()  # done already: returns at once, but a switch may still come
    else:
        time.sleep(0)  # gives up the GIL: any other thread may run, or none
    counter.value = value + 1


def updater(way: str, updates: int, counter: Counter, start: threading.Barrier) -> None:
    start.wait()  # all at once: a thread started first would be done before the last starts
    for _ in range(updates):
        update(way, counter)
        time.sleep(0)  # the others' turn, between two updates


def count(way: str, spec: LocksSpec, out: Transcript) -> int:
    """How many updates the threads lose, updating the counter ``way``."""
    counter, start = Counter(), threading.Barrier(spec.tasks)
    threads = [
        threading.Thread(target=updater, args=(way, spec.updates, counter, start))
        for _ in range(spec.tasks)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lost = spec.total() - counter.value
    out.say(f"{way}: the counter at {counter.value} of {spec.total()}, {lost} lost")
    return lost


def user(name: int, seconds: float, semaphore: threading.BoundedSemaphore, holders: Holders,
         out: Transcript) -> None:  # fmt: skip
    with semaphore:
        out.say(f"User {name} acquired the semaphore, {holders.enter()} holding it")
        time.sleep(seconds)
        holders.leave()
        out.say(f"User {name} released the semaphore")


def main(spec: LocksSpec, out: Transcript, outcome: LocksOutcome) -> None:
    for way in WAYS:
        outcome.lost[way] = count(way, spec, out)
    semaphore, holders = threading.BoundedSemaphore(spec.bound), Holders()
    began = time.perf_counter()
    users = [
        threading.Thread(target=user, args=(name, spec.seconds(spec.hold), semaphore, holders, out))
        for name in range(spec.users)
    ]
    for thread in users:
        thread.start()
    for thread in users:
        thread.join()
    outcome.timings["semaphore"] = time.perf_counter() - began
    outcome.peak = holders.peak


def run(spec: LocksSpec, out: Transcript) -> LocksOutcome:
    outcome = LocksOutcome(preemptive=True)
    main(spec, out, outcome)
    return outcome
