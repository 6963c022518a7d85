"""What the scenario tests share: typed outcomes, runs in every model, a model run by hand."""

from __future__ import annotations

import subprocess
import sys
from typing import Any, TypeVar

from shared.contract import MODELS, Outcome
from shared.harness import runner
from shared.harness.services import Services

OutcomeT = TypeVar("OutcomeT", bound=Outcome)

#: Seconds a model run by hand may take: a deadline against a hang, not a
#: timing, so generous enough for a crowded machine.
BY_HAND_TIMEOUT = 180.0


def outcome(run: runner.Run, kind: type[OutcomeT]) -> OutcomeT:
    """The run's outcome, as its scenario's type; a run without one fails with its problems."""
    assert isinstance(run.outcome, kind), run.problems
    return run.outcome


def passed(run: runner.Run) -> None:
    """The run met its expectation; a failure shows what the model said."""
    assert run.problems == [], "\n".join(run.transcript)


def quiet(run: runner.Run) -> None:
    """Nothing said on stderr, no warning, no work still pending and no socket left open."""
    diagnostics = run.diagnostics
    assert (diagnostics.stderr, diagnostics.warnings) == ({}, []), diagnostics
    assert (diagnostics.pending, diagnostics.sockets) == ([], 0), diagnostics


def in_every_model(scenario: str, services: Services, **values: Any) -> dict[str, runner.Run]:
    """``scenario`` run once in each model with a spec of these values; the runs by model."""
    jobs = runner.jobs_for([scenario], MODELS, services, **values)
    return {run.job.model: run for run in runner.run_all(jobs)}


def by_hand(model: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m MODEL_impl ARGS``, as a user runs a model."""
    command = [sys.executable, "-m", f"{model}_impl", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=BY_HAND_TIMEOUT)


def refused(done: subprocess.CompletedProcess[str]) -> str:
    """What a model run by hand refused its arguments with: one line, exit status 2."""
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    return done.stderr
