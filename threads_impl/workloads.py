"""The benchmark workloads in threads: threading, queue, concurrent.futures and requests.

    python -m threads_impl bench switch --size 10000

What each workload measures, and how, is said once in ``shared.measure.bench.plan``.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

import requests
from requests.adapters import HTTPAdapter

from shared.measure.bench.records import Parked, Pass, Throughput, memory_in_use, tally

TIMEOUT = 60.0  # seconds: requests waits forever by default; no answer here takes this long

# -- spawn --------------------------------------------------------------------


def nothing() -> None:
    """The trivial task: starts, and is done."""


def spawn(tasks: int) -> float:
    """Seconds to create, start and finish ``tasks`` trivial threads."""
    start = time.perf_counter()
    threads = [threading.Thread(target=nothing) for _ in range(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


# -- memory -------------------------------------------------------------------


def parked(arrived: queue.Queue[None], release: threading.Event) -> None:
    arrived.put(None)
    release.wait()


def memory(tasks: int) -> Parked:
    """The memory that ``tasks`` threads take while they all wait on one event.

    Threads are the one model that the operating system can refuse: when it does,
    the figure is for the threads that did start, and says what stopped it.
    """
    arrived: queue.Queue[None] = queue.Queue()
    release = threading.Event()
    resident, virtual = memory_in_use()
    threads: list[threading.Thread] = []
    stopped = ""
    try:
        for _ in range(tasks):
            thread = threading.Thread(target=parked, args=(arrived, release))
            thread.start()
            threads.append(thread)
    except RuntimeError as refused:  # "can't start new thread": a limit of the system
        stopped = f"{refused} after {len(threads):,} threads"
    try:
        for _ in threads:
            arrived.get()
        now_resident, now_virtual = memory_in_use()
    finally:
        release.set()
        for thread in threads:
            thread.join()
    return Parked(len(threads), now_resident - resident, now_virtual - virtual, stopped)


# -- switch -------------------------------------------------------------------


def echo(inbox: queue.Queue[int], outbox: queue.Queue[int], rounds: int) -> None:
    for _ in range(rounds):
        outbox.put(inbox.get())


def switch(rounds: int) -> float:
    """Seconds for ``rounds`` round trips to another thread and back, through queues."""
    there: queue.Queue[int] = queue.Queue()
    back: queue.Queue[int] = queue.Queue()
    echoing = threading.Thread(target=echo, args=(there, back, rounds))
    echoing.start()
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

    A failure is returned, not raised, so that it is counted and nothing else,
    as in the other models.
    """
    try:
        with session.get(url, timeout=TIMEOUT) as answer:
            answer.raise_for_status()
    except Exception as failure:
        return failure
    return None


def fanout(url: str, count: int, tuned: bool, passes: int, deadline: float) -> list[Pass]:
    """``count`` GETs at once, ``passes`` times over the same session (cold, then warm).

    Tuned, the pool has a thread per request; by default ThreadPoolExecutor has
    min(32, cpus + 4) workers, and the requests above that wait in its queue.
    """
    results = []
    workers = count if tuned else None
    with open_session(workers) as session, ThreadPoolExecutor(workers) as pool:
        for _ in range(passes):
            start = time.perf_counter()
            futures = [pool.submit(fetch, session, url) for _ in range(count)]
            done, pending = wait(futures, timeout=deadline)
            wall = time.perf_counter() - start
            for future in pending:
                future.cancel()  # only those still queued: a running thread cannot be stopped
            failures = [future.result() for future in done]
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
    """``concurrency`` threads each doing GETs back to back, for ``seconds``."""
    with open_session(concurrency) as session, ThreadPoolExecutor(concurrency) as pool:
        start = time.perf_counter()
        workers = [
            pool.submit(keep_fetching, session, url, start + seconds) for _ in range(concurrency)
        ]
        outcomes = [outcome for worker in workers for outcome in worker.result()]
        elapsed = time.perf_counter() - start
    return Throughput(elapsed, outcomes.count(None), tally(outcomes))
