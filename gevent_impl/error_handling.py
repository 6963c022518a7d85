"""error_handling in gevent: each greenlet catches requests' connection error itself.

    python -m gevent_impl error_handling

requests reports a refused connection as ``requests.ConnectionError`` (an
``OSError``), the same as in plain blocking code: the try/except is the
synchronous one, word for word.
"""

from __future__ import annotations

import time

import gevent
import requests

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.error_handling import ErrorHandlingOutcome, ErrorHandlingSpec
from shared.scenarios.ip import UNRESPONSIVE, IpService, root_cause


def fetch_ip(
    session: requests.Session, service: IpService, url: str, out: Transcript
) -> tuple[str, str]:
    """The IP, or "unresponsive" and why."""
    out.say(f"Fetching IP from {service.name}")
    began = time.perf_counter()
    try:
        body = session.get(url, timeout=HTTP_TIMEOUT).json()
    except requests.ConnectionError as exc:
        out.say(f"{service.name} is unresponsive")
        return UNRESPONSIVE, root_cause(exc)
    ip = str(body[service.attribute])
    took = time.perf_counter() - began
    out.say(f"{service.name} finished with result: {ip}, took: {took:.2f} seconds")
    return ip, ""


def main(spec: ErrorHandlingSpec, out: Transcript) -> dict[str, tuple[str, str]]:
    with requests.Session() as session:
        fetches = {
            service.name: gevent.spawn(fetch_ip, session, service, url, out)
            for service, url in spec.calls()
        }
        gevent.joinall(list(fetches.values()), raise_error=True)
    return {name: fetch.value for name, fetch in fetches.items()}


def run(spec: ErrorHandlingSpec, out: Transcript) -> ErrorHandlingOutcome:
    start = time.perf_counter()
    answers = main(spec, out)
    seconds = time.perf_counter() - start
    return ErrorHandlingOutcome(
        results={name: result for name, (result, _) in answers.items()},
        causes={name: cause for name, (_, cause) in answers.items() if cause},
        timings={"total": seconds},
    )
