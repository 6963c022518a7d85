"""as_completed in gevent: ``gevent.iwait`` over the request greenlets.

    python -m gevent_impl as_completed

``gevent.iwait`` yields each greenlet itself as it finishes; ``get()`` returns
its result (or raises its failure). Used as a context manager, it unlinks
itself from the greenlets even if the loop is left early.
"""

from __future__ import annotations

import time
from typing import Any

import gevent
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
    # The session's pool keeps 10 connections per host, more than this needs.
    with requests.Session() as session:
        fetches = [
            gevent.spawn(fetch_events, session, spec, process, out)
            for process in range(1, len(spec.delays) + 1)
        ]
        handles = []
        with gevent.iwait(fetches) as arrivals:
            for rank, arrival in enumerate(arrivals, 1):
                handles.append(arrival in fetches)
                process, date, took, summary = arrival.get()
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
