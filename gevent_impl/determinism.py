"""determinism in gevent: the tutorial's ``Pool.imap_unordered``, every round.

    python -m gevent_impl determinism

The pool has a greenlet per number, so all start at once, and
``imap_unordered`` yields the results as they arrive. ``gevent.sleep`` reads
the clock afresh before it sets its timer, so greenlets that nap alike are due
in the order they started, and the hub wakes them in that order: every round
comes back in the start order, which is the tutorial's "deterministic".
"""

from __future__ import annotations

import time
from functools import partial

import gevent
from gevent.pool import Pool

from shared.contract import Transcript
from shared.scenarios.determinism import (
    DeterminismOutcome,
    DeterminismSpec,
    conclude,
    record,
    square,
)


def nap_and_square(number: int, seconds: float) -> tuple[int, int]:
    gevent.sleep(seconds)
    return number, square(number)


def one_round(spec: DeterminismSpec, pool: Pool) -> list[tuple[int, int]]:
    seconds = spec.seconds(spec.nap)
    return list(pool.imap_unordered(partial(nap_and_square, seconds=seconds), range(spec.tasks)))


def main(spec: DeterminismSpec, out: Transcript) -> DeterminismOutcome:
    outcome = DeterminismOutcome()
    pool = Pool(spec.tasks)  # one greenlet per number: none waits for a free one
    began = time.perf_counter()
    for _ in range(spec.rounds):
        record(outcome, one_round(spec, pool), out)
    outcome.timings["rounds"] = time.perf_counter() - began
    conclude(outcome, out)
    return outcome


def run(spec: DeterminismSpec, out: Transcript) -> DeterminismOutcome:
    return main(spec, out)
