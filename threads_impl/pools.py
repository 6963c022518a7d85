"""pools in threads: a ``ThreadPoolExecutor``: ``map``, then ``as_completed``.

    python -m threads_impl pools

The executor has ``limit`` threads, and queues the calls beyond them until
one is free. ``map`` returns the results in the order of the requests; the
executor has no ``imap_unordered``, so the unordered pass submits every call
and takes the futures from ``as_completed``. The requests session, shared by
the threads, keeps up to ten connections: more than the pool needs.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import partial

import requests

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.pools import Gauges, PoolsOutcome, PoolsSpec, answered, conclude


def get_events(
    number: int, session: requests.Session, spec: PoolsSpec, gauges: Gauges
) -> tuple[int, bool]:
    # The pool is the limit: a call that runs has a thread.
    with gauges.started.inside(), gauges.on_the_wire.inside():
        url = spec.url("/events", delay=spec.delay(number))
        answer = session.get(url, timeout=HTTP_TIMEOUT)
        return number, answered(answer.status_code, answer.json())


def map_pass(session: requests.Session, spec: PoolsSpec, gauges: Gauges) -> list[tuple[int, bool]]:
    with ThreadPoolExecutor(spec.limit, thread_name_prefix="pools") as pool:
        call = partial(get_events, session=session, spec=spec, gauges=gauges)
        return list(pool.map(call, spec.numbers()))  # in the order of the requests


def unordered_pass(
    session: requests.Session, spec: PoolsSpec, gauges: Gauges
) -> tuple[list[tuple[int, bool]], float]:
    with ThreadPoolExecutor(spec.limit, thread_name_prefix="pools") as pool:
        call = partial(get_events, session=session, spec=spec, gauges=gauges)
        began = time.perf_counter()
        arrivals: list[tuple[int, bool]] = []
        first = 0.0
        for arrival in as_completed([pool.submit(call, number) for number in spec.numbers()]):
            arrivals.append(arrival.result())
            first = first or time.perf_counter() - began
    return arrivals, first


def main(spec: PoolsSpec, out: Transcript) -> PoolsOutcome:
    gauges = Gauges()
    with requests.Session() as session:
        began = time.perf_counter()
        mapped = map_pass(session, spec, gauges)
        took = time.perf_counter() - began
        began = time.perf_counter()
        unordered, first = unordered_pass(session, spec, gauges)
        outcome = conclude(spec, mapped, unordered, gauges, out)
    outcome.timings = {"mapped": took, "first": first, "unordered": time.perf_counter() - began}
    return outcome


def run(spec: PoolsSpec, out: Transcript) -> PoolsOutcome:
    return main(spec, out)
