"""ordering in gevent: each task is a greenlet that sleeps with ``gevent.sleep``.

python -m gevent_impl ordering
"""

from __future__ import annotations

import time

import gevent

from shared.contract import Transcript
from shared.scenarios import baseline
from shared.scenarios.ordering import OrderingOutcome, OrderingSpec


def task(pid: int, seconds: float, out: Transcript, finished: list[int]) -> None:
    gevent.sleep(seconds)
    out.say(f"Task {pid} done")
    finished.append(pid)


def main(spec: OrderingSpec, out: Transcript, finished: list[int]) -> None:
    out.say("Asynchronous:")
    greenlets = [
        gevent.spawn(task, pid, seconds, out, finished) for pid, seconds in spec.delays().items()
    ]
    gevent.joinall(greenlets, raise_error=True)


def run(spec: OrderingSpec, out: Transcript) -> OrderingOutcome:
    synchronous, synchronous_seconds = baseline.ordering(spec, out)
    finished: list[int] = []
    start = time.perf_counter()
    main(spec, out, finished)
    return OrderingOutcome(
        synchronous=synchronous,
        concurrent=finished,
        timings={"synchronous": synchronous_seconds, "concurrent": time.perf_counter() - start},
    )
