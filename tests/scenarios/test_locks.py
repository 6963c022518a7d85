"""locks: the updates lost without a lock in each model, none with it; a bounded resource."""

from __future__ import annotations

from shared.contract import DEMO_SCALE
from shared.harness import runner
from shared.harness.services import Services
from shared.scenarios.locks import NOT_PROMISED, LocksOutcome, LocksSpec, lost_when_switching
from tests.support.batches import Batches, Runs, batch
from tests.support.scenarios import in_every_model, outcome, passed

#: Fewer tasks and updates, a wider bound: the numbers follow the spec.
SMALL = {"scale": DEMO_SCALE, "tasks": 4, "updates": 25, "users": 5, "bound": 3}


@batch
def small_runs(services: Services) -> dict[str, runner.Run]:
    return in_every_model("locks", services, **SMALL)


# A zero sleep between read and write: the same 900 of 1000 lost every run where
# switches go first-in-first-out; some, never a promised number, in threads.
def test_lost_with_a_switch(demo_runs: Runs, model: str) -> None:
    run = demo_runs["locks", model]
    passed(run)
    spec = run.job.spec
    assert isinstance(spec, LocksSpec)
    lost = outcome(run, LocksOutcome).lost["switch"]
    if model == "threads":
        assert 0 < lost < spec.total()
        assert outcome(run, LocksOutcome).facts()["lost"]["switch"] == "some"
    else:
        assert lost == lost_when_switching(spec) == 900
    assert f"switch: the counter at {spec.total() - lost} of 1000, {lost} lost" in run.transcript


# Waiting for a result already there: no switch, nothing lost, where switches
# happen only at yield points; threads promise nothing either way.
def test_lost_without_a_switch(demo_runs: Runs, model: str) -> None:
    done = outcome(demo_runs["locks", model], LocksOutcome)
    lost = done.lost["ready"]
    if model == "threads":
        assert 0 <= lost < 1000
        assert done.facts()["lost"]["ready"] == NOT_PROMISED
    else:
        assert lost == 0
        assert done.facts()["lost"]["ready"] == 0


# The model's lock, held from the read to the write: none lost in any model.
def test_the_lock_loses_none(demo_runs: Runs, model: str) -> None:
    run = demo_runs["locks", model]
    assert outcome(run, LocksOutcome).lost["locked"] == 0
    assert "locked: the counter at 1000 of 1000, 0 lost" in run.transcript


# The semaphore lets exactly ``bound`` users in at once, never more; the
# users take ceil(users / bound) turns (the timing bound of the expectation).
def test_semaphore_bounds_the_holders(demo_runs: Runs, batches: Batches, model: str) -> None:
    for run, bound in ((demo_runs["locks", model], 2), (batches[small_runs][model], 3)):
        assert outcome(run, LocksOutcome).peak == bound
        holding = [int(line.split(", ")[1].split()[0]) for line in run.transcript
                   if " acquired the semaphore, " in line]  # fmt: skip
        assert max(holding) == bound and len(holding) == run.job.spec.users  # type: ignore[attr-defined]


# Another spec, other numbers: 4 tasks of 25 updates lose 75 of 100 with a switch.
def test_the_numbers_follow_the_spec(batches: Batches, model: str) -> None:
    run = batches[small_runs][model]
    passed(run)
    lost = outcome(run, LocksOutcome).lost
    assert lost["locked"] == 0
    if model == "threads":
        assert 0 < lost["switch"] < 100
    else:
        assert lost == {"ready": 0, "switch": 75, "locked": 0}
