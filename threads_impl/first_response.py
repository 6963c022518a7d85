"""first_response in threads: ``wait(FIRST_COMPLETED)``, and a loser that cannot be stopped.

    python -m threads_impl first_response
    python -m threads_impl first_response --spec '{"mode": "careless"}'

Each request runs in a pool worker, with a requests session of its own.
``concurrent.futures.wait`` hands back two sets, done and pending, as asyncio's
does. But ``Future.cancel()`` only cancels work still queued: a running future
says False and goes on, since Python cannot interrupt a thread blocked in a
read. So the tidy version, which must leave no thread behind, waits for the
loser as it shuts the pool down. The careless version does not shut the pool
down: the interpreter then waits for the loser at exit.
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import requests

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.first_response import (
    CANCELLED,
    FINISHED,
    THREAD_PREFIX,
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


def state(future: Future[tuple[str, str, float]]) -> str:
    if future.cancelled():
        return CANCELLED
    return FINISHED if future.done() else WAITING


def main(spec: FirstResponseSpec, out: Transcript) -> FirstResponseOutcome:
    # One worker per service, so that every request starts at once; no ``with``
    # block, which would wait for the loser even in careless mode.
    pool = ThreadPoolExecutor(len(spec.services()), thread_name_prefix=THREAD_PREFIX)
    futures = {pool.submit(fetch_ip, spec, service, delay, out): service.name
               for service, delay in spec.services()}  # fmt: skip
    waited = wait(futures, return_when=FIRST_COMPLETED)
    done, pending = waited
    winner = next(future for future in futures if future in done)
    name, ip, took = winner.result()
    out.say(f"{name} finished with result: {ip}, took: {took:.2f} seconds")
    first = out.elapsed()
    losers = [future for future in futures if future is not winner]
    if spec.mode == "tidy":
        for future in pending:
            future.cancel()  # False: it is running, and runs on
        pool.shutdown(wait=True)
    for future in losers:
        out.say(f"{futures[future]}: {state(future)}")
    return FirstResponseOutcome(
        winner=name,
        ip=ip,
        waited=shape(waited),
        loser=state(losers[0]),
        timings={"first": first, "returned": out.elapsed()},
    )


def run(spec: FirstResponseSpec, out: Transcript) -> FirstResponseOutcome:
    return main(spec, out)
