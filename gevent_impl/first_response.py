"""first_response in gevent: ``gevent.wait(count=1)``, then ``Greenlet.kill()``.

    python -m gevent_impl first_response
    python -m gevent_impl first_response --spec '{"mode": "careless"}'

Each request is a greenlet with a requests session of its own. ``gevent.wait``
with ``count=1`` returns a list of the greenlets that are ready, not two sets.
Killing a greenlet raises GreenletExit in it at the patched socket read it is
blocked in; urllib3 closes the connection on the way out, so the server sees
the client hang up. ``killall`` blocks until the losers are dead. The careless
version just returns: the loser stays blocked, its socket open, until the
process ends.
"""

from __future__ import annotations

import time

import gevent
import requests

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.first_response import (
    CANCELLED,
    FINISHED,
    WAITING,
    FirstResponseOutcome,
    FirstResponseSpec,
    shape,
)
from shared.scenarios.ip import IpService, address


def fetch_ip(
    spec: FirstResponseSpec, service: IpService, delay: float, out: Transcript
) -> tuple[str, str, float]:
    out.say(f"Fetching IP from {service.name}")
    began = time.perf_counter()
    with requests.Session() as session:
        answer = session.get(address(spec, service, delay), timeout=HTTP_TIMEOUT)
        body = answer.json()
    return service.name, body[service.attribute], time.perf_counter() - began


def state(greenlet: gevent.Greenlet) -> str:
    if not greenlet.dead:
        return WAITING
    # A killed greenlet counts as successful; its value is the GreenletExit.
    return CANCELLED if isinstance(greenlet.value, gevent.GreenletExit) else FINISHED


def main(spec: FirstResponseSpec, out: Transcript) -> FirstResponseOutcome:
    greenlets = []
    for service, delay in spec.services():
        greenlet = gevent.Greenlet(fetch_ip, spec, service, delay, out)
        greenlet.name = service.name
        greenlet.start()
        greenlets.append(greenlet)
    waited = gevent.wait(greenlets, count=1)
    winner = next(greenlet for greenlet in greenlets if greenlet in waited)
    name, ip, took = winner.get()
    out.say(f"{name} finished with result: {ip}, took: {took:.2f} seconds")
    first = out.elapsed()
    losers = [greenlet for greenlet in greenlets if greenlet is not winner]
    if spec.mode == "tidy":
        gevent.killall(losers)  # blocks until they are dead
    for greenlet in losers:
        out.say(f"{greenlet.name}: {state(greenlet)}")
    return FirstResponseOutcome(
        winner=name,
        ip=ip,
        waited=shape(waited),
        loser=state(losers[0]),
        timings={"first": first, "returned": out.elapsed()},
    )


def run(spec: FirstResponseSpec, out: Transcript) -> FirstResponseOutcome:
    return main(spec, out)
