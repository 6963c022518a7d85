"""chat_server: every client hears every line, in one order, in every model."""

from __future__ import annotations

from shared.harness import runner
from shared.harness.services import Services
from shared.scenarios.chat_server import ChatServerOutcome
from tests.support.batches import Batches, Runs, batch
from tests.support.scenarios import in_every_model, outcome, passed, quiet

# A crowd, each saying many lines at once: plenty of chances for a broadcast
# to be overtaken half-way if the server let it.
CROWD = {"clients": tuple(f"client{n}" for n in range(1, 9)), "lines": 25}


@batch
def crowd(services: Services) -> dict[str, runner.Run]:
    return in_every_model("chat_server", services, **CROWD)


# Three clients and a vanisher: the same facts in every model, the server unharmed.
def test_every_client_hears_every_line(demo_runs: Runs, model: str) -> None:
    run = demo_runs["chat_server", model]
    passed(run)
    heard = outcome(run, ChatServerOutcome).heard
    assert list(heard) == ["alice", "bob", "carol"]
    assert sorted(heard["alice"]) == sorted(
        f"{name}: line {n} from {name}" for name in heard for n in (1, 2, 3)
    )
    assert heard["bob"] == heard["alice"] == heard["carol"]


# Eight clients saying 25 lines each at once: still one order for all.
def test_a_crowd_hears_one_order(batches: Batches, model: str) -> None:
    run = batches[crowd][model]
    passed(run)
    heard = outcome(run, ChatServerOutcome).heard
    assert len({tuple(lines) for lines in heard.values()}) == 1
    assert all(len(lines) == 8 * 25 for lines in heard.values())


# The server's tasks, greenlets or threads end with it; every socket is closed.
def test_nothing_left(demo_runs: Runs, model: str) -> None:
    quiet(demo_runs["chat_server", model])
