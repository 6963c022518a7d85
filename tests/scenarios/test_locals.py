"""locals: what a child task sees of its creator's per-task state, and what leaks back."""

from __future__ import annotations

import pytest

from shared.scenarios.locals import AFTER, BEFORE, CHILD, NOTHING, LocalsOutcome
from tests.support.batches import Runs
from tests.support.scenarios import outcome, passed, quiet


# An asyncio task runs in a copy of its creator's context, taken when it is
# created: it sees the value from before, not the creator's later change. A
# greenlet and a thread start with an empty context. The child's own change
# never reaches the creator.
@pytest.mark.parametrize(
    ("model", "seen"), [("asyncio", BEFORE), ("gevent", NOTHING), ("threads", NOTHING)]
)
def test_contextvar_in_a_child(demo_runs: Runs, model: str, seen: str) -> None:
    run = demo_runs["locals", model]
    passed(run)
    assert outcome(run, LocalsOutcome).child["contextvar"] == seen
    assert outcome(run, LocalsOutcome).creator["contextvar"] == AFTER


# threading.local: one thread for every asyncio task, so the child sees the
# creator's latest value and its change leaks back; per greenlet once gevent
# has patched it, and per thread: the child sees nothing, and changes nothing.
@pytest.mark.parametrize(
    ("model", "seen", "leaked"),
    [("asyncio", AFTER, CHILD), ("gevent", NOTHING, AFTER), ("threads", NOTHING, AFTER)],
)
def test_threading_local_in_a_child(demo_runs: Runs, model: str, seen: str, leaked: str) -> None:
    run = demo_runs["locals", model]
    done = outcome(run, LocalsOutcome)
    assert done.child["local"] == seen
    assert done.creator["local"] == leaked
    assert f"Child sees contextvar={done.child['contextvar']}, local={seen}" in run.transcript


# Started in contextvars.copy_context(), a child sees its creator's value in
# every model, and what it sets stays in its copy.
def test_an_explicit_copy(demo_runs: Runs, model: str) -> None:
    run = demo_runs["locals", model]
    assert outcome(run, LocalsOutcome).copied == {"child": AFTER, "creator": AFTER}


# Nothing of the children is left when the scenario returns, and nothing is said.
def test_nothing_left(demo_runs: Runs, model: str) -> None:
    quiet(demo_runs["locals", model])
