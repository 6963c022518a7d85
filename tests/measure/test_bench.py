"""The bench: every figure there and sane, the hidden caps visible, bad input refused.

Speed is never asserted: the machine is shared and busy. A bench far smaller than
``--quick`` runs in a batch (in the background, beside the others), one lane per
model, each lane with services of its own so that what the server saw (peak in
flight) belongs to that model alone.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from shared import documents, tables
from shared.cli import bench as bench_command
from shared.contract import MODELS
from shared.documents import environment
from shared.harness import forkserver, processes
from shared.harness.services import Services, open_services
from shared.measure.bench import figures, measure, plan, probes
from shared.measure.bench.child import VARIANTS, WORKLOADS
from shared.measure.bench.figures import BenchDocument
from shared.present import bench as output
from shared.present import charts
from shared.present import newer_python as versions
from tests.support.batches import Batches, batch
from tests.support.cli import refused
from tests.support.processes import alive

TINY = dataclasses.replace(
    plan.QUICK, name="tiny",
    spawn_tasks=200, switch_rounds=200, processes=1, values=2, warmups=0,
    memory_sizes=(1_000,),  # enough for the allocator to map new memory in every model
    fanout_sizes=(12,),  # above ThreadPoolExecutor's default workers on up to 7 cores
    delay=0.2,  # long enough that every model starts its 12 requests before one is answered
    deadline=30.0, defaults_deadline=30.0,
    seconds=0.3, concurrency=4,
)  # fmt: skip
ROOT = Path(__file__).resolve().parents[2]
FULL_RUN = ROOT / "docs" / "bench" / "bench.json"  # the figures of docs/evaluation.md
VERSIONS = [ROOT / "docs" / "bench" / "versions" / f"{v}.json" for v in ("3.11", "3.15")]
ASYNCIO_CAP = plan.Job("fanout", "asyncio", "defaults", 150, 0)  # above aiohttp's 100
UVLOOP_FANOUT = plan.Job("fanout", plan.UVLOOP, "tuned", 12, 0)


@dataclasses.dataclass
class ByHand:
    """``python -m <model>_impl bench ...`` run by hand: the command, its JSON, and
    what the lane's server saw of it."""

    command: list[str]
    report: dict[str, Any]
    seen: dict[str, int]


@dataclasses.dataclass
class Lane:
    bench: figures.Bench
    refused: dict[str, Any]  # a fan-out pass against a port that refuses connections
    capped: ByHand | None  # asyncio's fan-out above aiohttp's connector limit
    uvloop: ByHand | None  # asyncio+uvloop's fan-out, when uvloop is installed
    memory: dict[str, Any]  # python -m <model>_impl bench memory, run by hand


def by_hand(model: str, argv: list[str], *, fresh: bool = False) -> dict[str, Any]:
    """The JSON that ``python -m <model>_impl bench ARGV`` prints.

    The bench's own jobs are fresh interpreters, as its design wants. Run by hand
    here, a command is a fork of its model's fork server: the state a fresh
    interpreter reaches before it reads its arguments (``shared.harness.forkserver``),
    without the 0.3 to 0.6 s of CPU its imports cost. ``fresh`` (or the fork
    servers turned off) starts a fresh interpreter all the same.
    """
    command = ["bench", *argv]
    if forkserver.enabled() and not fresh:
        server = forkserver.server(model)
        done = server.run(command, argv[0], timeout=60, group=processes.DEFAULT)
    else:
        done = processes.run([sys.executable, "-m", f"{model}_impl", *command], timeout=60)
    assert done.returncode == 0, (command, done.describe(), done.stderr)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def job_by_hand(job: plan.Job, services: Services) -> ByHand:
    """The command line the bench runs for ``job``, run by hand against ``services``:
    without its ``--result``, the JSON comes on stdout."""
    command = measure.command_of(job, TINY, services, result="-")
    package, _ = plan.package_of(job.model)
    assert command[:4] == [sys.executable, "-m", f"{package}_impl", "bench"]
    assert command[-2:] == ["--result", "-"]
    services.reset()  # the peak in flight is this run's alone
    report = by_hand(package, command[4:-2])
    return ByHand(command, report, dict(services.stats()))


@batch
def bench_lanes(services: Services) -> dict[str, Lane]:
    """Every lane at once, each against services of its own: the session's
    ``services`` serve the other batches, whose requests would count in the peak.

    A light batch, beside the others: its jobs, one at a time per lane, are
    mostly interpreters starting, as the runs of the other batches are, and
    none of its figures is held to a bound that their load could break.
    """

    def lane(model: str) -> Lane:
        with open_services() as own:
            bench = measure.run(TINY, WORKLOADS, [model], services=own)
            [refusing] = by_hand(model, ["fanout", "--size", "5", "--url", own.unreachable,
                                         "--variant", "defaults"])["outcome"]  # fmt: skip
            # The extra runs go to the lanes with less to do: a lane's runs share its server.
            capped = job_by_hand(ASYNCIO_CAP, own) if model == "threads" else None
            uvloop = None
            if model == "gevent" and plan.uvloop_installed():
                uvloop = job_by_hand(UVLOOP_FANOUT, own)
            # A fresh interpreter: a fork's pages are all resident from the start (the
            # fork server makes them so), where the new tasks could land unseen.
            memory: dict[str, Any] = {}
            if model == "asyncio":
                memory = by_hand(model, ["memory", "--size", "1000"], fresh=True)["outcome"]
        return Lane(bench, dict(refusing), capped, uvloop, memory)

    with ThreadPoolExecutor(len(MODELS)) as pool:
        return dict(zip(MODELS, pool.map(lane, MODELS), strict=True))


@pytest.fixture(scope="module")
def lanes(batches: Batches) -> dict[str, Lane]:
    return batches[bench_lanes]


def cell(lane: Lane, workload: str, variant: str = "") -> figures.Cell:
    [found] = [c for c in lane.bench.of(workload) if c.variant == variant]
    return found


# Every workload gave figures in every model, with nothing failed or stopped.
@pytest.mark.parametrize("model", MODELS)
def test_every_workload_gives_figures(lanes: dict[str, Lane], model: str) -> None:
    bench = lanes[model].bench
    assert bench.ok
    assert {c.workload for c in bench.cells.values()} == set(WORKLOADS)
    for found in bench.cells.values():
        # Accept-queue overflows are counted for the whole machine (/proc/net/netstat):
        # the suite's other servers, busy at the same time, can add to them.
        notes = [note for note in found.notes if note != "the server's accept queue overflowed"]
        assert found.measures and not notes, (found.workload, found.notes)
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
@pytest.mark.parametrize("variant", VARIANTS)
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
        [one_pass] = capped.report["outcome"]
        assert capped.seen["peak_in_flight"] == 100
        assert one_pass["completed"] == ASYNCIO_CAP.size
        assert one_pass["wall"] >= 2 * TINY.delay  # two rounds of 100 at most


# asyncio+uvloop is the asyncio code on uvloop's event loop: the bench runs it as
# asyncio_impl with --uvloop, and all N run at once, a warm pass after the cold one.
@pytest.mark.skipif(not plan.uvloop_installed(), reason="uvloop is an optional extra")
def test_uvloop_variant(lanes: dict[str, Lane]) -> None:
    run = lanes["gevent"].uvloop
    assert run is not None
    assert run.command[:5] == [sys.executable, "-m", "asyncio_impl", "bench", "fanout"]
    assert "--uvloop" in run.command and run.report["uvloop"] is True
    passes = run.report["outcome"]
    assert [one["completed"] for one in passes] == [UVLOOP_FANOUT.size] * 2
    assert all(one["errors"] == {} and one["wall"] >= TINY.delay for one in passes)
    assert run.seen["peak_in_flight"] == UVLOOP_FANOUT.size


# Throughput counts requests and reads the CPU of both ends. (CPU time comes in
# ticks of 10 ms, and a short run on a machine busy elsewhere may see none: that
# the readings follow the CPU used is the probes' test below.)
@pytest.mark.parametrize("model", MODELS)
def test_throughput(lanes: dict[str, Lane], model: str) -> None:
    found = cell(lanes[model], "throughput")
    assert found.count("requests") > 0 and found.count("errors") == 0
    assert found.values("requests_per_s")[0] > 0
    assert found.values("client_cpu_pct")[0] >= 0
    assert found.values("server_cpu_pct")[0] >= 0


# The probes read the CPU a process has used, and the machine's busy time.
def test_probes_follow_the_cpu() -> None:
    before = probes.Snapshot.take(os.getpid())
    start = time.process_time()
    while time.process_time() - start < 0.1:  # CPU time: the same however busy the machine
        pass
    after = probes.Snapshot.take(os.getpid())
    assert before.server is not None and after.server is not None
    assert after.server - before.server >= 0.08
    assert after.machine - before.machine >= 0.08
    assert after.ours - before.ours >= 0.08
    assert probes.process_cpu(2**22 + 1) is None  # above pid_max: no such process


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


# The document holds the environment, the plan, and per workload a result per
# cell with its median, least and greatest; it reads back from its JSON as it
# was; the charts are PNG files.
def test_document_and_charts(lanes: dict[str, Lane], tmp_path: Path) -> None:
    bench = lanes["threads"].bench
    document = figures.document(bench, environment())
    assert document.environment.packages["gevent"]
    assert document.machine.thread_cap == plan.THREAD_CAP
    assert document.machine.pid_max and document.machine.pid_max > 0
    assert document.plan == TINY
    assert set(document.results) == set(WORKLOADS)
    [fanout] = document.of("fanout", variant="tuned")
    wall = fanout.figure("wall_s")
    assert fanout.size == TINY.fanout_sizes[0]
    assert wall is not None and wall.low <= wall.median <= wall.high
    assert len(document.measures) == sum(len(cell.measures) for cell in bench.cells.values())
    written = tmp_path / "bench.json"
    documents.write(written, document)
    assert json.loads(written.read_text())["format"] == {"kind": "bench", "version": 1}
    assert documents.read(written, BenchDocument) == document
    drawn = charts.write_charts(tmp_path, document)
    assert [c.name for c in drawn] == ["fanout.png", "memory.png"]
    assert all(c.read_bytes().startswith(b"\x89PNG") for c in drawn)


# Threads stop at a cap the plan names; the others go on.
def test_threads_stop_at_a_named_cap() -> None:
    sizes = dataclasses.replace(TINY, memory_sizes=(1_000, 100_000), fanout_sizes=(100_000,))
    jobs, skips = plan.plan_jobs(sizes, ["memory", "fanout"], MODELS)
    assert {(s.workload, s.model, s.variant, s.size) for s in skips} == {
        ("memory", "threads", "", 100_000),
        ("fanout", "threads", "tuned", 100_000),
    }
    assert all(f"capped at {plan.THREAD_CAP:,}" in s.reason for s in skips)
    assert ("memory", "gevent", "", 100_000) in {j.key for j in jobs}


# A job that overruns is stopped with everything it started: nothing is left running.
# (The bench runs its jobs through shared.harness.processes, with the job's deadline.)
def test_a_job_that_overruns_is_stopped(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    # A shell starts in milliseconds even on a busy machine: the grandchild is
    # there well before the deadline.
    script = f"sleep 60 & echo $! > {marker}; wait"
    finished = processes.run(["sh", "-c", script], timeout=1.0)
    assert finished.timed_out
    grandchild = int(marker.read_text())
    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)  # a signal takes a moment to land
    assert not alive(grandchild)


# By hand, the memory workload speaks per task, as the tables do.
def test_memory_by_hand_is_per_task(lanes: dict[str, Lane]) -> None:
    parked = lanes["asyncio"].memory
    assert parked["tasks"] == 1_000
    assert 0 < parked["resident_kib_per_task"] < 1024
    assert set(parked) == {"tasks", "resident_kib_per_task", "virtual_kib_per_task", "stopped"}


def printed(renderable: Any, width: int = 80) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(renderable)
    return out.getvalue()


# Every table a bench prints reads at 80 columns, no cell cut short: the tiny
# benches here, and the full run of the README (four models, min-max ranges).
def test_terminal_tables_at_80_columns(lanes: dict[str, Lane]) -> None:
    made = [figures.document(lane.bench, environment()) for lane in lanes.values()]
    made.append(documents.read(FULL_RUN, BenchDocument))
    for document in made:
        shown = printed(output.terminal(document))
        assert "…" not in shown
        assert max(len(line) for line in shown.splitlines()) <= 80
        for table in output.details(document):
            assert table.title in shown
    full = shown  # the last one: the README's
    assert "threads, defaults: stopped at the 20 s deadline, 8,836 unanswered" in full
    assert "asyncio+uvloop │ tuned    │ 5.42 (5.15-6.97) │" in full


# python -m shared.present.bench FILE: the terminal tables; --markdown: the README's.
def test_output_from_the_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert output.main([str(FULL_RUN)]) == 0
    terminal, _ = capsys.readouterr()
    assert "fan-out: 10,000 GETs at once" in terminal and "|" not in terminal
    assert output.main([str(FULL_RUN), "--markdown"]) == 0
    markdown, _ = capsys.readouterr()
    assert markdown.strip() == output.markdown(documents.read(FULL_RUN, BenchDocument))
    assert output.main(["/no/such/bench.json"]) == 2
    _, err = capsys.readouterr()
    assert err.count("\n") == 1 and "cannot read /no/such/bench.json" in err


# The committed files are the document's JSON as the bench writes it now: read and
# written again, not a key or a figure changes; what a newer bench records besides
# (the environment's commit, say) comes in only as keys of its own, None.
@pytest.mark.parametrize("path", [FULL_RUN, *VERSIONS], ids=lambda p: p.name)
def test_committed_files_round_trip(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    document = documents.from_json(BenchDocument, data)
    written = documents.to_json(document)
    added = set(written["environment"]) - set(data["environment"])
    assert all(written["environment"][key] is None for key in added)
    for key in added:
        del written["environment"][key]
    assert written == data
    assert documents.from_json(BenchDocument, json.loads(json.dumps(data))) == document


def bench_json(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    """The README's bench JSON, changed by ``change``."""
    data: dict[str, Any] = json.loads(FULL_RUN.read_text(encoding="utf-8"))
    change(data)
    return data


SPOILT = [
    (lambda d: d["format"].update(version=2), "a `bench --json` file of format version 2"),
    (lambda d: d.pop("format"), "not the JSON of `bench --json`: no format 'bench'"),
    (lambda d: d["results"]["fanout"][2].pop("figures"), "results['fanout'][2]: no 'figures'"),
    (lambda d: d["measures"][5]["job"].pop("size"), "measures[5].job: no 'size'"),
    (lambda d: d["plan"].update(delay="0.1"), "plan.delay: not a number: '0.1'"),
    (lambda d: d.update(extra=1), "an unknown part 'extra'"),
]


# A file of another version or shape is refused in one line that names the part.
@pytest.mark.parametrize(("change", "message"), SPOILT, ids=[m for _, m in SPOILT])
def test_a_spoilt_file_is_refused(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    change: Callable[[dict[str, Any]], object],
    message: str,
) -> None:
    spoilt = tmp_path / "bench.json"
    spoilt.write_text(json.dumps(bench_json(change)), encoding="utf-8")
    assert output.main([str(spoilt)]) == 2
    _, err = capsys.readouterr()
    assert err.count("\n") == 1 and f"{spoilt}: {message}" in err, err


# Two interpreters' benches side by side: a bench against itself changes nothing,
# and the table reads at 80 columns.
def test_versions_table(capsys: pytest.CaptureFixture[str]) -> None:
    document = documents.read(FULL_RUN, BenchDocument)
    table = versions.changes(document, document)
    assert len(table.rows) == len(versions.FIGURES) * len(document.models)
    changes = [row.cells[-1] for row in table.rows]
    assert set(changes) <= {"same", "-"} and changes.count("same") >= len(changes) - 1
    shown = printed(tables.rich(table))
    assert "…" not in shown and max(len(line) for line in shown.splitlines()) <= 80

    def halve_spawn(data: dict[str, Any]) -> None:
        for result in data["results"]["spawn"]:
            result["figures"]["us_per_task"]["median"] /= 2

    faster = documents.from_json(BenchDocument, bench_json(halve_spawn))
    spawn = versions.changes(document, faster).rows[0].cells
    assert spawn[-1] == "-50 % (better)"
    assert versions.main([str(FULL_RUN), "/no/such/bench.json"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


BAD_USAGE = [
    (["bench", "nope"], "unknown workload 'nope'"),
    (["bench", "--models", "asyncio,trio"], "unknown model trio"),
    (["bench", "--repeat", "0"], "between 1 and 100"),
    (["bench", "--json", "/no/such/folder/bench.json"], "cannot write"),
    (["bench", "--charts", "/proc/version/charts"], "cannot write to /proc/version/charts"),
]


# Bad input gets one line on stderr and exit status 2, before anything runs.
@pytest.mark.parametrize(("argv", "message"), BAD_USAGE, ids=[" ".join(a) for a, _ in BAD_USAGE])
def test_bad_usage(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert message in refused(capsys, argv)


# Figures measured while other programs kept more than half a core busy are not
# evidence: the command says so in one line and exits 5 (the committed run: 0).
def test_untrusted_when_others_were_busy() -> None:
    document = documents.read(FULL_RUN, BenchDocument)
    assert bench_command.untrusted(document) is None
    workload, found = next(iter(document.results.items()))
    noisy = [dataclasses.replace(found[0], busy_elsewhere=0.9), *found[1:]]
    spoilt = dataclasses.replace(document, results={**document.results, workload: noisy})
    assert bench_command.untrusted(spoilt) == (
        "figures untrusted: other programs kept up to 0.90 cores busy during 1 measurement(s)"
    )
