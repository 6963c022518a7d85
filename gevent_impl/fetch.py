"""fetch in gevent: plain requests calls, one greenlet each.

    python -m gevent_impl fetch

The code is the synchronous code: the monkey-patched socket makes each
``requests.get`` give control away while it waits for the answer.
"""

from __future__ import annotations

import time
from typing import Any

import gevent
import requests

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios import baseline
from shared.scenarios.fetch import FetchOutcome, FetchSpec


def fetch_events(
    session: requests.Session, spec: FetchSpec, process: int, out: Transcript
) -> dict[str, Any]:
    out.say(f"Fetch async process {process} started")
    began = time.perf_counter()
    delay = spec.seconds(spec.delays[process - 1])
    answer = session.get(spec.url("/events", delay=delay), timeout=HTTP_TIMEOUT)
    took = time.perf_counter() - began
    out.say(f"Process {process}: {answer.headers['Date']}, took: {took:.2f} seconds")
    return baseline.summary(process, answer.status_code, answer.json(), answer.headers)


def main(spec: FetchSpec, out: Transcript) -> list[dict[str, Any]]:
    out.say("Asynchronous:")
    # The session's pool keeps 10 connections per host, more than this needs;
    # a bigger fan-out would raise pool_maxsize on purpose.
    with requests.Session() as session:
        greenlets = [
            gevent.spawn(fetch_events, session, spec, process, out)
            for process in range(1, len(spec.delays) + 1)
        ]
        gevent.joinall(greenlets, raise_error=True)
    return [greenlet.value for greenlet in greenlets]


def run(spec: FetchSpec, out: Transcript) -> FetchOutcome:
    synchronous, synchronous_seconds = baseline.fetch(spec, out)
    start = time.perf_counter()
    concurrent = main(spec, out)
    seconds = time.perf_counter() - start
    out.say(f"Process took: {seconds:.2f} seconds")
    return FetchOutcome(
        synchronous=synchronous,
        concurrent=concurrent,
        timings={"synchronous": synchronous_seconds, "concurrent": seconds},
    )
