"""ignored_exceptions in threads: the future keeps the failure, and says nothing.

    python -m threads_impl ignored_exceptions

``concurrent.futures.wait`` returns when every future is done, failed or not,
and nothing reads the results. The KeyError stays in its future for whoever
calls ``result()`` or ``exception()``; nobody does, and concurrent.futures
never mentions it: not at the failure, not when the future is collected, not
at exit. (A bare ``threading.Thread`` would print it through
``threading.excepthook``; a pool's worker catches it for the future.)
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, wait

import requests

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.ignored_exceptions import (
    IgnoredExceptionsOutcome,
    IgnoredExceptionsSpec,
    outcome_from,
)
from shared.scenarios.ip import UNRESPONSIVE, IpService


def fetch_ip(
    session: requests.Session,
    service: IpService,
    url: str,
    out: Transcript,
    answers: dict[str, str],
) -> None:
    out.say(f"Fetching IP from {service.name}")
    began = time.perf_counter()
    try:
        answer = session.get(url, timeout=HTTP_TIMEOUT)
        body = answer.json()
    except requests.ConnectionError:
        out.say(f"{service.name} is unresponsive")
        answers[service.name] = UNRESPONSIVE
        return
    ip = str(body[service.attribute])  # nothing here expects the attribute to be missing
    took = time.perf_counter() - began
    out.say(f"{service.name} finished with result: {ip}, took: {took:.2f} seconds")
    answers[service.name] = ip


def main(spec: IgnoredExceptionsSpec, out: Transcript, answers: dict[str, str]) -> None:
    calls = spec.calls()
    # One worker per request, so that they all start at once.
    with requests.Session() as session, ThreadPoolExecutor(len(calls)) as pool:
        futures = [
            pool.submit(fetch_ip, session, service, url, out, answers) for service, url in calls
        ]
        wait(futures)  # the results, and the failure, are left unread


def run(spec: IgnoredExceptionsSpec, out: Transcript) -> IgnoredExceptionsOutcome:
    answers: dict[str, str] = {}
    main(spec, out, answers)
    return outcome_from(answers, out)
