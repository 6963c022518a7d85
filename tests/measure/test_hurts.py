"""What hurts a service: each experiment's quick form, the detectors, nothing left behind.

One heavy batch: per model, the two deployments the three experiments need
start together, and each serves its part with a generator of its own, side by
side, the models side by side too. The figures' speed belongs to the benchmark
(``concurrency-compare hurts``); here their structure, their lower bounds from
the spec (the upstream's D, the handler's C), the CPU each process used, and
which detector fired for which model: seconds of each, not the CLI's minutes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from rich.console import Console

from shared import documents
from shared.cli import hurts as command
from shared.cli.main import main, make_parser
from shared.harness.services import Services
from shared.measure.deploy import core_layout, open_deployments
from shared.measure.hurts import experiments
from shared.measure.hurts.document import HurtsDocument, Plan
from shared.measure.load.document import Layout, Percentiles
from shared.measure.load.experiment import Generator
from shared.present import hurts as output
from tests.support.batches import Batches, heavy_batch
from tests.support.cli import refused
from tests.support.figures import every_answered, ordered
from tests.support.processes import alive, listening_here

TINY = Plan(
    "tiny",
    cpu_ms=(0, 20),
    cpu_rate=10,  # 20% of a core at C = 20: carried even on a crowded machine
    # 0.7 s a figure: at C = 20, 0.14 s of the worker's CPU, twice what the CPU
    # test asks for, far beyond the kernel's 10 ms ticks (see test_cpu_in_the_handler).
    seconds=0.6,
    warmup=0.1,
    ladders=((20, (15,)),),
    ladder_seconds=0.4,  # one step: the search's structure, not its figure
    two_workers=(),
    # 30 measured requests (35 in all): one or two blocking calls, at least one of them
    # among the measured, whichever request the worker's count starts from.
    block_every=20,
    block_rate=50,
    # 12 requests: two blocking calls, so that a monitor thread that misses one call on
    # a busy machine still has another to report.
    detector_seconds=0.6,
    detector_every=5,
    idle_counts=(300,),
    idle_configs=(experiments.IDLE_RAISED,),
    idle_seconds=0.4,  # 8 live requests beside the idle ones
    timeout=10.0,  # slow answers on a crowded machine are slow, not lost
)
FILES_LIMIT = resource.getrlimit(resource.RLIMIT_NOFILE)  # ours, before any experiment
CPUS = len(os.sched_getaffinity(0))
#: The model whose deployments run pinned, on a CPU of their own (the last), so that
#: the batch measures what else ran there; the others run anywhere, as with --cores 0.
PINNED = "threads"


@dataclass
class Ran:
    """The experiments' figures, and where their deployments answered."""

    doc: HurtsDocument
    urls: list[str]


def one_model(model: str, upstream: Services) -> Ran:
    # Two deployments a model, each fed by a generator of its own, at the same time: the
    # raised one holds the idle connections first (from a fresh worker), then serves the
    # CPU figures (the same as the tuned for them); the other, the tuned with the detectors
    # on, serves the blocking call's figures, then the detectors' bursts. The CLI measures
    # the blocking figures on a tuned deployment without the detectors, one experiment at
    # a time: what is checked here (every answer, the call's time in its request's
    # latency, which detector reports it) holds either way, and the detectors read only
    # what their bursts made the worker write.
    raised = experiments.idle_deployment(model, experiments.IDLE_RAISED)
    observed_ = experiments.blocking_deployments(model)[1]
    cpus = core_layout(1)[0] if model == PINNED and CPUS > 1 else None
    with (
        open_deployments([raised, observed_], upstream.url, cpus=cpus) as (plain, observed),
        Generator() as one,
        Generator() as other,
        ThreadPoolExecutor(1) as beside,  # innermost: done before the deployments stop
    ):
        blocking = beside.submit(experiments.blocking_on, TINY, observed, observed, upstream, other)
        idle = experiments.idle_on(TINY, plain, experiments.IDLE_RAISED, 300, upstream, one)
        cpu = experiments.cpu_on(TINY, [plain], upstream, one)
        doc = HurtsDocument(plan=TINY, seconds=0.0, environment=documents.environment(),
                            cpu=[cpu], blocking=[blocking.result()], idle=[idle])  # fmt: skip
    return Ran(doc, [plain.url, observed.url])


@heavy_batch
def hurts_runs(services: Services) -> Ran:
    with ThreadPoolExecutor(len(experiments.MODELS)) as pool:
        per_model = list(pool.map(lambda m: one_model(m, services), experiments.MODELS))
    docs = [found.doc for found in per_model]
    doc = dataclasses.replace(
        docs[0],
        cpu=[model for d in docs for model in d.cpu or []],
        blocking=[model for d in docs for model in d.blocking or []],
        idle=[row for d in docs for row in d.idle or []],
    )
    return Ran(doc, [url for found in per_model for url in found.urls])


@pytest.fixture(scope="module")
def ran(batches: Batches) -> Ran:
    return batches[hurts_runs]


@pytest.fixture(scope="module")
def doc(ran: Ran) -> HurtsDocument:
    return ran.doc


def test_cpu_in_the_handler(doc: HurtsDocument) -> None:
    delay_ms = TINY.delay * 1000
    assert doc.cpu is not None
    for found in doc.cpu:
        model = found.model
        fixed = {figure.cpu_ms: figure for figure in found.fixed}
        assert sorted(fixed) == [0, 20], model
        for cpu_ms, figure in fixed.items():
            assert every_answered(figure.load), (model, cpu_ms)
            latency = figure.load.latency_ms
            assert ordered(latency), (model, cpu_ms)
            # Every answer waited for the upstream, then spent its CPU: at least D + C.
            assert latency.p50 is not None and latency.p50 >= delay_ms + 0.9 * cpu_ms, model
            cpu = figure.cpu_pct
            assert None not in (cpu.generator, cpu.upstream, cpu.worker), (model, cpu)
            assert cpu.others is None and cpu.holder is None
            # What else ran on the worker's CPU is measured where it has one of its own.
            pinned = model == PINNED and CPUS > 1
            assert (cpu.core_others is not None) == pinned, (model, cpu)
        # The CPU shows in the worker's figure: 10 requests a second for 0.7 s (warm-up
        # included), 20 ms each, is 0.14 s of CPU more than with C = 0, however long
        # a crowded machine made the run. At least half of it: the kernel counts CPU in
        # 10 ms ticks (four readings here, 0.04 s at worst), and the loop calibrated at
        # start-up runs a little faster or slower as the machine's load changes. A
        # handler that did not spend its CPU would show next to nothing.
        spent = {}
        for c, f in fixed.items():
            assert f.cpu_pct.worker is not None
            spent[c] = f.cpu_pct.worker * f.load.seconds / 100
        expected = TINY.cpu_rate * (TINY.warmup + TINY.seconds) * 0.020
        assert spent[20] - spent[0] >= 0.5 * expected, (model, spent, expected)
        (searched,) = found.searches
        assert searched.cpu_ms == 20 and searched.workers == 1
        assert searched.passes_at in (None, 15) and len(searched.steps) == 1


def test_blocking_call_figures(doc: HurtsDocument) -> None:
    assert doc.blocking is not None
    for found in doc.blocking:
        model = found.model
        figures = {figure.variant: figure.load for figure in found.figures}
        assert list(figures) == ["none", "blocking", "fixed"], model
        for name, figure in figures.items():
            assert every_answered(figure), (model, name)
            assert ordered(figure.latency_ms), (model, name)
        # In every model the request that makes the call waits for it, fixed or not.
        for name in ("blocking", "fixed"):
            slowest = figures[name].latency_ms.max
            assert slowest is not None and slowest >= TINY.block_ms + TINY.delay * 1000, model


def test_which_detector_fires_for_which_model(doc: HurtsDocument) -> None:
    assert doc.blocking is not None
    # A report counts when it points at the call: a busy machine may slow some other
    # callback past asyncio's 0.1 s, which its debug mode reports too.
    said = {
        found.model: {
            call: [r.detector for r in reports if r.about_the_call]
            for call, reports in found.detectors.calls()
        }
        for found in doc.blocking
    }
    assert said == {
        "asyncio": {"blocking": ["asyncio debug mode"], "fixed": []},
        "gevent": {"blocking": ["gevent monitor thread"], "fixed": []},
        "threads": {"blocking": [], "fixed": []},  # no detector: the call holds its thread only
    }
    reports = {f.model: f.detectors.blocking[0] for f in doc.blocking if f.detectors.blocking}
    assert set(reports) == {"asyncio", "gevent"}  # nothing at all in threads
    asyncio_words, gevent_words = reports["asyncio"].words, reports["gevent"].words
    assert asyncio_words.startswith("Executing <Task") and " took " in asyncio_words
    seconds = float(asyncio_words.rsplit(" took ", 1)[1].split()[0])
    assert seconds >= TINY.block_ms / 1000  # the callback held the loop for the whole call
    assert "appears to be blocked" in gevent_words
    assert reports["gevent"].where.startswith("gevent_impl/service.py:")
    assert reports["gevent"].where.endswith(" in call_blocking")


def test_idle_connections(doc: HurtsDocument) -> None:
    assert doc.idle is not None
    for row in doc.idle:
        model = row.model
        assert row.held.answered == row.held.open == 300, model
        assert row.released.still_open == 300, model  # the raised keep-alive held them
        # The worker holds a descriptor for every idle connection.
        assert row.worker_files >= 300, (model, row.worker_files)
        assert row.kb_per_connection is not None and row.kb_per_connection > 0, model
        assert output.per_connection(row) == row.kb_per_connection
        live = row.live.load
        assert every_answered(live), model
        assert row.answers
        assert ordered(live.latency_ms)
        assert live.latency_ms.p50 is not None and live.latency_ms.p50 >= TINY.delay * 1000
        cpu = row.live.cpu_pct
        assert None not in (cpu.generator, cpu.upstream, cpu.worker, cpu.holder), (model, cpu)


def test_nothing_left_behind(ran: Ran) -> None:
    idle = ran.doc.idle or []
    for row in idle:
        pids = row.pids
        assert not any(alive(pid) for pid in (pids.master, *pids.workers, pids.holder))
    assert listening_here(ran.urls) == []
    # The limits were raised in the deployments' processes only, which are gone.
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == FILES_LIMIT
    ours = {row.pids.holder for row in idle}
    holders = [
        process.pid
        for process in psutil.process_iter(["cmdline"])
        if "shared.measure.hurts.holder" in (process.info["cmdline"] or ())
    ]
    assert not [pid for pid in holders if pid in ours and alive(pid)]


# The document is JSON and back, as a figures file keeps it.
def test_round_trip(doc: HurtsDocument) -> None:
    data = json.loads(json.dumps(documents.to_json(doc)))
    assert documents.from_json(HurtsDocument, data) == doc


def test_tables_charts_and_markdown(doc: HurtsDocument, tmp_path: Path) -> None:
    console = Console(width=80, record=True)
    console.print(output.terminal(doc))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    for title in ("CPU in the handler", "A blocking call", "Who notices", "Idle keep-alive"):
        assert title in text
    assert "asyncio debug mode" in text and "gevent monitor thread" in text
    markdown = output.markdown(doc)
    rules = [line for line in markdown.splitlines() if line.startswith("|--")]
    assert len(rules) == len(output.all_tables(doc))
    charts = output.write_charts(str(tmp_path), doc)
    assert [p.name for p in charts] == ["hurts-cpu.png", "hurts-blocking.png", "hurts-idle.png"]
    assert all(p.stat().st_size > 10_000 for p in charts)


@pytest.mark.parametrize(
    "argv",
    [["--only", "nope"], ["--only", "cpu,cpu"], ["--models", "asyncio+uvloop"], ["--json", "/"]],
)
def test_bad_input(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hurts", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


# A figure the generator cannot vouch for keeps its mark in every form of the tables,
# and the run's one line says how many and why; failures show their p99 at the timeout.
def test_untrusted_and_failed_figures_are_marked(doc: HurtsDocument) -> None:
    assert doc.blocking is not None
    first = doc.blocking[0]
    figure = first.figures[1]
    timeout_ms = figure.load.timeout_ms or 10_000.0
    spoilt = dataclasses.replace(
        figure.load,
        trusted=False,
        notes=["the generator's lag p99 (9 ms) is 30 % of the latency p99"],
        timeouts=3,
        timeout_ms=timeout_ms,
        latency_all_ms=Percentiles(p50=60.0, p90=70.0, p99=timeout_ms, p99_9=timeout_ms),
    )
    figures = [dataclasses.replace(figure, load=spoilt), *first.figures[2:]]
    blocking = [dataclasses.replace(first, figures=[first.figures[0], *figures])]
    bad = dataclasses.replace(doc, blocking=[*blocking, *doc.blocking[1:]])
    # The real run may have untrusted figures of its own on a busy machine.
    untrusted = [f for f in bad.figures() if not f.load.trusted]
    assert not bad.trusted and spoilt in [f.load for f in untrusted]
    line = output.untrusted_line(bad)
    assert line.startswith(f"figures untrusted: {len(untrusted)} of {len(bad.figures())}")
    assert untrusted[0].load.notes[0] in line
    markdown = output.markdown(bad)
    assert f"| {first.model}{output.MARK} | blocking |" in markdown
    assert f"≥{timeout_ms:,.0f}" in markdown
    console = Console(width=80, record=True)
    console.print(output.terminal(bad))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    assert f"{first.model}{output.MARK}" in text


# The layout a pinned run used is part of its document, and printed with its tables.
def test_layout_recorded(doc: HurtsDocument) -> None:
    pinned = dataclasses.replace(doc, layout=Layout(worker=[1], rest=[0]))
    data = json.loads(json.dumps(documents.to_json(pinned)))
    assert data["layout"] == {"worker": [1], "rest": [0]}
    assert documents.from_json(HurtsDocument, data) == pinned
    assert output.markdown(pinned).startswith("CPUs: the service's workers on CPU 1;")
    assert output.markdown(doc).startswith("nothing pinned")


def parsed(*argv: str) -> Plan:
    """The plan ``hurts ARGV`` would run (nothing runs)."""
    args = make_parser(["hurts"]).parse_args(["hurts", *argv])
    return command.plan_of(args)


# --delay and --cpu reach every experiment's requests; --cpu C is the CPU experiment's
# only C, on a ladder around what one core allows at C.
def test_delay_and_cpu_reach_the_query() -> None:
    plan = parsed("--quick", "--delay", "0.2", "--cpu", "20")
    assert plan.delay == 0.2 and plan.cpu_ms == (20,) and plan.spend_ms == 20
    assert experiments.query(plan) == "/?delay=0.2&cpu=20"  # blocking and idle requests
    assert experiments.query(plan, cpu=20) == "/?delay=0.2&cpu=20"  # the CPU experiment's
    assert "cpu=20&block=200" in experiments.query(plan, block=plan.block_ms, every=6)
    one_core = 1000 / (20 + experiments.OVERHEAD_MS)  # 45 a second
    ladder = plan.ladder(20)
    assert ladder and ladder[0] <= one_core <= ladder[-1] < 2 * one_core
    # The fixed rates stay light at C: what they show is not a queue.
    for rate in (plan.cpu_rate, plan.block_rate, plan.idle_rate, plan.detector_rate):
        assert rate <= experiments.LIGHT * one_core
    # The blocking call comes as often a second as in the plan without C.
    quick = experiments.QUICK
    assert plan.block_rate / plan.block_every == pytest.approx(
        quick.block_rate / quick.block_every, rel=0.1
    )
    default = parsed()
    assert default == experiments.FULL and experiments.query(default) == "/?delay=0.05"


@pytest.mark.parametrize(
    "argv",
    [
        ["--cpu", "-1"],
        ["--cpu", "many"],
        ["--cpu", "1001"],
        ["--delay", "-0.1"],
        ["--delay", "11"],
        ["--cores", "-1"],
        ["--cores", "1.5"],
        ["--cores", str(CPUS)],  # the rest would have no CPU left
    ],
)
def test_bad_profile_or_cores(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    refused(capsys, ["hurts", *argv])
