"""The plan of a bench, its jobs, and the figures they give.

What each workload measures (the code is in ``<model>_impl/workloads.py``):

* ``spawn``: create, start and finish N trivial tasks (greenlets, threads); the
  time per task. Timed by pyperf: one value is N tasks, several values per
  worker process after a warm-up, several worker processes.
* ``memory``: N tasks parked on one event; the resident (RSS) and virtual
  (VMS) memory they add, per task, read from ``/proc`` while they all wait. One
  process per size, so an earlier size's freed memory cannot be reused.
* ``switch``: a ping-pong between two tasks through the model's own queue;
  the time per round trip (two switches). Timed by pyperf, as ``spawn``.
* ``fanout``: N GETs started at once against the local services, each answered
  after D = 0.1 s: the wall time, the overhead (wall - D, the model's and the
  client library's cost of running N at once), the errors. Two variants:
  *tuned*, where the limits are chosen for N (a connection, a thread per
  request), and *defaults*, the libraries' own, where the hidden caps show;
  tuned runs a second, warm pass over the same connections.
* ``throughput``: D = 0, a fixed number of workers each doing GETs back to back;
  requests per second, with the CPU the client and the server used beside it.

Every job is a fresh interpreter of its model, run one after the other (never
two at once: they would share two cores). Repetitions are interleaved, the
models taking turns, so that a change in the machine's load falls on every
model alike; the 1-minute load average is recorded with every measurement.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.bench.child import MICRO, VARIANTS, WORKLOADS
from shared.contract import MODELS, jsonable
from shared.services import Services, open_services

UVLOOP = "asyncio+uvloop"

#: The threads model stops here. pid_max (32,768 here) and threads-max count every
#: thread of every process on the machine: a benchmark that ran into them would
#: make other programs' fork() and thread starts fail. 10,000 is a fan-out's N.
THREAD_CAP = 10_000

#: What each workload's size counts, for tables and JSON.
SIZE_NAMES = {
    "spawn": "tasks",
    "memory": "tasks",
    "switch": "round_trips",
    "fanout": "requests",
    "throughput": "workers",
}


@dataclass(frozen=True)
class Plan:
    """Sizes and repetitions of a bench."""

    name: str
    repeat: int  # fresh interpreters per memory, fanout and throughput measurement
    spawn_tasks: int  # one pyperf value: this many tasks
    switch_rounds: int  # one pyperf value: this many round trips
    processes: int  # pyperf worker processes (the micro-workloads' repetitions)
    values: int  # pyperf values per worker, after
    warmups: int  # this many warm-up values
    memory_sizes: tuple[int, ...]
    fanout_sizes: tuple[int, ...]
    delay: float  # D: seconds the server waits before answering a fan-out's GET
    deadline: float  # seconds a tuned fan-out pass may take before the rest is cancelled
    defaults_deadline: float  # the same for the defaults, which a cap may make very slow
    seconds: float  # how long a throughput measurement lasts
    concurrency: int  # throughput's workers

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(self)
        return data


FULL = Plan(
    name="full",
    repeat=3,
    spawn_tasks=10_000,
    switch_rounds=20_000,
    processes=5,
    values=3,
    warmups=2,
    memory_sizes=(1_000, 10_000, 100_000),
    fanout_sizes=(10, 100, 1_000, 10_000),
    delay=0.1,
    deadline=60.0,
    defaults_deadline=20.0,
    seconds=3.0,
    concurrency=50,
)

QUICK = Plan(
    name="quick",
    repeat=1,
    spawn_tasks=2_000,
    switch_rounds=5_000,
    processes=2,
    values=2,
    warmups=2,
    memory_sizes=(1_000, 10_000),
    fanout_sizes=(10, 100, 1_000),
    delay=0.1,
    deadline=10.0,
    defaults_deadline=3.0,
    seconds=1.0,
    concurrency=50,
)


# -- models and workloads -----------------------------------------------------


def uvloop_installed() -> bool:
    return importlib.util.find_spec("uvloop") is not None


def available_models() -> tuple[str, ...]:
    """The models a bench can run here: asyncio+uvloop when uvloop is installed."""
    extra = (UVLOOP,) if uvloop_installed() else ()
    return (MODELS[0], *extra, *MODELS[1:])


def package_of(model: str) -> tuple[str, list[str]]:
    """The impl package that runs ``model``, and the options that make it that variant."""
    if model == UVLOOP:
        return "asyncio", ["--uvloop"]
    return model, []


def check_models(models: Sequence[str]) -> list[str]:
    """The models asked for, in the order given; ValueError says what is wrong."""
    known = (*MODELS, UVLOOP)
    unknown = [m for m in models if m not in known]
    if unknown or not models:
        raise ValueError(
            f"unknown model {', '.join(unknown) or '(none)'} (known: {', '.join(known)})"
        )
    if UVLOOP in models and not uvloop_installed():
        raise ValueError(f"{UVLOOP} needs uvloop: pip install 'concurrency-compare[uvloop]'")
    return list(dict.fromkeys(models))


def check_workloads(names: Sequence[str]) -> list[str]:
    """The workloads asked for (all of them if none), in the bench's order."""
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        raise LookupError(f"unknown workload {unknown[0]!r} (known: {', '.join(WORKLOADS)})")
    return [w for w in WORKLOADS if w in names] if names else list(WORKLOADS)


# -- jobs -----------------------------------------------------------------------


def options(**values: object) -> list[str]:
    """Command-line options: ``--name value`` for each."""
    return [part for name, value in values.items() for part in (f"--{name}", str(value))]


@dataclass(frozen=True)
class Job:
    """One fresh interpreter of one model running one workload once."""

    workload: str
    model: str
    variant: str  # fanout: tuned or defaults; "" otherwise
    size: int  # what SIZE_NAMES says
    repetition: int

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.workload, self.model, self.variant, self.size)

    def arguments(self, plan: Plan, services: Services | None) -> list[str]:
        """The child's command line after ``python -m <package>_impl bench``."""
        _, extra = package_of(self.model)
        head = [self.workload, *extra]
        if self.workload in MICRO:
            repeats = options(processes=plan.processes, values=plan.values, warmups=plan.warmups)
            return [*head, *repeats, *options(loops=self.size), "--quiet"]
        if self.workload == "memory":
            return [*head, *options(size=self.size)]
        assert services is not None, f"{self.workload} needs the local services"
        if self.workload == "fanout":
            url = f"{services.url}/events?delay={plan.delay}"
            passes = 2 if self.variant == "tuned" else 1  # tuned: cold, then warm
            return [*head, *options(url=url, size=self.size, variant=self.variant,
                                    passes=passes, deadline=self.deadline(plan))]  # fmt: skip
        url = f"{services.url}/events"
        return [*head, *options(url=url, seconds=plan.seconds, concurrency=self.size)]

    def deadline(self, plan: Plan) -> float:
        """A fan-out pass's deadline."""
        return plan.deadline if self.variant == "tuned" else plan.defaults_deadline

    def timeout(self, plan: Plan) -> float:
        """Seconds after which the job is stopped and reported as such: never a hang."""
        if self.workload == "fanout":
            return 2 * self.deadline(plan) + 60
        if self.workload == "throughput":
            return plan.seconds + 60
        return 300.0


@dataclass(frozen=True)
class Skip:
    """A measurement not made, and the limit that says why."""

    workload: str
    model: str
    variant: str
    size: int
    reason: str

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.workload, self.model, self.variant, self.size)


def plan_jobs(
    plan: Plan, workloads: Sequence[str], models: Sequence[str]
) -> tuple[list[Job], list[Skip]]:
    """Every job of the bench, in the order they run, and the measurements skipped."""
    jobs: list[Job] = []
    skips: list[Skip] = []
    cap = f"not run: threads are capped at {THREAD_CAP:,} (pid_max is machine-wide)"
    for repetition in range(plan.repeat):
        for workload in workloads:
            if workload in MICRO:
                if repetition == 0:  # pyperf repeats these itself, in its worker processes
                    size = plan.spawn_tasks if workload == "spawn" else plan.switch_rounds
                    jobs += [Job(workload, model, "", size, 0) for model in models]
                continue
            sizes = {
                "memory": plan.memory_sizes,
                "fanout": plan.fanout_sizes,
                "throughput": (plan.concurrency,),
            }[workload]
            variants = VARIANTS if workload == "fanout" else ("",)
            for size in sizes:
                for variant in variants:
                    for model in models:
                        over = model == "threads" and size > THREAD_CAP and variant != "defaults"
                        if over and repetition == 0:
                            skips.append(Skip(workload, model, variant, size, cap))
                        if not over:
                            jobs.append(Job(workload, model, variant, size, repetition))
    return jobs, skips


# -- the machine ----------------------------------------------------------------


def machine() -> dict[str, Any]:
    """The limits that bound a benchmark here, and what the machine is."""
    import platform
    import resource

    def read(path: str) -> str | None:
        try:
            with open(path, encoding="ascii") as file:
                return file.read().strip()
        except OSError:
            return None

    def rlimit(which: int) -> str:
        soft, hard = resource.getrlimit(which)
        shown = ["unlimited" if n == resource.RLIM_INFINITY else str(n) for n in (soft, hard)]
        return "/".join(shown)

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in (read("/proc/cpuinfo") or "").splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        (
            line.split()[1]
            for line in (read("/proc/meminfo") or "").splitlines()
            if line.startswith("MemTotal:")
        ),
        None,
    )
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gib": round(int(memory) / 2**20, 1) if memory else None,
        "pid_max": read("/proc/sys/kernel/pid_max"),
        "threads_max": read("/proc/sys/kernel/threads-max"),
        "max_map_count": read("/proc/sys/vm/max_map_count"),
        "somaxconn": read("/proc/sys/net/core/somaxconn"),
        "open_files": rlimit(resource.RLIMIT_NOFILE),
        "processes": rlimit(resource.RLIMIT_NPROC),
        "stack": rlimit(resource.RLIMIT_STACK),
        "thread_cap": THREAD_CAP,
    }


# -- measuring ------------------------------------------------------------------


@dataclass
class Measure:
    """What one job gave: values per metric (pyperf gives several), counts, notes."""

    job: Job
    values: dict[str, list[float]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    loads: list[float] = field(default_factory=list)  # 1-minute load averages while it ran
    elsewhere: float | None = None  # cores kept busy by other programs while it ran
    notes: list[str] = field(default_factory=list)
    error: str = ""  # why the job gave no figures
    stderr: str = ""
    seconds: float = 0.0  # the job's wall time, interpreter start and exit included

    def to_json(self) -> dict[str, Any]:
        return {
            "repetition": self.job.repetition,
            "values": self.values,
            "counts": self.counts,
            "loads": self.loads,
            "elsewhere": self.elsewhere,
            "notes": self.notes,
            "error": self.error,
            "stderr": self.stderr[-2000:],
            "seconds": round(self.seconds, 3),
        }


def process_cpu(pid: int | None) -> float | None:
    """Seconds of CPU (user + system) that process ``pid`` has used, from ``/proc``."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    # fields[0] is the state (field 3 of stat(5)): utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float | None:
    """Seconds of CPU the whole machine has spent busy since it started (``/proc/stat``)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(n) for n in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + ticks[4]  # idle and iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """Seconds of CPU used by this process and the children it has waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def listen_overflows() -> int | None:
    """Connections the kernel dropped because an accept queue was full (machine-wide)."""
    try:
        with open("/proc/net/netstat", encoding="ascii") as netstat:
            lines = [line.split() for line in netstat if line.startswith("TcpExt:")]
        names, values = lines[0], lines[1]
        return int(values[names.index("ListenOverflows")])
    except (OSError, IndexError, ValueError):
        return None


def run_command(command: list[str], timeout: float) -> tuple[int | None, str]:
    """Run ``command`` in a process group of its own; stop the whole group on timeout.

    Returns the exit status (None when it had to be stopped) and its stderr. The
    group matters: pyperf's workers are the child's children.
    """
    child = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, and Ctrl-C stays with us: we stop it in order
    )
    try:
        _, stderr = child.communicate(timeout=timeout)
        return child.returncode, stderr
    except subprocess.TimeoutExpired:
        return None, ""
    finally:
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.communicate()


@dataclass(frozen=True)
class Snapshot:
    """Counters read just before and just after a job."""

    at: float  # perf_counter seconds
    machine: float | None  # CPU seconds the whole machine has been busy
    ours: float  # CPU seconds of this process and the children it waited for
    server: float | None  # CPU seconds of the local services' process
    overflows: int | None  # connections dropped by full accept queues, machine-wide

    @classmethod
    def take(cls, server: int | None) -> Snapshot:
        return cls(time.perf_counter(), machine_busy(), own_cpu(), process_cpu(server),
                   listen_overflows())  # fmt: skip


def difference(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def busy_elsewhere(before: Snapshot, after: Snapshot) -> float | None:
    """Cores that other programs kept busy between two snapshots.

    The load average counts our own threads too (a release of 10,000 parked
    threads makes it jump): the CPU that others used meanwhile is a fairer
    measure of the noise a figure was taken in.
    """
    machine = difference(after.machine, before.machine)
    if machine is None:
        return None
    ours = after.ours - before.ours + (difference(after.server, before.server) or 0.0)
    return max(0.0, machine - ours) / max(after.at - before.at, 1e-9)


def run_job(job: Job, plan: Plan, services: Services | None) -> Measure:
    """Run one job in a fresh interpreter of its model and read its figures."""
    package, _ = package_of(job.model)
    fd, result = tempfile.mkstemp(prefix=f"cc-bench-{job.workload}-", suffix=".json")
    os.close(fd)
    # The same as `python -m <package>_impl bench ...`, which hands the micro-workloads
    # to pyperf's manager in a plain interpreter: here we start that one directly.
    start = (
        ["shared.bench.micro", package] if job.workload in MICRO else [f"{package}_impl", "bench"]
    )
    command = [sys.executable, "-m", *start, *job.arguments(plan, services), "--result", result]
    measure = Measure(job, loads=[os.getloadavg()[0]])
    uses_server = job.workload in ("fanout", "throughput") and services is not None
    if services is not None and uses_server:
        services.reset()
    server = services.pid if services else None
    before = Snapshot.take(server)
    try:
        status, measure.stderr = run_command(command, job.timeout(plan))
        with open(result, encoding="utf-8") as file:
            written = file.read()
    finally:
        os.unlink(result)
    after = Snapshot.take(server)
    measure.seconds = after.at - before.at
    measure.elsewhere = busy_elsewhere(before, after)
    if status is None:
        measure.error = f"no result after {job.timeout(plan):.0f} s: stopped"
        return measure
    if not written:
        last = measure.stderr.strip().splitlines()[-1:] or [f"exit status {status}"]
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
    tasks = parked["tasks"]
    measure.counts["parked"] = tasks
    if parked["stopped"]:
        measure.notes.append(f"stopped by the system: {parked['stopped']}")
    if tasks:
        measure.values["resident_kib_per_task"] = [parked["resident"] / tasks / 1024]
        measure.values["virtual_kib_per_task"] = [parked["virtual"] / tasks / 1024]


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


# -- figures --------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    low: float
    median: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        return cls(min(values), statistics.median(values), max(values))

    def to_json(self) -> dict[str, float]:
        return {"min": self.low, "median": self.median, "max": self.high}


@dataclass
class Cell:
    """Every measurement of one (workload, model, variant, size)."""

    workload: str
    model: str
    variant: str
    size: int
    measures: list[Measure] = field(default_factory=list)
    skipped: str = ""

    def values(self, metric: str) -> list[float]:
        return [v for m in self.measures for v in m.values.get(metric, [])]

    def summary(self, metric: str) -> Summary | None:
        values = self.values(metric)
        return Summary.of(values) if values else None

    def count(self, name: str) -> int:
        return sum(m.counts.get(name, 0) for m in self.measures)

    @property
    def metrics(self) -> list[str]:
        return list(dict.fromkeys(name for m in self.measures for name in m.values))

    @property
    def elsewhere(self) -> float | None:
        found = [m.elsewhere for m in self.measures if m.elsewhere is not None]
        return statistics.median(found) if found else None

    @property
    def load(self) -> float | None:
        loads = [load for m in self.measures for load in m.loads]
        return statistics.median(loads) if loads else None

    @property
    def notes(self) -> list[str]:
        """Why figures are missing or unusual, each once, with how many runs it concerns."""
        said = [m.error for m in self.measures if m.error]
        said += [note for m in self.measures for note in m.notes]
        found = [self.skipped] if self.skipped else []
        for note in dict.fromkeys(said):
            times, runs = said.count(note), len(self.measures)
            found.append(note if times == runs else f"{note} ({times} of {runs} runs)")
        return found

    @property
    def failed(self) -> bool:
        return any(m.error for m in self.measures)

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {"model": self.model}
        if self.variant:
            record["variant"] = self.variant
        record[SIZE_NAMES[self.workload]] = self.size
        for metric in self.metrics:
            summary = self.summary(metric)
            record[metric] = summary.to_json() if summary else None
        counts = list(dict.fromkeys(name for m in self.measures for name in m.counts))
        record.update({name: self.count(name) for name in counts})
        record["runs"] = sum(1 for m in self.measures if not m.error)
        record["load"] = self.load
        record["busy_elsewhere"] = self.elsewhere
        record["notes"] = "; ".join(self.notes)
        record["measures"] = [m.to_json() for m in self.measures]
        return record


@dataclass
class Bench:
    """A whole bench: its plan and every cell, in the order of the plan."""

    plan: Plan
    workloads: list[str]
    models: list[str]
    cells: dict[tuple[str, str, str, int], Cell]
    seconds: float = 0.0
    loads: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at its start and its end

    def of(self, workload: str) -> list[Cell]:
        return [cell for cell in self.cells.values() if cell.workload == workload]

    @property
    def ok(self) -> bool:
        return not any(cell.failed for cell in self.cells.values())


def new_bench(
    plan: Plan, workloads: Sequence[str], models: Sequence[str]
) -> tuple[Bench, list[Job]]:
    jobs, skips = plan_jobs(plan, workloads, models)
    cells: dict[tuple[str, str, str, int], Cell] = {}

    def reading_order(item: Job | Skip) -> tuple[int, int, int, int]:
        variant = VARIANTS.index(item.variant) if item.variant else 0
        return (WORKLOADS.index(item.workload), item.size, variant, list(models).index(item.model))

    items: list[Job | Skip] = [*jobs, *skips]
    for item in sorted(items, key=reading_order):
        cells.setdefault(item.key, Cell(item.workload, item.model, item.variant, item.size))
        if isinstance(item, Skip):
            cells[item.key].skipped = item.reason
    return Bench(plan, list(workloads), list(models), cells), jobs


@contextlib.contextmanager
def services_for(workloads: Sequence[str]) -> Iterator[Services | None]:
    """Services of our own (their CPU is read from /proc) when a workload needs them."""
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
    bench, jobs = new_bench(plan, workloads, models)
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
