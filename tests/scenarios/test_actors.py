"""actors: one message at a time, in the order they came, the same in every model."""

from __future__ import annotations

from shared.contract import DEMO_SCALE, MODELS
from shared.harness import runner
from shared.harness.services import Services
from shared.scenarios.actors import ActorsOutcome
from tests.support.batches import Batches, Runs, batch
from tests.support.scenarios import in_every_model, outcome, passed, quiet

#: Two senders of four messages, the actor slower: the mailbox holds more.
OTHER = {"scale": DEMO_SCALE, "senders": 2, "messages": 4, "work": 0.15}


@batch
def other_runs(services: Services) -> dict[str, runner.Run]:
    return in_every_model("actors", services, **OTHER)


# The messages are handled in the order they reached the mailbox, one at a time,
# and each sender's replies are the balances after its own deposits.
def test_one_at_a_time_in_order(demo_runs: Runs, model: str) -> None:
    run = demo_runs["actors", model]
    passed(run)
    done = outcome(run, ActorsOutcome)
    assert done.handled == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3"]
    assert done.most_at_once == 1
    assert done.replies == {"1": [11, 23, 36], "2": [57, 79, 102], "3": [133, 165, 198]}
    assert done.balance == 198 == sum(10 * s + n for s in (1, 2, 3) for n in (1, 2, 3))
    assert run.transcript[-1] == "Actor stopped with 198"


# Another spec: the order, the replies and the time follow it.
def test_the_order_follows_the_spec(batches: Batches, model: str) -> None:
    run = batches[other_runs][model]
    passed(run)
    done = outcome(run, ActorsOutcome)
    assert done.handled == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4"]
    assert done.replies == {"1": [11, 23, 36, 50], "2": [71, 93, 116, 140]}


# The same facts in every model, for either spec.
def test_every_model_agrees(demo_runs: Runs, batches: Batches) -> None:
    for runs in ({m: demo_runs["actors", m] for m in MODELS}, batches[other_runs]):
        facts = [outcome(runs[m], ActorsOutcome).facts() for m in MODELS]
        assert facts[0] == facts[1] == facts[2]


# The actor stops at the sentinel: nothing of it or the senders is left behind.
def test_nothing_left(demo_runs: Runs, model: str) -> None:
    quiet(demo_runs["actors", model])
