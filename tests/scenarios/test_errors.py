"""error_handling (3a) and future_exceptions (3b): where a failure is caught, met and reported."""

from __future__ import annotations

from shared.scenarios.future_exceptions import FutureExceptionsOutcome
from tests.support.batches import Runs
from tests.support.scenarios import outcome, passed, quiet

# The expression whose evaluation re-raises the failure of a task/greenlet/future.
READ = {"asyncio": "task.result()", "gevent": "greenlet.get()", "threads": "future.result()"}
KEY_ERROR = "KeyError: 'this-is-not-an-attr'"


# The refused connection is caught inside the task: the run goes on, quietly.
def test_unreachable_caught_inside_the_task(demo_runs: Runs, model: str) -> None:
    run = demo_runs["error_handling", model]
    passed(run)
    assert "borken is unresponsive" in run.transcript
    assert sum("finished with result: 203.0.113.7" in line for line in run.transcript) == 2
    quiet(run)
    assert run.returncode == 0


# The KeyError raised in fetch_ip is met where main reads the result, in each model's own way.
def test_where_the_error_is_met(demo_runs: Runs, model: str) -> None:
    run = demo_runs["future_exceptions", model]
    assert outcome(run, FutureExceptionsOutcome).errors == {
        "malformed": {
            "error": "KeyError('this-is-not-an-attr')",
            "raised_in": "fetch_ip",
            "met_at": READ[model],
        }
    }
    [report] = [line for line in run.transcript if line.startswith("Unexpected error: ")]
    assert report.startswith("Unexpected error: Traceback (most recent call last):")
    assert f"in main\n    ip = {READ[model]}" in report
    assert report.endswith(KEY_ERROR)
    assert "borken is unresponsive" in run.transcript


# Only gevent also reports the failure on stderr, from the greenlet's death, not the reading.
def test_failure_on_stderr(demo_runs: Runs, model: str) -> None:
    diagnostics = demo_runs["future_exceptions", model].diagnostics
    if model == "gevent":
        assert list(diagnostics.stderr) == ["run"]
        printed = diagnostics.stderr["run"]
        assert printed.count(KEY_ERROR) == 1
        assert "failed with KeyError" in printed
        assert "in fetch_ip" in printed and "in main" not in printed
    else:
        assert diagnostics.stderr == {}
    assert (diagnostics.warnings, diagnostics.pending, diagnostics.sockets) == ([], [], 0)
