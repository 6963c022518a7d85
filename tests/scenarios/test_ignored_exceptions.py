"""ignored_exceptions: what each model says of a failure nobody reads, and when."""

from __future__ import annotations

import pytest

from shared.scenarios.ignored_exceptions import REPORTS
from tests.support.batches import Runs
from tests.support.scenarios import by_hand, passed, refused


# Nothing else is left behind: the failure is the only thing to report.
def test_nothing_left_behind(demo_runs: Runs, model: str) -> None:
    run = demo_runs["ignored_exceptions", model]
    passed(run)
    diagnostics = run.diagnostics
    assert (diagnostics.warnings, diagnostics.pending, diagnostics.sockets) == ([], [], 0)
    assert run.returncode == 0


# What is said, and in which phase of the run's stderr: asyncio's log line, gevent's
# traceback with its "failed with" line, and from concurrent.futures nothing at all.
@pytest.mark.parametrize(
    ("model", "phases", "first", "last"),
    [
        ("asyncio", ["run"], "Task exception was never retrieved", "'this-is-not-an-attr'"),
        ("gevent", ["run"], "Traceback (most recent call last):", "failed with KeyError"),
        ("threads", [], None, None),
    ],
)
def test_what_is_reported(
    demo_runs: Runs, model: str, phases: list[str], first: str | None, last: str | None
) -> None:
    stderr = demo_runs["ignored_exceptions", model].diagnostics.stderr
    assert list(stderr) == phases
    if phases:
        lines = stderr["run"].rstrip().splitlines()
        assert lines[0] == first
        assert lines[-1].endswith(last)  # type: ignore[arg-type]
        assert "KeyError: 'this-is-not-an-attr'" in lines
    if model == "asyncio":
        # The task's repr names the exception the log is about.
        assert "exception=KeyError('this-is-not-an-attr')" in stderr["run"]


# When: gevent at the failure, before ipify answers; asyncio only once the task is
# destroyed, as main returns after every answer; concurrent.futures never.
@pytest.mark.parametrize(
    ("model", "when"),
    [("asyncio", "after the last answer"), ("gevent", "at the failure"), ("threads", "never")],
)
def test_when_it_is_reported(demo_runs: Runs, model: str, when: str) -> None:
    run = demo_runs["ignored_exceptions", model]
    began = run.diagnostics.stderr_began
    spec = run.job.spec
    answered = run.outcome.timings["answered"]  # type: ignore[union-attr]
    if when == "never":
        assert began == {}
    elif when == "at the failure":
        assert spec.seconds(spec.malformed) <= began["run"] < answered  # type: ignore[attr-defined]
    else:
        assert answered <= began["run"] <= run.outcome.timings["returned"]  # type: ignore[union-attr]


# The catalogue's written-out expectation says the same as the runs.
def test_reports_match_the_catalogue(demo_runs: Runs, model: str) -> None:
    report = REPORTS[model]
    stderr = demo_runs["ignored_exceptions", model].diagnostics.stderr
    assert list(stderr) == ([report.phase] if report.phase else [])
    if report.phase:
        lines = stderr[report.phase].splitlines()
        found = [next(i for i, line in enumerate(lines) if said in line) for said in report.says]
        assert found == sorted(found)


# A spec where the failure would not come first is refused: one line, status 2.
def test_malformed_must_fail_first() -> None:
    done = by_hand("asyncio", "ignored_exceptions", "--spec", '{"malformed": 1.0}')
    assert "malformed must answer before ipify" in refused(done)
