"""Runs (model, scenario, spec) in an interpreter of that model, of its own.

Each run is ``python -m <model>_impl SCENARIO --result FILE`` in a child process
(forked by the model's fork server, ``shared.harness.forkserver``, or fresh):
gevent gets the monkey-patched interpreter its users run, nothing a model does
can leak into another run, and what a model prints at exit is seen too.
The runs of a batch go in parallel; they spend their time waiting, not computing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import heapq
import itertools
import json
import logging
import math
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from shared import documents, scenarios
from shared.contract import MODELS, Expected, HostReport, HttpSpec, Outcome, PostgresSpec, Spec
from shared.harness import forkserver, processes
from shared.harness.services import Services

#: A run measured again is said here (at INFO: the suite lists them at its end).
log = logging.getLogger(__name__)

RUN_TIMEOUT = 120.0  # seconds: a run that takes longer is stopped and reported as failed
#: How many times a run is measured when its only problems are timings over their
#: bounds or facts a late run gets wrong (see ``Expected.only_too_slow``): the
#: machine was busy, not the model wrong.
ATTEMPTS = 3
#: Seconds the services may take to answer the watch's GET /stats before they
#: count as hung: far above what a busy machine makes them take (milliseconds).
SERVICES_PATIENCE = 3.0


@dataclass(frozen=True)
class Job:
    model: str
    scenario: str
    spec: Spec


@dataclass
class Diagnostics:
    """What a model did besides its job (see ``shared.harness.host``)."""

    stderr: dict[str, str] = field(default_factory=dict)  # phase -> text: run, collect, exit
    warnings: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    sockets: int = 0
    exit_seconds: float = 0.0  # from the report being written to the process ending
    # phase -> second at which its stderr began, on the transcript's clock (run, collect)
    stderr_began: dict[str, float] = field(default_factory=dict)


@dataclass
class Run:
    """The result of one job."""

    job: Job
    outcome: Outcome | None
    expected: Expected
    transcript: list[str]
    diagnostics: Diagnostics
    returncode: int
    wall: float  # seconds, interpreter start-up and exit included
    error: str = ""  # why there is no outcome: the scenario's failure, in one line
    # Not empty when the environment failed rather than the model: the
    # interpreter was killed, crashed before its report, or was stopped.
    environment: str = ""
    # The problems of each earlier attempt, one line each, when a timing over
    # its bound made the runner measure the run again: shown, never hidden.
    remeasured: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        if self.environment:
            return [self.environment]
        if self.outcome is None:
            return [self.error or f"exit status {self.returncode}"]
        return self.expected.problems(self.outcome)

    @property
    def ok(self) -> bool:
        return not self.problems

    def record(self) -> RunRecord:
        """The run as a runs file keeps it."""
        return RunRecord(
            model=self.job.model,
            scenario=self.job.scenario,
            spec=self.job.spec.to_json(),
            outcome=self.outcome.to_json() if self.outcome else None,
            expected=dataclasses.asdict(self.expected),
            problems=self.problems,
            transcript=self.transcript,
            diagnostics=self.diagnostics,
            returncode=self.returncode,
            wall=self.wall,
            error=self.error,
            environment=self.environment,
            remeasured=self.remeasured,
        )

    @classmethod
    def of(cls, record: RunRecord, where: str = "run") -> Run:
        """The run a record keeps, its expectation derived again from its spec.

        ``DocumentError`` names the part (``where.spec``) that its scenario refuses.
        """
        if record.model not in MODELS:
            raise documents.DocumentError(f"{where}.model: unknown model {record.model!r}")
        scenario = _part(f"{where}.scenario", lambda: scenarios.get(record.scenario))
        spec = _part(f"{where}.spec", lambda: scenario.spec_type.from_json(record.spec))
        outcome = None
        if record.outcome is not None:
            data = record.outcome
            outcome = _part(f"{where}.outcome", lambda: scenario.outcome_type.from_json(data))
        return cls(
            job=Job(record.model, record.scenario, spec),
            outcome=outcome,
            expected=_part(f"{where}.spec", lambda: scenario.expect(spec, record.model)),
            transcript=list(record.transcript),
            diagnostics=record.diagnostics,
            returncode=record.returncode,
            wall=record.wall,
            error=record.error,
            environment=record.environment,
            remeasured=list(record.remeasured),
        )

    def to_json(self) -> dict[str, Any]:
        return documents.to_json(self.record())

    @classmethod
    def from_json(cls, data: Any, where: str = "run") -> Run:
        """The inverse of ``to_json``; ``DocumentError`` names a part that does not fit."""
        return cls.of(documents.from_json(RunRecord, data, where), where)


T = TypeVar("T")


def _part(where: str, make: Callable[[], T]) -> T:
    """``make()``, with what its scenario's code raises as a ``DocumentError`` naming ``where``."""
    try:
        return make()
    except (ValueError, TypeError, LookupError, ArithmeticError) as exc:
        raise documents.DocumentError(f"{where}: {exc}") from None


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """A run as a runs file keeps it: the spec and the outcome as their own JSON
    (their types are the scenario's), the expectation and the problems as they
    were (read back, both are derived again from the spec)."""

    model: str
    scenario: str
    spec: dict[str, Any]
    outcome: dict[str, Any] | None
    expected: dict[str, Any]
    problems: list[str]
    transcript: list[str]
    diagnostics: Diagnostics
    returncode: int
    wall: float
    error: str
    environment: str
    remeasured: list[str]


@dataclass(frozen=True, kw_only=True)
class RunsDocument:
    """The JSON of ``run --json``: where the runs ran, and every run."""

    FORMAT: ClassVar[documents.Format] = documents.Format("runs", 1, command="run")

    environment: documents.Environment
    runs: list[RunRecord]


def write_runs(path: Path | str, runs: Sequence[Run], environment: documents.Environment) -> None:
    """The runs as ``run --json`` writes them; ``OSError`` if the file cannot be written."""
    documents.write(path, RunsDocument(environment=environment, runs=[r.record() for r in runs]))


def read_runs(path: Path | str) -> list[Run]:
    """The runs of a ``run --json`` file; ``DocumentError``, in one line naming the part
    that does not fit, for a file of another kind, version or shape, or without runs."""
    document = documents.read(path, RunsDocument)
    try:
        if not document.runs:
            raise documents.DocumentError("runs: none (a runs file has one at least)")
        return [Run.of(record, f"runs[{i}]") for i, record in enumerate(document.runs)]
    except documents.DocumentError as exc:
        raise documents.DocumentError(f"{path}: {exc}") from None


def make_spec(
    scenario: str, services: Services | None, postgres_url: str = "", **values: Any
) -> Spec:
    """The spec of a scenario, pointed at ``services`` (and PostgreSQL) when it uses them."""
    spec: Spec = scenarios.get(scenario).spec(**values)
    if isinstance(spec, PostgresSpec) and postgres_url:
        spec = spec.pointed_at_postgres(postgres_url)
    if isinstance(spec, HttpSpec) and services is not None:
        return spec.pointed_at(services.url, services.unreachable)
    return spec


def run_one(job: Job, *, timeout: float = RUN_TIMEOUT, group: processes.Group | None = None,
            attempts: int = ATTEMPTS, fresh: bool | None = None) -> Run:  # fmt: skip
    """Run ``job`` in an interpreter of its own; again, up to ``attempts`` in all,
    while its only problem is a timing over its bound (the earlier problems are
    kept in ``Run.remeasured``). ``fresh``: a fresh interpreter rather than a
    fork of the model's fork server (by default, as ``forkserver.enabled()``)."""
    earlier: list[str] = []
    while True:
        # Measured again, a run has the model interpreters to itself (see _alone).
        run = _run_once(job, timeout=timeout, group=group, fresh=fresh, alone=bool(earlier))
        run.remeasured = earlier
        if run.outcome is None or run.environment or len(earlier) + 1 >= attempts:
            return run
        if not run.expected.only_too_slow(run.outcome):
            return run
        earlier = [*earlier, "; ".join(run.problems)]
        log.info("%s in %s measured again: %s", job.scenario, job.model, "; ".join(run.problems))


def _run_once(job: Job, *, timeout: float, group: processes.Group | None,
              fresh: bool | None, alone: bool = False) -> Run:  # fmt: skip
    scenario = scenarios.get(job.scenario)
    expected = scenario.expect(job.spec, job.model)
    if isinstance(job.spec, HttpSpec) and not job.spec.services_url:
        raise ValueError(f"{job.scenario} needs the local services: give the spec a services_url")
    if isinstance(job.spec, PostgresSpec) and not job.spec.postgres_url:
        raise ValueError(f"{job.scenario} needs PostgreSQL: give the spec a postgres_url")
    fd, result = tempfile.mkstemp(
        prefix=f"{job.model}-{job.scenario}-", suffix=".json", dir=processes.scratch()
    )
    os.close(fd)
    argv = [job.scenario, "--spec", json.dumps(job.spec.to_json()), "--result", result]
    group = group or processes.DEFAULT
    # The wall time counts from the start, not from the wait.
    with _alone() if alone else _slots.held(least_seconds(expected)):
        try:
            if not (fresh if fresh is not None else not forkserver.enabled()):
                server = forkserver.server(job.model)
                try:
                    child = server.run(argv, job.scenario, timeout=timeout, group=group)
                except forkserver.ServerError as exc:  # it died, or could not start
                    return Run(job, None, expected, [], Diagnostics(), -1, 0.0,
                               environment=str(exc))  # fmt: skip
                except processes.Stopped:
                    return _not_begun(job, expected)
            else:
                try:
                    child = group.run([sys.executable, "-m", f"{job.model}_impl", *argv],
                                      timeout=timeout)  # fmt: skip
                except processes.Stopped:
                    return _not_begun(job, expected)
            ended = time.time()
            with open(result, encoding="utf-8") as file:
                written = file.read()
        finally:
            os.unlink(result)
    returncode = child.returncode
    if returncode is None or child.stopped:
        why = (
            f"no result after {timeout:g} s: stopped at the runner's deadline"
            if returncode is None
            else f"stopped {child.seconds:.1f} s into its run"
        )
        return Run(job, None, expected, child.stdout.splitlines(),
                   Diagnostics(stderr={"run": child.stderr}), -1, child.seconds,
                   environment=why)  # fmt: skip
    if not written:
        # The interpreter ended without its report: killed from outside, or
        # crashed before the scenario could even fail (the host reports that).
        last = child.stderr.strip().splitlines()[-1:]
        why = child.describe() + (f": {last[0]}" if last and returncode >= 0 else "")
        return Run(job, None, expected, child.stdout.splitlines(),
                   Diagnostics(stderr={"run": child.stderr}), returncode, child.seconds,
                   environment=f"the interpreter ended without a report ({why}) "
                   f"{child.seconds:.1f} s into its run")  # fmt: skip
    report = HostReport.from_json(json.loads(written))
    # What the host saw by phase; whatever came after its report came at exit.
    phases: dict[str, str] = dict(report.stderr)
    seen = "".join(phases.values())
    if child.stderr.startswith(seen):
        phases["exit"] = child.stderr[len(seen) :]
    diagnostics = Diagnostics(
        stderr={phase: text for phase, text in phases.items() if text},
        warnings=report.warnings,
        pending=report.pending,
        sockets=report.sockets,
        exit_seconds=max(0.0, ended - report.reported_at),
        stderr_began=report.stderr_began,
    )
    outcome = scenario.outcome_type.from_json(report.outcome) if report.outcome else None
    environment = ""
    if returncode < 0:  # its report was written, and then it was killed
        environment = f"the interpreter was {child.describe()} after its report"
    return Run(job, outcome, expected, report.lines, diagnostics, returncode, child.seconds,
               error=report.error, environment=environment)  # fmt: skip


def _not_begun(job: Job, expected: Expected) -> Run:
    """A run its batch was stopped before (the services failed, or Ctrl-C)."""
    return Run(job, None, expected, [], Diagnostics(), -1, 0.0,
               environment="stopped before it began: its batch was stopped")  # fmt: skip


def run_all(
    jobs: Sequence[Job],
    *,
    workers: int | None = None,
    on_done: Callable[[Run], None] | None = None,
    watch: Watch | None = None,
    fresh: bool | None = None,
) -> list[Run]:
    """Run the jobs in parallel; the runs come back in the order of the jobs.

    With a ``watch``, the services are watched meanwhile: if they die or stop
    answering, the runs still going are stopped (their results would say
    nothing of the models) and ``watch.failure`` says what happened, and when.
    """
    workers = workers or min(len(jobs), 2 * (os.cpu_count() or 1) + 2) or 1
    group = processes.Group()
    if watch is not None:
        watch.start(group)

    def one(job: Job) -> Run:
        run = run_one(job, group=group, fresh=fresh)
        if on_done is not None:
            on_done(run)
        return run

    pool = ThreadPoolExecutor(workers)
    try:
        # The longest first: started last, one long run would keep the batch
        # going alone after every other run had ended. The results keep the jobs' order.
        order = longest_first(jobs)
        done = dict(zip(order, pool.map(one, [jobs[i] for i in order]), strict=True))
        runs = [done[i] for i in range(len(jobs))]
    except BaseException:
        # Ctrl-C or a failure: start nothing more, and stop what is running
        # rather than wait for it.
        pool.shutdown(wait=False, cancel_futures=True)
        group.stop()
        raise
    finally:
        pool.shutdown(wait=True)
        if watch is not None:
            watch.stop()
    if watch is not None and watch.failure:
        # A run that failed while the services were failing says nothing of its
        # model, even one that failed before the watch's next look: a refused or
        # reset request fails a run at once.
        for run in runs:
            if not run.ok and not run.environment:
                run.environment = f"failed while {watch.failure}"
    return runs


def longest_first(jobs: Sequence[Job]) -> list[int]:
    """The jobs' indexes, the one whose spec promises the most time first."""
    least = [least_seconds(scenarios.get(j.scenario).expect(j.spec, j.model)) for j in jobs]
    return sorted(range(len(jobs)), key=lambda i: -least[i])


def least_seconds(expected: Expected) -> float:
    """The least time a right run takes by its spec: the sum of its timings'
    lower bounds (timings counted from the same start add up to more; as an
    order of runs, longest first, that is near enough)."""
    return sum(max(bound.low, 0.0) for bound in expected.bounds.values())


class Watch:
    """Watches the local services while a batch runs (see ``run_all``)."""

    def __init__(self, services: Services, *, interval: float = 0.25,
                 patience: float = SERVICES_PATIENCE) -> None:  # fmt: skip
        self.services = services
        self.interval = interval
        self.patience = patience
        self.failure = ""  # what happened to the services, and when; "" while they are well
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._began = time.perf_counter()

    def start(self, group: processes.Group) -> None:
        self._began = time.perf_counter()

        def watch() -> None:
            while not self._done.wait(self.interval):
                problem = self.services.check(self.patience)
                if problem and not self._done.is_set():
                    self.failure = f"{problem}, {self._since()} into the run"
                    group.stop()
                    return

        self._thread = threading.Thread(target=watch, name="services-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching, after one last look: runs that failed fast may end before a check."""
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        if not self.failure and (problem := self.services.check(self.patience)):
            self.failure = f"{problem}, seen at the end of the run ({self._since()})"

    def _since(self) -> str:
        return f"{time.perf_counter() - self._began:.1f} s"


# However many batches run at once, this many model interpreters at most: more
# would only queue for the CPU, and blur the timings they measure.
_SLOTS = 2 * (os.cpu_count() or 1) + 2


class _Slots:
    """The model interpreters' slots, given to the longest waiting run first.

    Every batch of a process queues here: first come, first served, a batch's
    long runs would start behind the short runs of the batches that asked
    before it, and end alone, after the others. A free slot goes to the run
    whose spec promises the most time (``least_seconds``); among equals, to
    the first that asked.
    """

    def __init__(self, count: int) -> None:
        self._free = count
        self._ready = threading.Condition()
        self._waiting: list[tuple[float, int]] = []  # a heap: (-seconds, arrival)
        self._arrivals = itertools.count()

    def acquire(self, seconds: float) -> None:
        with self._ready:
            place = (-seconds, next(self._arrivals))
            heapq.heappush(self._waiting, place)
            try:
                while not (self._free and self._waiting[0] == place):
                    self._ready.wait()
            except BaseException:
                self._waiting.remove(place)
                heapq.heapify(self._waiting)
                self._ready.notify_all()
                raise
            heapq.heappop(self._waiting)
            self._free -= 1
            self._ready.notify_all()  # the next in line may take another free slot

    def release(self) -> None:
        with self._ready:
            self._free += 1
            self._ready.notify_all()

    @contextlib.contextmanager
    def held(self, seconds: float) -> Iterator[None]:
        self.acquire(seconds)
        try:
            yield
        finally:
            self.release()


_slots = _Slots(_SLOTS)
_taking_all = threading.Lock()


@contextlib.contextmanager
def _alone() -> Iterator[None]:
    """Every slot: no other model interpreter of this process runs meanwhile.

    For a run measured again because it came out too slow. Measured again in
    the same crowd, a right model would meet the same noise; measured alone,
    it gets the CPU the others were taking, and a wrong one stays slow however
    quiet the machine is. One run at a time takes them (the lock), so two such
    runs cannot each hold half of the slots and wait for the other half; each
    slot it asks for goes to it before any run.
    """
    with _taking_all:
        for _ in range(_SLOTS):
            _slots.acquire(math.inf)
    try:
        yield
    finally:
        for _ in range(_SLOTS):
            _slots.release()


def jobs_for(
    names: Iterable[str],
    models: Iterable[str],
    services: Services | None,
    postgres_url: str = "",
    **values: Any,
) -> list[Job]:
    """One job per (scenario, model), every spec built from the same values."""
    models = list(models)
    for model in models:
        if model not in MODELS:
            raise LookupError(f"unknown model {model!r} (known: {', '.join(MODELS)})")
    return [
        Job(model, name, make_spec(name, services, postgres_url, **values))
        for name in names
        for model in models
    ]


def agree(runs: Sequence[Run]) -> bool:
    """Whether the runs of one scenario report the same facts."""
    facts = [json.dumps(r.outcome.facts(), sort_keys=True) for r in runs if r.outcome]
    return len(facts) == len(runs) and len(set(facts)) <= 1


def verdict(runs: Sequence[Run]) -> str:
    """One scenario's verdict over its runs, one per model."""
    if any(run.environment for run in runs):
        return "the environment failed, not a model"
    if not all(run.ok for run in runs):
        return "a model differs from the expectation"
    if agree(runs):
        return "equivalent"
    return "as expected, with the pinned differences between models"
