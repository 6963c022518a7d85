"""as_completed in threads: ``concurrent.futures.as_completed`` over the pool's futures.

    python -m threads_impl as_completed

``as_completed`` yields each future itself as it finishes; ``result()`` returns
its result (or raises its failure). One worker per request, on purpose (see
fetch).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

import requests

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios import baseline
from shared.scenarios.as_completed import AsCompletedOutcome, AsCompletedSpec, handled

Answer = tuple[int, str, float, dict[str, Any]]  # process, Date header, seconds, summary


def fetch_events(
    session: requests.Session, spec: AsCompletedSpec, process: int, out: Transcript
) -> Answer:
    delay = spec.seconds(spec.delays[process - 1])
    # The service does the sleeping that the article's processes did themselves.
    out.say(f"Fetch async process {process} started, sleeping for {delay:g} seconds")
    began = time.perf_counter()
    answer = session.get(spec.url("/events", delay=delay), timeout=HTTP_TIMEOUT)
    summary = baseline.summary(process, answer.status_code, answer.json(), answer.headers)
    return process, answer.headers["Date"], time.perf_counter() - began, summary


def main(spec: AsCompletedSpec, out: Transcript, outcome: AsCompletedOutcome) -> None:
    began = time.perf_counter()
    with requests.Session() as session, ThreadPoolExecutor(len(spec.delays)) as pool:
        fetches = [
            pool.submit(fetch_events, session, spec, process, out)
            for process in range(1, len(spec.delays) + 1)
        ]
        handles = []
        for rank, arrival in enumerate(as_completed(fetches), 1):
            handles.append(arrival in fetches)
            process, date, took, summary = arrival.result()
            outcome.timings.setdefault("first", time.perf_counter() - began)
            out.say(f"{handled(rank, process)}: {date}, took: {took:.2f} seconds")
            outcome.handled.append(handled(rank, process))
            outcome.responses.append(summary)
    outcome.yields_handles = all(handles)


def run(spec: AsCompletedSpec, out: Transcript) -> AsCompletedOutcome:
    outcome = AsCompletedOutcome()
    start = time.perf_counter()
    main(spec, out, outcome)
    seconds = time.perf_counter() - start
    out.say(f"Process took: {seconds:.2f} seconds")
    outcome.timings["total"] = seconds
    return outcome
