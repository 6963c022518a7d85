"""pools in gevent: the tutorial's ``Pool``: ``map``, then ``imap_unordered``.

    python -m gevent_impl pools

The pool spawns a greenlet for a request only when one of its own is free,
so no more than ``limit`` exist at once; the rest wait in the iterable.
``map`` returns the results in the order of the requests, ``imap_unordered``
yields them as they arrive. The monkey-patched requests session shares its
connections between the greenlets.
"""

from __future__ import annotations

import time
from functools import partial

import requests
from gevent.pool import Pool

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.pools import Gauges, PoolsOutcome, PoolsSpec, answered, conclude


def get_events(
    number: int, session: requests.Session, spec: PoolsSpec, gauges: Gauges
) -> tuple[int, bool]:
    # The pool is the limit: a greenlet that runs has a slot.
    with gauges.started.inside(), gauges.on_the_wire.inside():
        url = spec.url("/events", delay=spec.delay(number))
        answer = session.get(url, timeout=HTTP_TIMEOUT)
        return number, answered(answer.status_code, answer.json())


def map_pass(session: requests.Session, spec: PoolsSpec, gauges: Gauges) -> list[tuple[int, bool]]:
    pool = Pool(spec.limit)
    call = partial(get_events, session=session, spec=spec, gauges=gauges)
    results: list[tuple[int, bool]] = pool.map(call, spec.numbers())  # in the order of the requests
    return results


def unordered_pass(
    session: requests.Session, spec: PoolsSpec, gauges: Gauges
) -> tuple[list[tuple[int, bool]], float]:
    pool = Pool(spec.limit)
    call = partial(get_events, session=session, spec=spec, gauges=gauges)
    began = time.perf_counter()
    arrivals: list[tuple[int, bool]] = []
    first = 0.0
    for arrival in pool.imap_unordered(call, spec.numbers()):
        arrivals.append(arrival)
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
