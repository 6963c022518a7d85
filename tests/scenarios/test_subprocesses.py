"""subprocesses: children at once, and what a timeout on a child leaves running."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from shared.contract import DEMO_SCALE, MODELS
from shared.harness.services import Services
from shared.scenarios.subprocesses import CHILD, SubprocessesOutcome
from tests.support.batches import Batches, Runs, batch
from tests.support.scenarios import by_hand, outcome, passed, quiet, refused

# What each model's timeout raised, and whether the child still ran afterwards.
TIMEOUT = {
    "asyncio": {"raised": "TimeoutError", "child": "running"},
    "gevent": {"raised": "subprocess.TimeoutExpired", "child": "running"},
    "threads": {"raised": "subprocess.TimeoutExpired", "child": "killed"},
}

# A slow child no other run uses (7.77 s, 1.9425 s at the demo scale), to find
# it among every process of the machine once its parent has ended.
MARKED = ("--scale", str(DEMO_SCALE), "--spec", '{"slow": 7.77}')
MARK = "1.9425"


def marked_children() -> list[int]:
    """Processes anywhere on the machine that run the marked slow child."""
    return [
        process.pid
        for process in psutil.process_iter(["cmdline"])
        if CHILD in (process.info["cmdline"] or []) and MARK in (process.info["cmdline"] or [])
    ]


BAD_SPECS = ('{"timeout": 3}', '{"delays": []}')


@batch
def run_by_hand(services: Services) -> dict[str, subprocess.CompletedProcess[str]]:
    """Each model with the marked slow child, and the threads model with each bad spec."""
    with ThreadPoolExecutor(len(MODELS) + len(BAD_SPECS)) as pool:
        done = {model: pool.submit(by_hand, model, "subprocesses", *MARKED) for model in MODELS}
        done |= {
            spec: pool.submit(by_hand, "threads", "subprocesses", "--spec", spec)
            for spec in BAD_SPECS
        }
        return {key: future.result() for key, future in done.items()}


# Every child's output comes back, in child order, all in about the slowest's time.
def test_children_at_once(demo_runs: Runs, model: str) -> None:
    run = demo_runs["subprocesses", model]
    passed(run)
    assert outcome(run, SubprocessesOutcome).outputs == [
        "child 1 slept 0.25 s",
        "child 2 slept 0.2 s",
        "child 3 slept 0.15 s",
    ]
    # Every child had started before the first one ended.
    assert outcome(run, SubprocessesOutcome).overlapped


# A timeout on a child: asyncio and gevent stop waiting and leave it running,
# subprocess.run kills it.
def test_timeout_on_a_child(demo_runs: Runs, model: str) -> None:
    run = demo_runs["subprocesses", model]
    assert outcome(run, SubprocessesOutcome).timeout == TIMEOUT[model]
    state = TIMEOUT[model]["child"]
    said = run.transcript
    assert f"Timed out ({TIMEOUT[model]['raised']}): the slow child is {state}" in said
    # The scenario kills what its model left running, and only that.
    assert ("slow child killed" in said) == (state == "running")


# No child outlives the scenario, and nothing else is left behind either.
def test_nothing_left_running(demo_runs: Runs, model: str) -> None:
    run = demo_runs["subprocesses", model]
    assert outcome(run, SubprocessesOutcome).left == []
    quiet(run)


# Run by hand, the model exits cleanly and its slow child is gone with it.
def test_python_m_leaves_no_child(batches: Batches, model: str) -> None:
    done = batches[run_by_hand][model]
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "the slow child is" in done.stdout
    assert marked_children() == []


# A spec that makes no sense: one line, status 2, no traceback.
@pytest.mark.parametrize("spec", BAD_SPECS)
def test_bad_spec_is_rejected(batches: Batches, spec: str) -> None:
    assert "Traceback" not in refused(batches[run_by_hand][spec])
