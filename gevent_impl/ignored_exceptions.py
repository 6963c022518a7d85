"""ignored_exceptions in gevent: the hub prints the traceback the moment the greenlet dies.

    python -m gevent_impl ignored_exceptions

``gevent.joinall`` (without ``raise_error``) returns when every greenlet is
dead, failed or not, and nothing reads the results. The failed greenlet keeps
its KeyError in ``exception``, but the hub has already printed the traceback
and "<Greenlet ...> failed with KeyError" on stderr as it died: gevent reports
every failure at once, whether or not anybody would have read it later.
"""

from __future__ import annotations

import time

import gevent
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
    with requests.Session() as session:
        greenlets = [
            gevent.spawn(fetch_ip, session, service, url, out, answers)
            for service, url in spec.calls()
        ]
        gevent.joinall(greenlets)  # the results, and the failure, are left unread


def run(spec: IgnoredExceptionsSpec, out: Transcript) -> IgnoredExceptionsOutcome:
    answers: dict[str, str] = {}
    main(spec, out, answers)
    return outcome_from(answers, out)
