"""ordering in threads: each task runs in a worker thread of a pool.

    python -m threads_impl ordering

The pool has one worker per task, chosen on purpose: with fewer, the tasks past
the limit would wait for a free worker and finish out of delay order.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from shared.contract import Transcript
from shared.scenarios import baseline
from shared.scenarios.ordering import OrderingOutcome, OrderingSpec


def task(pid: int, seconds: float, out: Transcript, finished: list[int]) -> None:
    time.sleep(seconds)
    out.say(f"Task {pid} done")
    finished.append(pid)


def main(spec: OrderingSpec, out: Transcript, finished: list[int]) -> None:
    out.say("Asynchronous:")
    with ThreadPoolExecutor(max_workers=spec.tasks) as pool:
        futures = [
            pool.submit(task, pid, seconds, out, finished) for pid, seconds in spec.delays().items()
        ]
    for future in futures:
        future.result()  # re-raises what a task raised


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
