"""determinism in threads: an executor, results by ``as_completed``.

    python -m threads_impl determinism

The pool has a worker per number, so all start at once, and ``as_completed``
hands the futures back as they finish. Each worker sleeps in its own thread,
and the operating system decides which of the threads due together runs
first: the answer is the same every round, the order is not promised.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, as_completed

from shared.contract import Transcript
from shared.scenarios.determinism import (
    DeterminismOutcome,
    DeterminismSpec,
    conclude,
    record,
    square,
)


def nap_and_square(number: int, seconds: float) -> tuple[int, int]:
    time.sleep(seconds)
    return number, square(number)


def one_round(spec: DeterminismSpec, pool: ThreadPoolExecutor) -> list[tuple[int, int]]:
    seconds = spec.seconds(spec.nap)
    started = [pool.submit(nap_and_square, n, seconds) for n in range(spec.tasks)]
    return [future.result() for future in as_completed(started)]


def main(spec: DeterminismSpec, out: Transcript) -> DeterminismOutcome:
    outcome = DeterminismOutcome()
    # One worker per number: none waits for a free one.
    with ThreadPoolExecutor(spec.tasks, thread_name_prefix="determinism") as pool:
        began = time.perf_counter()
        for _ in range(spec.rounds):
            record(outcome, one_round(spec, pool), out)
        outcome.timings["rounds"] = time.perf_counter() - began
    conclude(outcome, out)
    return outcome


def run(spec: DeterminismSpec, out: Transcript) -> DeterminismOutcome:
    return main(spec, out)
