"""future_exceptions in threads: a future's failure waits in it until ``future.result()``.

    python -m threads_impl future_exceptions

``concurrent.futures.wait`` returns when all are done, failed or not; the
worker thread that failed says nothing, and ``result()`` raises the exception
again, its traceback running from the reading line through the pool's
internals to the line in the worker that raised it.
"""

from __future__ import annotations

import time
import traceback
from concurrent.futures import ThreadPoolExecutor, wait

import requests

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.future_exceptions import (
    FutureExceptionsOutcome,
    FutureExceptionsSpec,
    where,
)
from shared.scenarios.ip import UNRESPONSIVE, IpService


def fetch_ip(session: requests.Session, service: IpService, url: str, out: Transcript) -> str:
    out.say(f"Fetching IP from {service.name}")
    began = time.perf_counter()
    try:
        body = session.get(url, timeout=HTTP_TIMEOUT).json()
    except requests.ConnectionError:
        out.say(f"{service.name} is unresponsive")
        return UNRESPONSIVE
    ip = str(body[service.attribute])  # nothing here expects the attribute to be missing
    took = time.perf_counter() - began
    out.say(f"{service.name} finished with result: {ip}, took: {took:.2f} seconds")
    return ip


def main(spec: FutureExceptionsSpec, out: Transcript, outcome: FutureExceptionsOutcome) -> None:
    calls = spec.calls()
    with requests.Session() as session, ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(fetch_ip, session, service, url, out) for service, url in calls]
        wait(futures)
    for (service, _), future in zip(calls, futures, strict=True):
        try:
            ip = future.result()
        except Exception as exc:
            out.say(f"Unexpected error: {''.join(traceback.format_exception(exc)).rstrip()}")
            outcome.read[service.name] = repr(exc)
            outcome.errors[service.name] = where(exc)
        else:
            outcome.read[service.name] = ip


def run(spec: FutureExceptionsSpec, out: Transcript) -> FutureExceptionsOutcome:
    outcome = FutureExceptionsOutcome()
    start = time.perf_counter()
    main(spec, out, outcome)
    outcome.timings["total"] = time.perf_counter() - start
    return outcome
