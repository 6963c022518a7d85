"""Runs (model, scenario, spec) in a fresh interpreter of that model.

Each run is ``python -m <model>_impl SCENARIO --result FILE`` in a child process:
gevent gets the monkey-patched interpreter its users run, nothing a model does
can leak into another run, and what a model prints at exit is seen too.
The runs of a batch go in parallel; they spend their time waiting, not computing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from shared import processes, scenarios
from shared.contract import MODELS, Expected, HttpSpec, Outcome, Spec
from shared.postgres import PostgresSpec
from shared.services import Services

RUN_TIMEOUT = 120.0  # seconds: a run that takes longer is stopped and reported as failed


@dataclass(frozen=True)
class Job:
    model: str
    scenario: str
    spec: Spec


@dataclass
class Diagnostics:
    """What a model did besides its job (see ``shared.host``)."""

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
    error: str = ""  # why there is no outcome

    @property
    def problems(self) -> list[str]:
        if self.outcome is None:
            return [self.error or f"exit status {self.returncode}"]
        return self.expected.problems(self.outcome)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.job.model,
            "scenario": self.job.scenario,
            "spec": self.job.spec.to_json(),
            "outcome": self.outcome.to_json() if self.outcome else None,
            "expected": dataclasses.asdict(self.expected),
            "problems": self.problems,
            "transcript": self.transcript,
            "diagnostics": dataclasses.asdict(self.diagnostics),
            "returncode": self.returncode,
            "wall": self.wall,
        }


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


def run_one(job: Job, *, timeout: float = RUN_TIMEOUT, group: processes.Group | None = None) -> Run:
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
    command = [
        sys.executable, "-m", f"{job.model}_impl", job.scenario,
        "--spec", json.dumps(job.spec.to_json()), "--result", result,
    ]  # fmt: skip
    with _slots:  # wall time counts from the start of the interpreter, not of the wait
        try:
            child = (group or processes.DEFAULT).run(command, timeout=timeout)
            ended = time.time()
            with open(result, encoding="utf-8") as file:
                written = file.read()
        finally:
            os.unlink(result)
    returncode = child.returncode
    if returncode is None:  # stopped at the deadline
        return Run(job, None, expected, [], Diagnostics(stderr={"run": child.stderr}), -1,
                   timeout, error=child.describe())  # fmt: skip
    if not written:
        last = child.stderr.strip().splitlines()[-1:] or [child.describe()]
        return Run(job, None, expected, child.stdout.splitlines(),
                   Diagnostics(stderr={"run": child.stderr}), returncode, child.seconds,
                   error=last[0])  # fmt: skip
    report = json.loads(written)
    # What the host saw by phase; whatever came after its report came at exit.
    phases: dict[str, str] = dict(report["stderr"])
    seen = "".join(phases.values())
    if child.stderr.startswith(seen):
        phases["exit"] = child.stderr[len(seen) :]
    diagnostics = Diagnostics(
        stderr={phase: text for phase, text in phases.items() if text},
        warnings=report["warnings"],
        pending=report["pending"],
        sockets=report["sockets"],
        exit_seconds=max(0.0, ended - report["reported_at"]),
        stderr_began=report.get("stderr_began", {}),
    )
    outcome = scenario.outcome_type.from_json(report["outcome"]) if "outcome" in report else None
    return Run(job, outcome, expected, report["transcript"]["lines"], diagnostics,
               returncode, child.seconds, error=report.get("error", ""))  # fmt: skip


def run_all(
    jobs: Sequence[Job],
    *,
    workers: int | None = None,
    on_done: Callable[[Run], None] | None = None,
) -> list[Run]:
    """Run the jobs in parallel; the runs come back in the order of the jobs."""
    workers = workers or min(len(jobs), 2 * (os.cpu_count() or 1) + 2) or 1
    group = processes.Group()

    def one(job: Job) -> Run:
        run = run_one(job, group=group)
        if on_done is not None:
            on_done(run)
        return run

    pool = ThreadPoolExecutor(workers)
    try:
        return list(pool.map(one, jobs))
    except BaseException:
        # Ctrl-C or a failure: start nothing more, and stop what is running
        # rather than wait for it.
        pool.shutdown(wait=False, cancel_futures=True)
        group.stop()
        raise
    finally:
        pool.shutdown(wait=True)


# However many batches run at once, this many model interpreters at most: more
# would only queue for the CPU, and blur the timings they measure.
_slots = threading.BoundedSemaphore(2 * (os.cpu_count() or 1) + 2)


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
    if not all(run.ok for run in runs):
        return "a model differs from the expectation"
    if agree(runs):
        return "equivalent"
    return "as expected, with the pinned differences between models"
