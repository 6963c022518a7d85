"""The benchmark workloads in gevent: greenlets, gevent.queue and monkey-patched requests.

    python -m gevent_impl bench switch --size 10000

What each workload measures, and how, is said once in ``shared.measure.bench.plan``.
The package has patched the interpreter before this module is imported, so
``requests`` waits on gevent's hub and every greenlet runs while another waits.
"""

from __future__ import annotations

import time

import gevent
import gevent.event
import gevent.queue
import requests
from requests.adapters import HTTPAdapter

from shared.measure.bench.records import Parked, Pass, Throughput, memory_in_use, tally

TIMEOUT = 60.0  # seconds: requests waits forever by default; no answer here takes this long

# -- spawn --------------------------------------------------------------------


def nothing() -> None:
    """The trivial task: starts, and is done."""


def spawn(tasks: int) -> float:
    """Seconds to create, start and finish ``tasks`` trivial greenlets."""
    start = time.perf_counter()
    greenlets = [gevent.spawn(nothing) for _ in range(tasks)]
    gevent.joinall(greenlets)
    return time.perf_counter() - start


# -- memory -------------------------------------------------------------------


def parked(arrived: gevent.queue.Queue, release: gevent.event.Event) -> None:
    arrived.put(None)
    release.wait()


def memory(tasks: int) -> Parked:
    """The memory that ``tasks`` greenlets take while they all wait on one event."""
    arrived = gevent.queue.Queue()
    release = gevent.event.Event()
    resident, virtual = memory_in_use()
    greenlets = [gevent.spawn(parked, arrived, release) for _ in range(tasks)]
    for _ in range(tasks):
        arrived.get()
    now_resident, now_virtual = memory_in_use()
    release.set()
    gevent.joinall(greenlets)
    return Parked(tasks, now_resident - resident, now_virtual - virtual)


# -- switch -------------------------------------------------------------------


def echo(inbox: gevent.queue.Queue, outbox: gevent.queue.Queue, rounds: int) -> None:
    for _ in range(rounds):
        outbox.put(inbox.get())


def switch(rounds: int) -> float:
    """Seconds for ``rounds`` round trips to another greenlet and back, through queues."""
    there = gevent.queue.Queue()
    back = gevent.queue.Queue()
    echoing = gevent.spawn(echo, there, back, rounds)
    start = time.perf_counter()
    for number in range(rounds):
        there.put(number)
        back.get()
    seconds = time.perf_counter() - start
    echoing.join()
    return seconds


# -- fan-out and throughput ---------------------------------------------------


def open_session(connections: int | None) -> requests.Session:
    """A session that keeps ``connections`` connections (None: requests' 10 per host).

    The pool's size is no cap: with more requests at once than it keeps, requests
    opens more connections, then closes each one that does not fit back in.
    """
    session = requests.Session()
    if connections is not None:
        session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=connections))
    return session


def fetch(session: requests.Session, url: str) -> Exception | None:
    """GET ``url``: None when it was answered, else the failure.

    A failure is returned, not raised, so that it is counted and nothing else:
    gevent's hub would print the traceback of every greenlet that raised.
    """
    try:
        with session.get(url, timeout=TIMEOUT) as answer:
            answer.raise_for_status()
    except Exception as failure:
        return failure
    return None


def fanout(url: str, count: int, tuned: bool, passes: int, deadline: float) -> list[Pass]:
    """``count`` GETs at once, ``passes`` times over the same session (cold, then warm).

    Greenlets have no cap either way. Tuned, the pool keeps one connection per
    request; by default it keeps 10, so a warm pass opens most connections anew.
    """
    results = []
    with open_session(count if tuned else None) as session:
        for _ in range(passes):
            start = time.perf_counter()
            greenlets = [gevent.spawn(fetch, session, url) for _ in range(count)]
            done = gevent.joinall(greenlets, timeout=deadline)
            wall = time.perf_counter() - start
            pending = [greenlet for greenlet in greenlets if not greenlet.ready()]
            gevent.killall(pending)
            failures = [greenlet.value for greenlet in done]
            results.append(Pass(wall, failures.count(None), tally(failures), len(pending)))
            if pending:
                break
    return results


def keep_fetching(session: requests.Session, url: str, until: float) -> list[Exception | None]:
    outcomes = []
    while time.perf_counter() < until:
        outcomes.append(fetch(session, url))
    return outcomes


def throughput(url: str, seconds: float, concurrency: int) -> Throughput:
    """``concurrency`` greenlets each doing GETs back to back, for ``seconds``."""
    with open_session(concurrency) as session:
        start = time.perf_counter()
        workers = [
            gevent.spawn(keep_fetching, session, url, start + seconds) for _ in range(concurrency)
        ]
        gevent.joinall(workers, raise_error=True)
        elapsed = time.perf_counter() - start
    outcomes = [outcome for worker in workers for outcome in worker.value]
    return Throughput(elapsed, outcomes.count(None), tally(outcomes))
