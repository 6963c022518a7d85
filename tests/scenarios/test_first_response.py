"""first_response: the first answer wins; what each model does with the loser.

The services count the requests whose client hung up (``aborted`` in /stats).
To read that count for one run alone, every run here gets services of its own,
all started and run in parallel: the shared session services would mix the
counts of every run in flight.
"""

from __future__ import annotations

import pytest

from shared.contract import DEMO_SCALE, MODELS
from shared.harness import runner
from shared.harness.services import Services
from shared.scenarios.first_response import MODES, FirstResponseSpec, left_behind
from tests.support.batches import Batches, batch
from tests.support.scenarios import by_hand, passed, quiet, refused
from tests.support.services import own_services, settled

#: The loser answers after 2.5 s at the demo scale, the winner after 0.02 s:
#: an interpreter waiting for the loser stands apart from one that just ends
#: even when a busy machine adds a second or more to every start and return.
SLOW = {"scale": DEMO_SCALE, "ipify": 10.0}
LOSER_SECONDS = 2.5

Wire = dict[tuple[str, str], tuple[runner.Run, dict[str, int]]]


@batch
def wire_runs(services: Services) -> Wire:
    combos = [(model, mode) for mode in MODES for model in MODELS]
    with own_services(len(combos)) as services:
        jobs = [
            runner.Job(model, "first_response",
                       runner.make_spec("first_response", own, mode=mode, **SLOW))
            for (model, mode), own in zip(combos, services, strict=True)
        ]  # fmt: skip
        runs = runner.run_all(jobs)
        return {
            combo: (run, settled(own))
            for combo, run, own in zip(combos, runs, services, strict=True)
        }


@pytest.fixture(scope="module")
def wire(batches: Batches) -> Wire:
    return batches[wire_runs]


# In both modes, every model takes the fastest service's answer, and as soon as it comes.
@pytest.mark.parametrize("mode", MODES)
def test_first_answer_wins(wire: Wire, model: str, mode: str) -> None:
    run, _ = wire[model, mode]
    passed(run)
    assert run.outcome is not None and run.outcome.winner == "ip-api"


# What "wait for the first" hands back: two sets, or gevent's list of the ready.
@pytest.mark.parametrize(
    ("model", "waited"),
    [
        ("asyncio", "(done, pending) sets of 1 and 1"),
        ("gevent", "a list of the 1 ready"),
        ("threads", "(done, pending) sets of 1 and 1"),
    ],
)
def test_waiting_for_the_first(wire: Wire, model: str, waited: str) -> None:
    for mode in MODES:
        assert wire[model, mode][0].outcome.waited == waited  # type: ignore[union-attr]


# The server's view of the loser: cancelled tasks and killed greenlets hang up;
# a running thread cannot be stopped, so its request is served in full.
@pytest.mark.parametrize(
    ("model", "mode", "loser", "served", "aborted"),
    [
        ("asyncio", "tidy", "cancelled", 1, 1),
        ("gevent", "tidy", "cancelled", 1, 1),
        ("threads", "tidy", "finished", 2, 0),
        ("asyncio", "careless", "waiting", 1, 1),  # asyncio.run cancels it on the way out
        ("gevent", "careless", "waiting", 1, 1),  # the connection dies with the process
        ("threads", "careless", "waiting", 2, 0),  # the interpreter waits for it
    ],
)
def test_losers_on_the_wire(
    wire: Wire, model: str, mode: str, loser: str, served: int, aborted: int
) -> None:
    run, stats = wire[model, mode]
    assert run.outcome.loser == loser  # type: ignore[union-attr]
    assert (stats["served"], stats["aborted"], stats["in_flight"]) == (served, aborted, 0)
    assert stats["aborted"] == left_behind(run.job.spec, model).aborted  # type: ignore[arg-type]


# Tidy mode leaves nothing behind in any model, and prints nothing on stderr.
def test_tidy_leaves_nothing_behind(wire: Wire, model: str) -> None:
    run, _ = wire[model, "tidy"]
    quiet(run)
    assert run.returncode == 0


# Tidy threads return only once the loser is through; the others right after the winner.
@pytest.mark.parametrize(("model", "waits"), [("asyncio", False), ("gevent", False),
                                              ("threads", True)])  # fmt: skip
def test_tidy_return(wire: Wire, model: str, waits: bool) -> None:
    returned = wire[model, "tidy"][0].outcome.timings["returned"]  # type: ignore[union-attr]
    assert (returned >= LOSER_SECONDS) == waits, returned


# Careless mode: what is still there when the scenario returns, per model. No
# model warns: modern asyncio.run cancels the pending task itself.
@pytest.mark.parametrize(
    ("model", "pending", "sockets"),
    [
        ("asyncio", ["task ipify"], 0),
        ("gevent", ["greenlet ipify"], 1),
        ("threads", ["thread first_response_0", "thread first_response_1"], 1),
    ],
)
def test_careless_leftovers(wire: Wire, model: str, pending: list[str], sockets: int) -> None:
    run, _ = wire[model, "careless"]
    diagnostics = run.diagnostics
    assert (diagnostics.pending, diagnostics.sockets) == (pending, sockets)
    assert (diagnostics.stderr, diagnostics.warnings) == ({}, [])
    expected = left_behind(run.job.spec, model)  # type: ignore[arg-type]
    assert (list(expected.pending), expected.sockets) == (pending, sockets)


# Careless mode: only the threads model makes the interpreter wait for the loser at exit.
# The scenario returns within milliseconds in every model; a process that was still
# there to take the loser's whole answer, a second later, waited for it at exit. (Not
# Diagnostics.exit_seconds: on a busy machine interpreter shutdown alone can take most
# of a second, and the two would not stay apart.)
@pytest.mark.parametrize(("model", "waits"), [("asyncio", False), ("gevent", False),
                                              ("threads", True)])  # fmt: skip
def test_careless_exit(wire: Wire, model: str, waits: bool) -> None:
    run, stats = wire[model, "careless"]
    assert run.outcome.timings["returned"] < LOSER_SECONDS / 2  # type: ignore[union-attr]
    assert (stats["served"], stats["aborted"]) == ((2, 0) if waits else (1, 1)), stats
    if waits:
        assert run.wall > LOSER_SECONDS
    assert left_behind(run.job.spec, model).exit_waits == waits  # type: ignore[arg-type]


# Run by hand in the default (tidy) mode, a model prints the article's lines and no warning.
def test_python_m_tidy_is_silent(model: str, services: Services) -> None:
    done = by_hand(model, "first_response", "--scale", "0.1", "--services-url", services.url)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[-2].startswith("ip-api finished with result: 203.0.113.7")


# A mode that does not exist: one line, status 2.
def test_unknown_mode_is_rejected() -> None:
    done = by_hand("threads", "first_response", "--spec", '{"mode": "sloppy"}')
    assert "mode must be one of tidy, careless" in refused(done)


# The spec refuses equal delays: the winner would not be known in advance.
def test_equal_delays_are_rejected() -> None:
    with pytest.raises(ValueError, match="distinct"):
        FirstResponseSpec(ipify=1.0, ip_api=1.0)
