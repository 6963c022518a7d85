"""timeouts in threads: ``as_completed(timeout=)`` to wait for the first future.

    python -m threads_impl timeouts
    python -m threads_impl timeouts --spec '{"timeout": 5}'

concurrent.futures has no deadline to wrap a block in: ``as_completed`` and
``wait`` take a timeout, and ``as_completed`` raises ``TimeoutError`` when it
expires. A thread cannot be interrupted, so ``Future.cancel()`` only stops a
call that has not started yet: a running request goes on to its end. The pool
is shut down without waiting, so the response goes out on time; the
interpreter waits for the requests at exit instead, which is why this model
takes longer to exit, with its worker threads and their sockets still alive
when the scenario returns.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, as_completed

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
    calls = spec.calls()
    pool = ThreadPoolExecutor(len(calls), thread_name_prefix="fetch_ip")
    fetches = {service.name: pool.submit(fetch_ip, service, url, out) for service, url in calls}
    try:
        first = next(as_completed(fetches.values(), timeout=seconds))
        outcome.response["ip"] = first.result()
    except TimeoutError as exc:
        outcome.deadline = deadline(exc)
    outcome.timings["response"] = time.perf_counter() - began
    out.say(str(outcome.response))
    for name, fetch in fetches.items():
        if fetch.cancel():  # only if its worker had not picked it up yet
            outcome.unfinished[name] = "cancelled"
        else:
            outcome.unfinished[name] = "done" if fetch.done() else "running"
        if not fetch.done() or fetch.cancelled():
            out.say(f"{name} unfinished: {outcome.unfinished[name]}")
    pool.shutdown(wait=False)


def run(spec: TimeoutsSpec, out: Transcript) -> TimeoutsOutcome:
    outcome = TimeoutsOutcome(response={"message": MESSAGE, "ip": NOT_AVAILABLE})
    main(spec, out, outcome)
    return outcome
