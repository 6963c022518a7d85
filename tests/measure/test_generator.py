"""The open-loop generator alone: its schedule, the stall it charges, its counts, its trust.

The runs are declared as one heavy batch, in parallel threads: each is a few
seconds of waiting on sockets at 200 requests per second or less.
"""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from shared.harness import procfs
from shared.harness.services import Services
from shared.measure.load import experiment
from shared.measure.load.document import LoadRun
from shared.measure.load.generator import Schedule, schedule
from shared.measure.load.trivial import BACKLOG, open_trivial
from tests.support.batches import Batches, quiet_batch
from tests.support.figures import every_answered, ordered

RATE = 200  # requests per second of the stall runs
SECONDS = 3.0  # their duration
STALL = 1.0  # the server's stall, from 1 s after the first request
POOL = 10  # connections of the pooled stall run
SMALL_BACKLOG = 16  # the listen backlog a stall overflows
TIMEOUT = 0.5  # seconds, of the runs that fail


def stalled(connections: int | None = None, backlog: int = BACKLOG) -> LoadRun:
    with open_trivial(stall_after=1.0, stall_for=STALL, backlog=backlog) as url:
        return experiment.generate(Schedule(url, RATE, SECONDS, connections=connections))


def overflowed() -> tuple[LoadRun, int]:
    """A stall past a small listen backlog; the kernel's listen overflows meanwhile."""
    before = procfs.listen_overflows() or 0
    run = stalled(backlog=SMALL_BACKLOG)
    return run, (procfs.listen_overflows() or 0) - before


def stalled_in_warmup() -> LoadRun:
    # The stall spans 0.5 to 1.5 s, the warm-up ends at 1 s: the warm-up's last
    # 100 requests are answered inside the measured window, and must not count.
    with open_trivial(stall_after=0.5, stall_for=STALL) as url:
        return experiment.generate(Schedule(url, RATE, 1.0, warmup=1.0))


def steady() -> LoadRun:
    with open_trivial() as url:
        return experiment.generate(Schedule(url, 300, 1.0, warmup=0.2))


def hanging(services: Services) -> LoadRun:
    return experiment.generate(Schedule(services.url + "/hang", 20, 0.5, timeout=TIMEOUT))


def refused() -> LoadRun:
    # A port bound but not listening: every connection is refused, and nobody
    # else can take the port meanwhile.
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}/"
        return experiment.generate(Schedule(url, 50, 0.4, timeout=TIMEOUT))


@dataclass
class Ran:
    stalled: LoadRun
    pooled: LoadRun
    overflowed: tuple[LoadRun, int]
    stalled_in_warmup: LoadRun
    steady: LoadRun
    hanging: LoadRun
    refused: LoadRun


@quiet_batch
def generator_runs(services: Services) -> Ran:
    with ThreadPoolExecutor(7) as pool:
        past_backlog = pool.submit(overflowed)
        futures = (pool.submit(stalled), pool.submit(stalled, POOL),
                   pool.submit(stalled_in_warmup), pool.submit(steady),
                   pool.submit(hanging, services), pool.submit(refused))  # fmt: skip
        one, pooled, in_warmup, fast, hung, nobody = (future.result() for future in futures)
        return Ran(one, pooled, past_backlog.result(), in_warmup, fast, hung, nobody)


@pytest.fixture(scope="module")
def runs(batches: Batches) -> Ran:
    return batches[generator_runs]


# The schedule is fixed in advance: constant spacing, or a reproducible Poisson process.
def test_schedule() -> None:
    constant = schedule(100, 2.0, poisson=False, seed=1)
    assert len(constant) == 200
    assert constant[:3] == [0.0, 0.01, 0.02]
    poisson = schedule(1000, 2.0, poisson=True, seed=7)
    assert poisson == schedule(1000, 2.0, poisson=True, seed=7)
    assert poisson == sorted(poisson) and poisson[0] > 0 and poisson[-1] < 2.0
    assert 1800 <= len(poisson) <= 2200  # 2,000 expected; sigma is about 45


def stall_is_charged(load: LoadRun) -> None:
    """A 1 s stall at a constant rate charges every request the schedule placed in it.

    The request intended t into the stall waits 1 - t, so the share of the 600
    answers slower than x is (1 - x) / 3 s: p90 0.7 s, p99 0.97 s, max 1 s (a
    closed-loop tool would charge the stall to one request, leaving p90 near a
    millisecond). A busy machine only lengthens the stall: the upper bounds allow it.
    """
    assert load.sent == RATE * SECONDS and every_answered(load)
    latency = load.latency_ms
    assert ordered(latency) and latency == load.latency_all_ms
    assert latency.p50 is not None and latency.p50 < 300  # two thirds never met the stall
    assert latency.p90 is not None and 650 <= latency.p90 <= 1000
    assert latency.p99 is not None and 950 <= latency.p99 <= 1300
    assert latency.max is not None and 990 <= latency.max <= 1500


# A connection per waiting request: the generator kept sending through the stall,
# and the server's accept queue (backlog 4,096) held every connection it opened.
def test_stall_is_charged_to_every_request_it_delays(runs: Ran) -> None:
    load = runs.stalled
    stall_is_charged(load)
    assert load.connections.pool is None and load.connections.peak >= RATE * STALL * 0.9
    connect = load.connections.connect_ms.p99
    assert connect is not None and connect < 500  # no SYN was sent twice


# A pool of 10: the requests of the stall queue for a connection, and each still
# waits from its intended time, so the figures are the stall's arithmetic too.
def test_pool_opens_its_connections_only_and_charges_the_queue(runs: Ran) -> None:
    load = runs.pooled
    stall_is_charged(load)
    assert load.connections.pool == POOL
    assert load.connections.opened == load.connections.peak == POOL
    assert load.connections.capped >= RATE * STALL - POOL - 10  # the stall's, queued
    assert load.trusted  # waiting for the pool is the policy, not a failure


# Past a listen backlog of 16 the kernel drops the stall's SYNs, and the client
# sends each again after TCP's initial retransmission timeout of 1 s: each request
# past the backlog is charged about 1 s, whenever it came in the stall.
def test_stall_past_the_backlog_costs_a_syn_retransmission(runs: Ran) -> None:
    load, overflows = runs.overflowed
    assert every_answered(load) and overflows >= RATE * STALL / 2
    connect = load.connections.connect_ms
    assert connect.p50 is not None and connect.p50 >= 990  # most connections: a second SYN
    assert load.latency_ms.p90 is not None and load.latency_ms.p90 >= 990  # not the 0.7 s above


# Throughput is the pace of the answers to the requests that count: it never
# exceeds those requests over the window, nor the offered rate, steady or not,
# even when the answers to the warm-up's stalled requests come in the window.
# (A service slower than offered that answers everything in time gives its own
# pace: the threads defaults in tests/measure/test_load.py.)
def test_throughput_never_exceeds_the_offered_rate(runs: Ran) -> None:
    assert runs.stalled_in_warmup.sent == RATE and every_answered(runs.stalled_in_warmup)
    for load in (runs.stalled, runs.pooled, runs.overflowed[0], runs.stalled_in_warmup,
                 runs.steady, runs.hanging, runs.refused):  # fmt: skip
        assert load.throughput <= load.ok / load.duration <= load.rate


# Against a fast server, every scheduled request is sent and answered at the offered rate.
def test_counts_and_rate(runs: Ran) -> None:
    load = runs.steady
    assert load.sent == 300 and every_answered(load)
    assert 285 <= load.throughput <= 300
    assert ordered(load.latency_ms)
    assert load.lag_ms.p99 is not None and load.connections.failed == 0
    assert load.trusted == (load.lag_ms.p99 <= max(1, 0.1 * (load.latency_all_ms.p99 or 0)))


# A request that gets no answer counts as a timeout, from its intended send time,
# and in the distribution of every request at the timeout, not in the successes'.
def test_timeouts(runs: Ran) -> None:
    load = runs.hanging
    assert load.sent == 10 and load.ok == 0
    assert load.timeouts == 10 and load.errors == {}
    assert load.latency_ms.values() == (None,) * 5 and load.distribution == []
    assert load.timeout_ms == TIMEOUT * 1000
    assert load.latency_all_ms.values() == (TIMEOUT * 1000,) * 5
    assert all(load.at_timeout(ms) for _, ms in load.distribution_all)
    assert not load.at_timeout(None) and not load.at_timeout(TIMEOUT * 1000 - 1)


# Connections refused: each request fails at once, counts at the timeout (its user
# got nothing), and the run is untrusted: it could not open what it needed.
def test_untrusted_when_connections_cannot_be_opened(runs: Ran) -> None:
    load = runs.refused
    assert load.sent == 20 and load.ok == 0 and load.timeouts == 0
    assert load.errors == {"ConnectionRefusedError": 20}
    assert load.connections.failed == 20 and not load.trusted
    assert any("could not be opened" in note for note in load.notes)
    assert load.latency_all_ms.p50 == load.timeout_ms and load.at_timeout(load.latency_all_ms.p50)
