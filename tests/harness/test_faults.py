"""Faults end cleanly and say what failed.

Real faults, on real processes: the services killed (SIGKILL) or stopped
(SIGSTOP) in the middle of a run, a model's interpreter killed, a run past
the runner's deadline, a server that never answers, a reader that goes away.
Each is told apart from a model's result (exit status 3, a line saying what
happened and when) and leaves nothing running.

The CLI runs are declared as batches: they start together in the background
with the rest of the suite's batches, and each test reads its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shared import errors
from shared.contract import HTTP_TIMEOUT_VARIABLE, MODELS, HostReport
from shared.harness import processes, procfs, runner
from shared.harness.services import Services, open_services
from tests.support.batches import Batches, batch
from tests.support.cli import CLI
from tests.support.processes import (
    alive,
    command_line,
    descendants_of,
    process_name,
    runs_of,
    wait_for,
    wait_gone,
)


@dataclass
class Ended:
    """How a CLI run under a fault ended."""

    status: int
    stdout: str
    stderr: str
    seconds: float  # from the fault to the end
    left_running: set[int]  # the CLI's children still alive afterwards
    left_files: list[str]  # what it left in its temporary folder


def cli_under_fault(argv: list[str], fault: str, children: int) -> Ended:
    """Run the CLI; once it has ``children`` processes, inflict ``fault`` on one of them.

    ``fault``: "kill-services", "kill-model". The CLI's temporary files go to
    a folder of this test's own, so what it leaves there can be counted.
    """
    with tempfile.TemporaryDirectory(prefix="cc-test-") as scratch:
        env = {**os.environ, "TMPDIR": scratch, "COLUMNS": "80"}
        with processes.started([*CLI, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env) as cli:  # fmt: skip
            found = wait_for(lambda: _started(cli.pid, fault, children), timeout=180)
            assert found, f"the run never got under way: {command_line(cli.pid)}"
            time.sleep(0.3)  # well into the run: the model is waiting on the services or its sleeps
            os.kill(found, signal.SIGKILL)
            struck = time.perf_counter()
            out, err = cli.communicate(timeout=60)
            seconds = time.perf_counter() - struck
        return Ended(cli.returncode, out, err, seconds, wait_gone(children_of_any(cli.pid)),
                     sorted(os.listdir(scratch)))  # fmt: skip


_seen: dict[int, set[int]] = {}


def children_of_any(pid: int) -> set[int]:
    """Every child ``pid`` was seen with while it ran (they are reparented once it ends)."""
    return _seen.get(pid, set())


def _started(pid: int, fault: str, children: int) -> int:
    """The process to strike once ``pid`` has ``children`` children; 0 until then."""
    found = descendants_of(pid)
    _seen.setdefault(pid, set()).update(found)
    if len(procfs.children(pid)) < children:
        return 0
    if fault == "kill-services":
        if not any(process_name(p) == "as_completed" for p in found):
            return 0  # its run is not under way yet
        # By what it runs: until it has exec'd, a child still shows its parent's command line.
        return next((p for p in found if "-m shared.harness.server" in command_line(p)), 0)
    # A run, forked by its model's fork server, bears its scenario's name.
    return next((p for p in found if process_name(p) == "cooperative"), 0)


# One model a fault: it strikes one run, or the services under it, and each
# model's fork server costs its CLI half a second of CPU (the demo runs and
# test_lifecycle's endings meet every model's).


@batch
def services_killed(services: Services) -> Ended:
    # The CLI's own services, killed while its run waits on them: the run fails
    # at once (its requests are reset), often before the watch's next look, and
    # must still read as the environment's failure, not its model's.
    return cli_under_fault(["run", "as_completed", "--models", "threads", "--scale", "1"],
                           "kill-services", children=2)  # fmt: skip


@batch
def model_killed(services: Services) -> Ended:
    return cli_under_fault(["run", "cooperative", "--models", "threads", "--scale", "4"],
                           "kill-model", children=1)  # fmt: skip


@dataclass
class Hung:
    status: int
    gave_up: float  # when the scenario's failure reached stderr, on its transcript's clock
    lines: list[str]  # stderr's
    error: str  # the failure as the host reports it to the runner


#: The client timeout of the hung-server runs: short, so the test is.
SHORT_TIMEOUT = 2.0


@dataclass
class Stopped:
    """Who met the services stopped by SIGSTOP: a CLI in its run, each model's host."""

    cli: Ended
    hosts: dict[str, Hung]


@batch
def stopped_services(services: Services) -> Stopped:
    """Services of the batch's own, stopped with SIGSTOP once, for two tests.

    The CLI, given them by --services-url, is in the middle of its run when
    they stop. Each model's host starts once they have stopped: to it, they
    are a server that accepts and never answers. One process for both (an
    interpreter importing aiohttp), since no other batch's services may stop.
    """
    with (
        open_services() as own,
        tempfile.TemporaryDirectory(prefix="cc-test-") as scratch,
        tempfile.TemporaryDirectory(prefix="cc-test-") as results,
    ):
        assert own.pid is not None
        argv = ["run", "as_completed", "--models", "threads", "--scale", "1",
                "--services-url", own.url]  # fmt: skip
        env = {**os.environ, "TMPDIR": scratch, "COLUMNS": "80"}
        with processes.started([*CLI, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env) as cli:  # fmt: skip
            try:
                # Generous: on a machine kept busy, the CLI alone can take many seconds to start.
                under_way = wait_for(lambda: runs_of(cli.pid, "as_completed"), timeout=180)
                assert under_way, f"the run never got under way: {command_line(cli.pid)}"
                time.sleep(0.3)  # well into the run: the model is waiting on the services
                seen = descendants_of(cli.pid)  # its fork server, and the run
                os.kill(own.pid, signal.SIGSTOP)
                struck = time.perf_counter()
                with hung_hosts(own, results) as hosts:
                    out, err = cli.communicate(timeout=60)
                    seconds = time.perf_counter() - struck
                    hung = {model: hung_host(model, host, results) for model, host in hosts.items()}
            finally:
                os.kill(own.pid, signal.SIGCONT)
        ended = Ended(cli.returncode, out, err, seconds, wait_gone(seen),
                      sorted(os.listdir(scratch)))  # fmt: skip
    return Stopped(ended, hung)


@contextlib.contextmanager
def hung_hosts(services: Services, results: str) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """``python -m <model>_impl as_completed`` for each model, against ``services``.

    The spec names the services, so the host does not look for them first.
    """
    env = {**os.environ, HTTP_TIMEOUT_VARIABLE: str(SHORT_TIMEOUT)}
    spec = json.dumps({"services_url": services.url, "unreachable_url": services.unreachable})
    with contextlib.ExitStack() as stack:
        yield {
            model: stack.enter_context(processes.started(
                [sys.executable, "-m", f"{model}_impl", "as_completed", "--scale", "0.2",
                 "--spec", spec, "--result", f"{results}/{model}.json"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env))
            for model in MODELS
        }  # fmt: skip


def hung_host(model: str, host: subprocess.Popen[str], results: str) -> Hung:
    """How ``host`` ended, with what it reported in ``results``."""
    _, err = host.communicate(timeout=120)
    report = HostReport.from_json(
        json.loads(Path(f"{results}/{model}.json").read_text(encoding="utf-8"))
    )
    return Hung(host.returncode, report.stderr_began.get("run", -1.0),
                err.strip().splitlines(), report.error)  # fmt: skip


@batch
def past_the_deadline(services: Services) -> tuple[runner.Run, float]:
    job = runner.Job("threads", "cooperative", runner.make_spec("cooperative", None, scale=4.0))
    start = time.perf_counter()
    run = runner.run_one(job, timeout=0.5)
    return run, time.perf_counter() - start


@batch
def broken_pipes(services: Services) -> dict[str, tuple[int | None, str]]:
    """``python -m <model>_impl context_switch | head -c 1``, for each model."""
    ended: dict[str, tuple[int | None, str]] = {}
    with contextlib.ExitStack() as stack:
        children = {
            model: stack.enter_context(processes.started(
                [sys.executable, "-m", f"{model}_impl", "context_switch"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE))
            for model in MODELS
        }  # fmt: skip
        for model, child in children.items():
            assert child.stdout is not None and child.stderr is not None
            child.stdout.read(1)
            child.stdout.close()  # the reader goes away, as head does
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                processes.kill_group(child)
                child.wait()
            ended[model] = (child.returncode, child.stderr.read().decode())
    return ended


# -- the tests ----------------------------------------------------------------


# The services die mid-run: exit 3, a line saying so and when, not "differs".
def test_services_killed(batches: Batches) -> None:
    ended = batches[services_killed]
    assert ended.status == errors.ENVIRONMENT, ended.stdout + ended.stderr
    said = " ".join(ended.stdout.split())  # as one line, however the terminal wrapped it
    assert "environment failure: the local services ended (killed by SIGKILL)" in said
    assert "s into the run" in said or "end of the run" in said
    assert "a model differs" not in ended.stdout
    assert ended.left_running == set() and ended.left_files == []


# The services stop answering (SIGSTOP): the watch sees it within its patience,
# stops the runs, and says so; the models do not wait for their client timeout.
def test_services_stopped(batches: Batches) -> None:
    ended = batches[stopped_services].cli
    assert ended.status == errors.ENVIRONMENT, ended.stdout + ended.stderr
    assert "the local services stopped answering" in " ".join(ended.stdout.split())
    assert ended.seconds < runner.SERVICES_PATIENCE + 20  # not the 10 s client timeout + more
    assert ended.left_running == set() and ended.left_files == []


# A model's interpreter killed from outside: an environment failure, named.
def test_model_interpreter_killed(batches: Batches) -> None:
    ended = batches[model_killed]
    assert ended.status == errors.ENVIRONMENT, ended.stdout + ended.stderr
    assert "environment failure: cooperative in threads: the interpreter ended" in " ".join(
        ended.stdout.split()
    )
    assert "killed by SIGKILL" in ended.stdout
    assert ended.left_running == set() and ended.left_files == []


# A run past the runner's deadline is stopped, and reads as the environment's failure.
def test_runner_deadline(batches: Batches) -> None:
    run, seconds = batches[past_the_deadline]
    assert run.environment == "no result after 0.5 s: stopped at the runner's deadline"
    assert not run.ok and run.outcome is None
    assert runner.verdict([run]) == "the environment failed, not a model"
    # Stopped, not run to its end (8 s at scale 4): its wall time counts from its start,
    # not from the wait for a free slot among the session's other runs.
    assert run.wall < 5, seconds


# A server that never answers: every model gives up after the same client
# timeout, with a one-line summary of a timeout as the last line.
def test_hung_server_same_timeout_everywhere(batches: Batches) -> None:
    for model, hung in batches[stopped_services].hosts.items():
        assert hung.status == errors.DIFFERS, (model, hung)
        # From the first request to giving up: the timeout, and a margin for a busy machine.
        assert SHORT_TIMEOUT <= hung.gave_up < SHORT_TIMEOUT + 5, (model, hung)
        summary = f"python -m {model}_impl: the scenario failed: {hung.error}"
        assert summary in hung.lines, (model, hung)
        after = hung.lines[hung.lines.index(summary) + 1 :]
        if model == "gevent":
            # The hub reports the dead greenlet on its own schedule, before the
            # summary or after it: then its report ends the output.
            kind = hung.error.split(":")[0]
            assert after == [] or after[-1].endswith(f"failed with {kind}"), (model, after)
        else:
            assert after == [], (model, after)
        assert "timeout" in hung.error.lower() or "timed out" in hung.error, hung
        assert "+-" not in hung.error


# A reader that goes away (`| head -c 1`) ends no model's run in a hang.
def test_broken_pipe(batches: Batches) -> None:
    for model, (status, stderr) in batches[broken_pipes].items():
        assert status == 0, (model, stderr)
        assert "Traceback" not in stderr


# An exception group reads as what is inside it, in one line.
def test_summary_of_an_exception_group() -> None:
    try:
        raise ExceptionGroup("unhandled errors in a TaskGroup", [TimeoutError(), KeyError("ip")])
    except ExceptionGroup as group:
        line = errors.summary(group)
    assert line == ("ExceptionGroup: unhandled errors in a TaskGroup: TimeoutError; KeyError: 'ip'")


# alive() tells a running process from one that has ended.
def test_alive_sees_the_dead() -> None:
    with processes.started([sys.executable, "-c", "pass"]) as child:
        child.wait()
    assert not alive(child.pid)
    assert alive(os.getpid())
