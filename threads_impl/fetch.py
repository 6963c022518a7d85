"""fetch in threads: plain requests calls, one pool worker each.

    python -m threads_impl fetch

The pool has one worker per request, on purpose: ``ThreadPoolExecutor``'s
default of min(32, cpus + 4) workers would quietly queue a bigger fan-out.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

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
    with requests.Session() as session, ThreadPoolExecutor(len(spec.delays)) as pool:
        futures = [
            pool.submit(fetch_events, session, spec, process, out)
            for process in range(1, len(spec.delays) + 1)
        ]
        return [future.result() for future in futures]


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
