"""Every scenario, in every model, against the expectation and against each other."""

from __future__ import annotations

import copy
import json
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared import scenarios
from shared.contract import DEMO_SCALE, MODELS
from shared.harness import runner
from shared.harness.services import Services
from shared.scenarios.context_switch import LINES
from shared.scenarios.fetch import FetchOutcome
from shared.scenarios.ordering import OrderingOutcome
from tests.support.batches import Batches, Runs, batch
from tests.support.scenarios import by_hand, outcome, passed, quiet, refused


# Each model's outcome equals what the spec alone predicts, timings within bounds.
def test_outcome_is_as_expected(demo_runs: Runs, scenario: str, model: str) -> None:
    passed(demo_runs[scenario, model])


# Where the expectation is the same for every model, so are the facts.
def test_models_agree(demo_runs: Runs, scenario: str) -> None:
    expected = {
        m: json.dumps(demo_runs[scenario, m].expected.facts, sort_keys=True) for m in MODELS
    }
    facts = {m: json.dumps(demo_runs[scenario, m].outcome.facts(), sort_keys=True)  # type: ignore[union-attr]
             for m in MODELS}  # fmt: skip
    for a in MODELS:
        for b in MODELS:
            if expected[a] == expected[b]:
                assert facts[a] == facts[b], (a, b)


# The scenarios of the core leave nothing behind and print nothing on stderr.
@pytest.mark.parametrize("name", ["context_switch", "cooperative", "ordering", "fetch"])
def test_core_scenarios_are_quiet(demo_runs: Runs, name: str, model: str) -> None:
    run = demo_runs[name, model]
    quiet(run)
    assert run.returncode == 0


# Delays 0.15 s apart at the demo scale rather than the default 0.05 s: more than
# a machine with every core busy delays a thread's start, so each ends in turn.
SEEDED = {"scale": DEMO_SCALE, "seed": 7, "tasks": 5, "step": 0.6}
MORE_GETS = {"scale": DEMO_SCALE, "delays": (0.6, 0.4, 0.5, 0.3, 0.2)}


@batch
def other_specs(services: Services) -> dict[tuple[str, str], runner.Run]:
    jobs = runner.jobs_for(["ordering"], MODELS, services, **SEEDED)
    jobs += runner.jobs_for(["fetch"], MODELS, services, **MORE_GETS)
    return {(run.job.scenario, run.job.model): run for run in runner.run_all(jobs)}


BY_HAND = {
    "article": ("context_switch",),
    "own services": ("fetch", "--scale", "0.1"),
    "unknown": ("nope",),
}


@batch
def run_by_hand(services: Services) -> dict[tuple[str, str], subprocess.CompletedProcess[str]]:
    with ThreadPoolExecutor(len(MODELS) * len(BY_HAND)) as pool:
        done = {(m, k): pool.submit(by_hand, m, *a) for m in MODELS for k, a in BY_HAND.items()}
        return {key: future.result() for key, future in done.items()}


# The expectation follows the spec: another seed, another concurrent order.
def test_ordering_follows_the_seed(batches: Batches, model: str) -> None:
    run = batches[other_specs]["ordering", model]
    passed(run)
    delays = scenarios.get("ordering").spec(**SEEDED).delays()
    concurrent = outcome(run, OrderingOutcome).concurrent
    assert concurrent == sorted(delays, key=delays.__getitem__)
    assert concurrent != [1, 2, 3, 4, 5]


# More GETs than the article's three: concurrent still takes about the slowest.
def test_fetch_with_more_requests(batches: Batches, model: str) -> None:
    run = batches[other_specs]["fetch", model]
    passed(run)
    assert len(outcome(run, FetchOutcome).concurrent) == 5


# Run by hand, a model prints exactly the article's four lines, in its order.
def test_python_m_prints_the_article_lines(batches: Batches, model: str) -> None:
    done = batches[run_by_hand][model, "article"]
    assert done.returncode == 0
    assert done.stdout.splitlines() == list(LINES)
    assert done.stderr == ""


# Run by hand without services, a model starts its own and stops them.
def test_python_m_starts_its_own_services(batches: Batches, model: str) -> None:
    done = batches[run_by_hand][model, "own services"]
    assert done.returncode == 0
    assert done.stdout.count("Process took:") == 2
    assert done.stderr == ""


# A bad scenario name from the command line: one line, status 2.
def test_python_m_rejects_an_unknown_scenario(batches: Batches, model: str) -> None:
    assert "unknown scenario 'nope'" in refused(batches[run_by_hand][model, "unknown"])


# Only a run whose one problem is a timing over its bound is measured again.
def test_only_too_slow_runs_are_measured_again(demo_runs: Runs) -> None:
    run, expected = demo_runs["fetch", "asyncio"], demo_runs["fetch", "asyncio"].expected
    assert isinstance(run.outcome, FetchOutcome) and run.ok
    bound = expected.bounds["concurrent"]

    def taking(seconds: float) -> FetchOutcome:
        outcome = copy.deepcopy(run.outcome)
        assert isinstance(outcome, FetchOutcome)
        outcome.timings["concurrent"] = seconds
        return outcome

    assert not expected.only_too_slow(run.outcome)  # nothing wrong
    assert expected.only_too_slow(taking(bound.high + 0.1))
    assert not expected.only_too_slow(taking(bound.low - 0.01))  # no machine makes it faster
    wrong = taking(bound.high + 0.1)
    wrong.concurrent = []  # a fact wrong too: measuring again would not mend it
    assert not expected.only_too_slow(wrong)


# A fact that a late run gets wrong (the order of tasks woken 0.15 s apart) is
# measured again as a timing over its bound is; any other fact is not.
def test_late_facts_are_measured_again(demo_runs: Runs) -> None:
    run = demo_runs["ordering", "threads"]
    assert isinstance(run.outcome, OrderingOutcome) and run.ok
    assert run.expected.late == ["concurrent"]
    late = copy.deepcopy(run.outcome)
    late.concurrent[:2] = reversed(late.concurrent[:2])
    assert run.expected.problems(late) and run.expected.only_too_slow(late)
    wrong = copy.deepcopy(late)
    wrong.synchronous.reverse()  # called out of order: no lateness does that
    assert not run.expected.only_too_slow(wrong)
    early = copy.deepcopy(late)
    early.timings["concurrent"] = run.expected.bounds["concurrent"].low - 0.01
    assert not run.expected.only_too_slow(early)  # no machine makes it faster


# A free slot goes to the waiting run with the most time ahead of it; among
# equals, to the first that asked.
def test_slots_go_to_the_longest_run_first() -> None:
    slots = runner._Slots(1)
    slots.acquire(0.0)  # the one slot taken: every other run waits
    started: list[str] = []

    def run(name: str, seconds: float) -> None:
        with slots.held(seconds):
            started.append(name)

    waiting = [("short", 0.5), ("long", 8.0), ("also short", 0.5), ("longer", 9.0)]
    threads = []
    for name, seconds in waiting:
        threads.append(threading.Thread(target=run, args=(name, seconds)))
        threads[-1].start()
        while len(slots._waiting) < len(threads):  # in line before the next one asks
            time.sleep(0.001)
    slots.release()
    for thread in threads:
        thread.join(timeout=10)
    assert started == ["longer", "long", "short", "also short"]


# run_all's order: ordering's nine sleeps one by one before fetch's three, and
# context_switch, which promises no time at all, last.
def test_longest_first_follows_the_specs(services: Services) -> None:
    jobs = runner.jobs_for(["context_switch", "ordering", "fetch"], ["threads"], services)
    assert runner.longest_first(jobs) == [1, 2, 0]
