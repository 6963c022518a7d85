"""future_states: each model's table, cell by cell where the models differ."""

from __future__ import annotations

import pytest

from shared.contract import MODELS
from shared.scenarios.future_states import QUERIES, SITUATIONS
from tests.support.batches import Runs

IP = "'203.0.113.7'"


def states(demo_runs: Runs, model: str) -> dict[str, dict[str, str]]:
    outcome = demo_runs["future_states", model].outcome
    assert outcome is not None, demo_runs["future_states", model].problems
    return outcome.states  # type: ignore[no-any-return]


def actions(demo_runs: Runs, model: str) -> dict[str, str]:
    outcome = demo_runs["future_states", model].outcome
    assert outcome is not None, demo_runs["future_states", model].problems
    return outcome.actions  # type: ignore[no-any-return]


# Every model fills the whole table: every situation, every query.
def test_the_table_is_complete(demo_runs: Runs, model: str) -> None:
    table = states(demo_runs, model)
    assert list(table) == list(SITUATIONS)
    assert all(list(row) == list(QUERIES) for row in table.values())


# Where all three agree: work done with a result, or with an exception, and a result set by hand.
def test_what_all_models_share(demo_runs: Runs) -> None:
    for model in MODELS:
        table = states(demo_runs, model)
        assert table["done with a result"]["done"] == "True"
        assert table["done with a result"]["result"] == IP
        assert table["done with a result"]["exception"] == "None"
        assert table["done with an exception"]["result"] == "raises KeyError"
        assert table["done with an exception"]["exception"] == "KeyError('this-is-not-an-attr')"
        assert actions(demo_runs, model)["result set by hand"] == f"done: True, result: {IP}"


# Only concurrent.futures can tell running work from pending work.
@pytest.mark.parametrize(
    ("model", "pending", "running"),
    [("asyncio", "n/a", "n/a"), ("gevent", "n/a", "n/a"), ("threads", "False", "True")],
)
def test_running_query(demo_runs: Runs, model: str, pending: str, running: str) -> None:
    table = states(demo_runs, model)
    assert (table["pending"]["running"], table["running"]["running"]) == (pending, running)
    assert table["pending"]["done"] == table["running"]["done"] == "False"


# A pending one asked for its result and exception without blocking.
@pytest.mark.parametrize(
    ("model", "result", "exception"),
    [
        ("asyncio", "raises InvalidStateError", "raises InvalidStateError"),
        ("gevent", "raises Timeout", "None"),
        ("threads", "raises TimeoutError", "raises TimeoutError"),
    ],
)
def test_pending_result(demo_runs: Runs, model: str, result: str, exception: str) -> None:
    for situation in ("pending", "running"):
        row = states(demo_runs, model)[situation]
        assert (row["result"], row["exception"]) == (result, exception)


# The blocking result() before done: asyncio refuses, the others wait for it.
@pytest.mark.parametrize(
    ("model", "answer"),
    [
        ("asyncio", "raises InvalidStateError"),
        ("gevent", f"waits, then {IP}"),
        ("threads", f"waits, then {IP}"),
    ],
)
def test_result_before_done(demo_runs: Runs, model: str, answer: str) -> None:
    assert actions(demo_runs, model)["result() before done"] == answer


# A cancelled one: asyncio and threads say so; a killed greenlet is merely done.
@pytest.mark.parametrize(
    ("model", "row"),
    [
        ("asyncio", ("True", "True", "raises CancelledError", "raises CancelledError")),
        ("gevent", ("True", "n/a", "GreenletExit()", "None")),
        ("threads", ("True", "True", "raises CancelledError", "raises CancelledError")),
    ],
)
def test_cancelled(demo_runs: Runs, model: str, row: tuple[str, ...]) -> None:
    cells = states(demo_runs, model)["cancelled"]
    assert (cells["done"], cells["cancelled"], cells["result"], cells["exception"]) == row


# Cancelling stops pending work everywhere, running work everywhere but in a thread.
@pytest.mark.parametrize(
    ("model", "pending", "running"),
    [
        ("asyncio", "True; never runs", "True; CancelledError inside"),
        ("gevent", "None; never runs", "None; GreenletExit inside"),
        ("threads", "True; never runs", "False; runs to the end"),
    ],
)
def test_cancel_running(demo_runs: Runs, model: str, pending: str, running: str) -> None:
    done = actions(demo_runs, model)
    assert (done["cancel() a pending one"], done["cancel() a running one"]) == (pending, running)


# Who calls a done-callback, and whether one added to a finished future runs at once.
@pytest.mark.parametrize(
    ("model", "on_finish", "once_done"),
    [
        ("asyncio", "called with it, by the event loop", "later, by the event loop"),
        ("gevent", "called with it, by the hub", "later, by the hub"),
        ("threads", "called with it, by the worker thread", "at once, by the caller"),
    ],
)
def test_done_callbacks(demo_runs: Runs, model: str, on_finish: str, once_done: str) -> None:
    done = actions(demo_runs, model)
    assert (done["done-callback"], done["done-callback added once done"]) == (on_finish, once_done)


# Setting a result a second time: refused, except by gevent's AsyncResult.
@pytest.mark.parametrize(
    ("model", "answer"),
    [
        ("asyncio", f"raises InvalidStateError; result: {IP}"),
        ("gevent", "accepted; result: '198.51.100.1'"),
        ("threads", f"raises InvalidStateError; result: {IP}"),
    ],
)
def test_result_set_twice(demo_runs: Runs, model: str, answer: str) -> None:
    assert actions(demo_runs, model)["result set twice"] == answer


# A failure that the scenario does read: only gevent prints it anyway, as the greenlet dies.
@pytest.mark.parametrize(("model", "printed"), [("asyncio", False), ("gevent", True),
                                                ("threads", False)])  # fmt: skip
def test_failure_that_is_read(demo_runs: Runs, model: str, printed: bool) -> None:
    stderr = demo_runs["future_states", model].diagnostics.stderr
    assert list(stderr) == (["run"] if printed else [])
    if printed:
        assert "KeyError: 'this-is-not-an-attr'" in stderr["run"]
        assert stderr["run"].rstrip().endswith("failed with KeyError")
