"""The synchronous halves of the article's examples 1c and 1d.

Not a model: plain blocking code, the baseline the three models are measured
against. Every model's scenario runs it first, as the article does, so the
two halves print one after the other under the same conditions.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.fetch import FetchSpec
from shared.scenarios.ordering import OrderingSpec


def ordering(spec: OrderingSpec, out: Transcript) -> tuple[list[int], float]:
    """Each task sleeps and reports, one after the other: the call order."""
    out.say("Synchronous:")
    start = time.perf_counter()
    finished = []
    for pid, seconds in spec.delays().items():
        time.sleep(seconds)
        out.say(f"Task {pid} done")
        finished.append(pid)
    return finished, time.perf_counter() - start


def fetch(spec: FetchSpec, out: Transcript) -> tuple[list[dict[str, Any]], float]:
    """The GETs one after the other, with requests: the sum of their times."""
    out.say("Synchronous:")
    start = time.perf_counter()
    responses = []
    with requests.Session() as session:
        for process, delay in enumerate(spec.delays, 1):
            out.say(f"Fetch sync process {process} started")
            began = time.perf_counter()
            answer = session.get(
                spec.url("/events", delay=spec.seconds(delay)), timeout=HTTP_TIMEOUT
            )
            took = time.perf_counter() - began
            out.say(f"Process {process}: {answer.headers['Date']}, took: {took:.2f} seconds")
            responses.append(summary(process, answer.status_code, answer.json(), answer.headers))
    total = time.perf_counter() - start
    out.say(f"Process took: {total:.2f} seconds")
    return responses, total


def summary(process: int, status: int, body: Any, headers: Any) -> dict[str, Any]:
    """The facts of one events response that every model must agree on."""
    return {"process": process, "status": status, "events": len(body), "dated": "Date" in headers}
