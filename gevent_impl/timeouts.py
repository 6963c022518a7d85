"""timeouts in gevent: ``gevent.Timeout`` around waiting for the first greenlet.

    python -m gevent_impl timeouts
    python -m gevent_impl timeouts --spec '{"timeout": 5}'

``gevent.Timeout`` derives from BaseException, not Exception, so that a broad
``except Exception`` inside the block cannot swallow the deadline: it has to
be caught by name. The requests still running are killed: ``gevent.killall``
raises GreenletExit in each, which drops its connection, and waits for them
to die.
"""

from __future__ import annotations

import time

import gevent
import requests

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.ip import IpService
from shared.scenarios.timeouts import (
    MESSAGE,
    NOT_AVAILABLE,
    TimeoutsOutcome,
    TimeoutsSpec,
    deadline,
)


def fetch_ip(service: IpService, url: str, out: Transcript) -> str:
    out.say(f"Fetching IP from {service.name}")
    began = time.perf_counter()
    body = requests.get(url, timeout=HTTP_TIMEOUT).json()
    ip = str(body[service.attribute])
    took = time.perf_counter() - began
    out.say(f"{service.name} finished with result: {ip}, took: {took:.2f} seconds")
    return ip


def main(spec: TimeoutsSpec, out: Transcript, outcome: TimeoutsOutcome) -> None:
    seconds = spec.seconds(spec.timeout)
    out.say(f"Using a {seconds:g} timeout")
    began = time.perf_counter()
    fetches = {
        service.name: gevent.spawn(fetch_ip, service, url, out) for service, url in spec.calls()
    }
    try:
        with gevent.Timeout(seconds):
            [first] = gevent.wait(list(fetches.values()), count=1)
        outcome.response["ip"] = first.get()
    except gevent.Timeout as exc:
        outcome.deadline = deadline(exc)
    outcome.timings["response"] = time.perf_counter() - began
    out.say(str(outcome.response))
    gevent.killall(list(fetches.values()))  # dead greenlets are left as they are
    for name, fetch in fetches.items():
        killed = isinstance(fetch.value, gevent.GreenletExit)
        outcome.unfinished[name] = "killed" if killed else "done"
        if killed:
            out.say(f"{name} unfinished: killed")


def run(spec: TimeoutsSpec, out: Transcript) -> TimeoutsOutcome:
    outcome = TimeoutsOutcome(response={"message": MESSAGE, "ip": NOT_AVAILABLE})
    main(spec, out, outcome)
    return outcome
