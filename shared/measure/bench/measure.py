"""Running a bench: each job in a fresh interpreter, one at a time, its figures read back.

A job is ``python -m <model>_impl bench WORKLOAD ... --result FILE`` (pyperf's
manager, ``shared.measure.bench.micro``, for the micro-workloads), run with a deadline
by ``shared.harness.processes``, which stops its whole process group (pyperf's workers
included) if it overruns. Around each job the bench reads the machine's busy
time, its own and the server's CPU (``shared.measure.bench.probes``): the cores that
*other* programs kept busy meanwhile go into the figures with the load average.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from shared.harness import processes
from shared.harness.services import Services, open_services
from shared.measure.bench.child import MICRO
from shared.measure.bench.figures import STDERR_KEPT, Bench, Measure, new_bench
from shared.measure.bench.plan import Job, Plan, package_of, plan_jobs
from shared.measure.bench.probes import Snapshot, busy_elsewhere, difference


def command_of(job: Job, plan: Plan, services: Services | None, result: str) -> list[str]:
    """The job's command line: the same as ``python -m <package>_impl bench ...``, which
    hands the micro-workloads to pyperf's manager in a plain interpreter: here that one
    is started directly."""
    package, _ = package_of(job.model)
    start = (
        ["shared.measure.bench.micro", package]
        if job.workload in MICRO
        else [f"{package}_impl", "bench"]
    )
    return [sys.executable, "-m", *start, *job.arguments(plan, services), "--result", result]


def run_job(job: Job, plan: Plan, services: Services | None) -> Measure:
    """Run one job in a fresh interpreter of its model and read its figures."""
    result = processes.scratch() / f"bench-{job.workload}-{os.urandom(4).hex()}.json"
    measure = Measure(job, loads=[os.getloadavg()[0]])
    uses_server = job.workload in ("fanout", "throughput") and services is not None
    if services is not None and uses_server:
        services.reset()
    server = services.pid if services else None
    before = Snapshot.take(server)
    try:
        command = command_of(job, plan, services, str(result))
        finished = processes.run(command, timeout=job.timeout(plan), stdout=subprocess.DEVNULL)
        written = result.read_text(encoding="utf-8") if result.exists() else ""
    finally:
        result.unlink(missing_ok=True)
    after = Snapshot.take(server)
    measure.stderr = finished.stderr[-STDERR_KEPT:]
    measure.seconds = round(after.at - before.at, 3)
    measure.elsewhere = busy_elsewhere(before, after)
    if finished.timed_out:
        measure.error = f"no result after {job.timeout(plan):.0f} s: stopped"
        return measure
    if not written:
        last = finished.stderr.strip().splitlines()[-1:] or [finished.describe()]
        measure.error = last[0]
        return measure
    report = json.loads(written)
    seen: dict[str, Any] = {}  # what the server saw
    if services is not None and uses_server:
        seen = dict(services.stats())
        seen["cpu_seconds"] = difference(after.server, before.server)
        seen["listen_overflows"] = difference(after.overflows, before.overflows)
    READERS[job.workload](measure, report, plan, seen)
    return measure


# -- reading a job's report -----------------------------------------------------


def read_micro(
    measure: Measure, report: dict[str, Any], plan: Plan, server: dict[str, Any]
) -> None:
    name = "us_per_task" if measure.job.workload == "spawn" else "us_per_round_trip"
    measure.values[name] = [seconds * 1e6 for seconds in report["seconds_per_op"]]
    measure.counts["processes"] = report["processes"]
    measure.loads = [load for load in report["loads"] if load is not None] or measure.loads


def read_memory(
    measure: Measure, report: dict[str, Any], plan: Plan, server: dict[str, Any]
) -> None:
    parked = report["outcome"]
    measure.counts["parked"] = parked["tasks"]
    if parked["stopped"]:
        measure.notes.append(f"stopped by the system: {parked['stopped']}")
    for name in ("resident_kib_per_task", "virtual_kib_per_task"):
        if parked[name] is not None:
            measure.values[name] = [parked[name]]


def read_fanout(
    measure: Measure, report: dict[str, Any], plan: Plan, server: dict[str, Any]
) -> None:
    size = measure.job.size
    passes = report["outcome"]
    for label, one in zip(("", "warm_"), passes, strict=False):
        measure.values[f"{label}wall_s"] = [one["wall"]]
        measure.values[f"{label}overhead_s"] = [one["wall"] - plan.delay]
        measure.values[f"{label}overhead_us_per_request"] = [
            (one["wall"] - plan.delay) / size * 1e6
        ]
    errors = sum(sum(one["errors"].values()) for one in passes)
    unfinished = sum(one["unfinished"] for one in passes)
    measure.counts.update(
        errors=errors, unfinished=unfinished, completed=sum(one["completed"] for one in passes)
    )
    for one in passes:
        for kind, count in one["errors"].items():
            measure.counts[f"error:{kind}"] = measure.counts.get(f"error:{kind}", 0) + count
    if unfinished:
        # The figures of a stopped pass are those of the deadline; the rest was cancelled.
        measure.values["cancelled"] = [float(unfinished)]
        measure.notes.append(f"stopped at the {measure.job.deadline(plan):g} s deadline")
    if "peak_in_flight" in server:
        measure.values["server_peak_in_flight"] = [float(server["peak_in_flight"])]
    if server.get("listen_overflows"):
        # Connections beyond the accept queue are dropped and retried a second later.
        measure.values["listen_overflows"] = [float(server["listen_overflows"])]
        measure.notes.append("the server's accept queue overflowed")
    measure.values["client_cpu_s"] = [report["cpu_seconds"]]


def read_throughput(
    measure: Measure, report: dict[str, Any], plan: Plan, server: dict[str, Any]
) -> None:
    outcome = report["outcome"]
    seconds = outcome["seconds"]
    measure.values["requests_per_s"] = [outcome["requests"] / seconds]
    measure.values["client_cpu_pct"] = [100 * report["cpu_seconds"] / seconds]
    if server.get("cpu_seconds") is not None:
        measure.values["server_cpu_pct"] = [100 * server["cpu_seconds"] / seconds]
    measure.counts["errors"] = sum(outcome["errors"].values())
    measure.counts["requests"] = outcome["requests"]


READERS: dict[str, Callable[[Measure, dict[str, Any], Plan, dict[str, Any]], None]] = {
    "spawn": read_micro,
    "switch": read_micro,
    "memory": read_memory,
    "fanout": read_fanout,
    "throughput": read_throughput,
}


# -- the whole bench ------------------------------------------------------------


@contextlib.contextmanager
def services_for(workloads: Sequence[str]) -> Iterator[Services | None]:
    """Services of our own (the bench reads their process's CPU) when a workload needs them."""
    if any(w in ("fanout", "throughput") for w in workloads):
        with open_services() as services:
            yield services
    else:
        yield None


def run(
    plan: Plan,
    workloads: Sequence[str],
    models: Sequence[str],
    *,
    on_start: Callable[[Job], None] | None = None,
    on_done: Callable[[Measure], None] | None = None,
    services: Services | None = None,
) -> Bench:
    """Run every job of the bench, one at a time; ``services`` if given, else our own."""
    jobs, skips = plan_jobs(plan, workloads, models)
    bench = new_bench(plan, workloads, models, jobs, skips)
    start, load = time.perf_counter(), os.getloadavg()[0]
    with contextlib.nullcontext(services) if services else services_for(workloads) as running:
        for job in jobs:
            if on_start is not None:
                on_start(job)
            measure = run_job(job, plan, running)
            bench.cells[job.key].measures.append(measure)
            if on_done is not None:
                on_done(measure)
    bench.seconds = time.perf_counter() - start
    bench.loads = (load, os.getloadavg()[0])
    return bench
