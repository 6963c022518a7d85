"""The bench: every figure there and sane, the hidden caps visible, bad input refused.

Speed is never asserted: the machine is shared and busy. A bench far smaller than
``--quick`` runs once per module, one lane per model, each lane with services of
its own so that what the server saw (peak in flight) belongs to that model alone.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from shared.bench import output, suite
from shared.bench.child import WORKLOADS
from shared.cli import environment, main
from shared.contract import MODELS
from shared.services import open_services

TINY = dataclasses.replace(
    suite.QUICK,
    name="tiny",
    spawn_tasks=200,
    switch_rounds=200,
    processes=1,
    values=2,
    warmups=0,
    memory_sizes=(1_000,),  # enough for the allocator to map new memory in every model
    fanout_sizes=(12,),  # above ThreadPoolExecutor's default workers on up to 7 cores
    delay=0.2,  # long enough that every model starts its 12 requests before one is answered
    deadline=30.0,
    defaults_deadline=30.0,
    seconds=0.3,
    concurrency=4,
)
ASYNCIO_CAP = suite.Job("fanout", "asyncio", "defaults", 150, 0)  # above aiohttp's 100
UVLOOP_FANOUT = suite.Job("fanout", suite.UVLOOP, "tuned", 12, 0)


@dataclasses.dataclass
class Lane:
    bench: suite.Bench
    refused: dict[str, Any]  # a fan-out pass against a port that refuses connections
    capped: suite.Measure | None  # asyncio's fan-out above aiohttp's connector limit
    uvloop: suite.Measure | None  # asyncio+uvloop's fan-out, when uvloop is installed


def refused_fanout(model: str, unreachable: str) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        f"{model}_impl",
        "bench",
        "fanout",
        "--size",
        "5",
        "--url",
        unreachable,
        "--variant",
        "defaults",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    [one_pass] = json.loads(done.stdout)["outcome"]
    return dict(one_pass)


@pytest.fixture(scope="module")
def lanes() -> dict[str, Lane]:
    def lane(model: str) -> Lane:
        with open_services() as services:
            bench = suite.run(TINY, WORKLOADS, [model], services=services)
            refused = refused_fanout(model, services.unreachable)
            # The extra jobs go to the lanes with less to do: a lane's jobs share its server.
            capped = suite.run_job(ASYNCIO_CAP, TINY, services) if model == "threads" else None
            uvloop = None
            if model == "gevent" and suite.uvloop_installed():
                uvloop = suite.run_job(UVLOOP_FANOUT, TINY, services)
        return Lane(bench, refused, capped, uvloop)

    with ThreadPoolExecutor(len(MODELS)) as pool:
        return dict(zip(MODELS, pool.map(lane, MODELS), strict=True))


def cell(lane: Lane, workload: str, variant: str = "") -> suite.Cell:
    [found] = [c for c in lane.bench.of(workload) if c.variant == variant]
    return found


# Every workload gave figures in every model, with nothing failed or stopped.
@pytest.mark.parametrize("model", MODELS)
def test_every_workload_gives_figures(lanes: dict[str, Lane], model: str) -> None:
    bench = lanes[model].bench
    assert bench.ok
    assert {c.workload for c in bench.cells.values()} == set(WORKLOADS)
    for found in bench.cells.values():
        assert found.measures and not found.notes, (found.workload, found.notes)
        assert found.load is not None and found.load >= 0


# spawn and switch: pyperf's values, as many as asked, each a positive time.
@pytest.mark.parametrize("model", MODELS)
def test_micro_workloads(lanes: dict[str, Lane], model: str) -> None:
    for workload, metric in (("spawn", "us_per_task"), ("switch", "us_per_round_trip")):
        values = cell(lanes[model], workload).values(metric)
        assert len(values) == TINY.processes * TINY.values
        assert all(v > 0 for v in values)


# Memory per parked task is positive; a thread reserves a stack of address space
# (megabytes), which a task or a greenlet does not.
@pytest.mark.parametrize("model", MODELS)
def test_memory_per_task(lanes: dict[str, Lane], model: str) -> None:
    found = cell(lanes[model], "memory")
    assert found.count("parked") == TINY.memory_sizes[0]
    resident = found.values("resident_kib_per_task")
    virtual = found.values("virtual_kib_per_task")
    assert resident and all(v > 0 for v in resident)
    if model == "threads":
        assert min(virtual) >= 1024
    else:
        assert max(virtual) < 1024


# A fan-out takes at least D, so its overhead is never negative; every request is
# answered, and tuned runs a second, warm pass.
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("variant", suite.VARIANTS)
def test_fanout_is_sane(lanes: dict[str, Lane], model: str, variant: str) -> None:
    found = cell(lanes[model], "fanout", variant)
    passes = 2 if variant == "tuned" else 1
    walls = found.values("wall_s") + found.values("warm_wall_s")
    assert len(walls) == passes
    assert all(wall >= TINY.delay for wall in walls)
    assert all(o >= 0 for o in found.values("overhead_us_per_request"))
    assert found.count("errors") == 0 and found.count("unfinished") == 0
    assert found.count("completed") == passes * TINY.fanout_sizes[0]


# The hidden caps, seen from the server: ThreadPoolExecutor's default workers
# and aiohttp's 100 connections cap what runs at once; tuned, all N run at once.
@pytest.mark.parametrize("model", MODELS)
def test_hidden_caps(lanes: dict[str, Lane], model: str) -> None:
    n = TINY.fanout_sizes[0]
    tuned = cell(lanes[model], "fanout", "tuned").values("server_peak_in_flight")
    defaults = cell(lanes[model], "fanout", "defaults").values("server_peak_in_flight")
    workers = min(32, (os.cpu_count() or 1) + 4)
    assert tuned == [n]
    assert defaults == [min(n, workers) if model == "threads" else n]
    if model == "asyncio":
        capped = lanes["threads"].capped
        assert capped is not None
        assert capped.values["server_peak_in_flight"] == [100]
        assert capped.counts["completed"] == ASYNCIO_CAP.size
        assert capped.values["wall_s"][0] >= 2 * TINY.delay  # two rounds of 100 at most


# asyncio+uvloop is the asyncio code on uvloop's event loop.
@pytest.mark.skipif(not suite.uvloop_installed(), reason="uvloop is an optional extra")
def test_uvloop_variant(lanes: dict[str, Lane]) -> None:
    measure = lanes["gevent"].uvloop
    assert measure is not None and not measure.error
    assert measure.counts["completed"] == 2 * UVLOOP_FANOUT.size
    assert measure.values["server_peak_in_flight"] == [UVLOOP_FANOUT.size]
    assert measure.values["wall_s"][0] >= TINY.delay


# Throughput counts requests and reads the CPU of both ends.
@pytest.mark.parametrize("model", MODELS)
def test_throughput(lanes: dict[str, Lane], model: str) -> None:
    found = cell(lanes[model], "throughput")
    assert found.count("requests") > 0 and found.count("errors") == 0
    assert found.values("requests_per_s")[0] > 0
    assert found.values("client_cpu_pct")[0] > 0
    assert found.values("server_cpu_pct")[0] > 0


# Failed requests are counted, by the kind of failure each client library raises.
@pytest.mark.parametrize("model", MODELS)
def test_errors_are_counted(lanes: dict[str, Lane], model: str) -> None:
    kinds = {
        "asyncio": "ClientConnectorError",
        "gevent": "ConnectionError",
        "threads": "ConnectionError",
    }
    refused = lanes[model].refused
    assert refused["completed"] == 0
    assert refused["errors"] == {kinds[model]: 5}


# The JSON holds the environment, the plan, and per workload a record per cell
# with min, median and max; the charts are PNG files.
def test_json_and_charts(lanes: dict[str, Lane], tmp_path: Path) -> None:
    bench = lanes["threads"].bench
    document = output.document(bench, environment())
    assert document["environment"]["packages"]["gevent"]
    assert document["machine"]["thread_cap"] == suite.THREAD_CAP
    assert document["plan"]["name"] == "tiny"
    assert set(document["results"]) == set(WORKLOADS)
    [fanout] = [r for r in document["results"]["fanout"] if r["variant"] == "tuned"]
    assert fanout["requests"] == TINY.fanout_sizes[0]
    assert fanout["wall_s"]["min"] <= fanout["wall_s"]["median"] <= fanout["wall_s"]["max"]
    assert json.loads(json.dumps(document)) == document
    charts = output.write_charts(tmp_path, document)
    assert [c.name for c in charts] == ["fanout.png", "memory.png"]
    assert all(c.read_bytes().startswith(b"\x89PNG") for c in charts)


# Threads stop at a cap the plan names; the others go on.
def test_threads_stop_at_a_named_cap() -> None:
    plan = dataclasses.replace(TINY, memory_sizes=(1_000, 100_000), fanout_sizes=(100_000,))
    jobs, skips = suite.plan_jobs(plan, ["memory", "fanout"], MODELS)
    assert {(s.workload, s.model, s.variant, s.size) for s in skips} == {
        ("memory", "threads", "", 100_000),
        ("fanout", "threads", "tuned", 100_000),
    }
    assert all(f"capped at {suite.THREAD_CAP:,}" in s.reason for s in skips)
    assert ("memory", "gevent", "", 100_000) in {j.key for j in jobs}


# A job that overruns is stopped with everything it started: nothing is left running.
def test_a_job_that_overruns_is_stopped(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, time; p = subprocess.Popen(['sleep', '60']); "
        f"open({str(marker)!r}, 'w').write(str(p.pid)); time.sleep(60)"
    )
    status, _ = suite.run_command([sys.executable, "-c", script], timeout=0.5)
    assert status is None
    grandchild = int(marker.read_text())
    deadline = time.monotonic() + 5
    while running(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)  # a signal takes a moment to land
    assert not running(grandchild)


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


BAD_USAGE = [
    (["bench", "nope"], "unknown workload 'nope'"),
    (["bench", "--models", "asyncio,trio"], "unknown model trio"),
    (["bench", "--repeat", "0"], "between 1 and 100"),
    (["bench", "--json", "/no/such/folder/bench.json"], "cannot write"),
    (["bench", "--charts", "/proc/version/charts"], "cannot write charts"),
]


# Bad input gets one line on stderr and exit status 2, before anything runs.
@pytest.mark.parametrize(("argv", "message"), BAD_USAGE, ids=[" ".join(a) for a, _ in BAD_USAGE])
def test_bad_usage(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2
    assert err.count("\n") == 1 and message in err, err
    assert out == ""
