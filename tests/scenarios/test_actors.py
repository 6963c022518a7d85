"""actors: one message at a time, in the order they came, the same in every model."""

from __future__ import annotations

import pytest

from shared.contract import DEMO_SCALE, MODELS
from shared.harness import runner
from shared.harness.services import Services
from shared.scenarios.actors import ActorsOutcome
from tests.support.batches import Batches, Runs, batch

#: Two senders of four messages, the actor slower: the mailbox holds more.
OTHER = {"scale": DEMO_SCALE, "senders": 2, "messages": 4, "work": 0.15}


def outcome(run: runner.Run) -> ActorsOutcome:
    assert isinstance(run.outcome, ActorsOutcome), run.problems
    return run.outcome


@batch
def other_runs(services: Services) -> dict[str, runner.Run]:
    jobs = runner.jobs_for(["actors"], MODELS, services, **OTHER)
    return {run.job.model: run for run in runner.run_all(jobs)}


@pytest.fixture(scope="module")
def other(batches: Batches) -> dict[str, runner.Run]:
    return batches[other_runs]


# The messages are handled in the order they reached the mailbox, one at a time,
# and each sender's replies are the balances after its own deposits.
def test_one_at_a_time_in_order(demo_runs: Runs, model: str) -> None:
    run = demo_runs["actors", model]
    assert run.problems == [], "\n".join(run.transcript)
    done = outcome(run)
    assert done.handled == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3"]
    assert done.most_at_once == 1
    assert done.replies == {"1": [11, 23, 36], "2": [57, 79, 102], "3": [133, 165, 198]}
    assert done.balance == 198 == sum(10 * s + n for s in (1, 2, 3) for n in (1, 2, 3))
    assert run.transcript[-1] == "Actor stopped with 198"


# Another spec: the order, the replies and the time follow it.
def test_the_order_follows_the_spec(other: dict[str, runner.Run], model: str) -> None:
    run = other[model]
    assert run.problems == [], "\n".join(run.transcript)
    assert outcome(run).handled == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4"]
    assert outcome(run).replies == {"1": [11, 23, 36, 50], "2": [71, 93, 116, 140]}


# The same facts in every model, for either spec.
def test_every_model_agrees(demo_runs: Runs, other: dict[str, runner.Run]) -> None:
    for runs in ({m: demo_runs["actors", m] for m in MODELS}, other):
        facts = [outcome(runs[m]).facts() for m in MODELS]
        assert facts[0] == facts[1] == facts[2]


# The actor stops at the sentinel: nothing of it or the senders is left behind.
def test_nothing_left(demo_runs: Runs, model: str) -> None:
    diagnostics = demo_runs["actors", model].diagnostics
    assert (diagnostics.pending, diagnostics.sockets, diagnostics.stderr) == ([], 0, {})
