"""The fork server: a forked run is a run like any other, and dies with its server.

Every other test's runs go through the fork servers (``shared.harness.forkserver``);
these check what is particular to it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
from dataclasses import dataclass
from typing import Any

from shared.contract import DEMO_SCALE, MODELS
from shared.harness import forkserver, processes, runner
from shared.harness.services import Services
from tests.support.batches import Batches, batch, demo
from tests.support.processes import process_name, wait_for, wait_gone

#: What a fresh interpreter of each model runs, to compare with a fork: a run
#: with the services' I/O, three tasks at once and the model's exit. One run a
#: model, since each costs a fresh interpreter (0.3 to 0.6 s of CPU); every
#: scenario's forked runs meet the spec's expectation in the demo batch.
COMPARED = ["cooperative"]


@batch
def fresh_runs(services: Services) -> dict[str, list[runner.Run]]:
    """The compared jobs in fresh interpreters; their forks are the demo's runs,
    the same jobs (the demo's scale), unless the fork server is turned off."""
    jobs = runner.jobs_for(COMPARED, MODELS, services, scale=DEMO_SCALE)
    runs = {"fresh": runner.run_all(jobs, fresh=True)}
    if not forkserver.enabled():  # the demo's runs were fresh interpreters too
        runs["forked"] = runner.run_all(jobs, fresh=False)
    return runs


# A fresh interpreter and a fork of the model's server report the same facts.
def test_fresh_or_forked(batches: Batches) -> None:
    runs = batches[fresh_runs]
    forked_runs = runs.get("forked") or [
        batches[demo][run.job.scenario, run.job.model] for run in runs["fresh"]
    ]
    assert [run.job.model for run in runs["fresh"]] == list(MODELS)
    for fresh, forked in zip(runs["fresh"], forked_runs, strict=True):
        assert fresh.job == forked.job
        assert fresh.problems == forked.problems == [], fresh.job
        assert fresh.outcome is not None and forked.outcome is not None
        assert fresh.outcome.facts() == forked.outcome.facts()
        assert fresh.diagnostics.stderr == forked.diagnostics.stderr == {}
        for seen in ("warnings", "pending", "sockets"):
            assert getattr(fresh.diagnostics, seen) == getattr(forked.diagnostics, seen), seen


@dataclass
class Seen:
    """What the server faults below did, observed in a batch of their own."""

    died_with_server: tuple[str, bool, str] = ("", False, "")  # name, left running, error
    past_deadline: tuple[bool, int | None] = (False, None)  # timed out, the next run's status
    hung_up: tuple[bool, bool, str] = (False, False, "")  # under way, left running, output


def forked_one(server: forkserver.Server, services: Services, model: str,
               scale: float) -> dict[str, Any]:  # fmt: skip
    """A run's request, as the runner would send it."""
    job = runner.jobs_for(["cooperative"], [model], services, scale=scale)[0]
    return {"argv": [job.scenario, "--spec", json.dumps(job.spec.to_json())],
            "name": job.scenario, "cwd": os.getcwd(), "env": dict(os.environ)}  # fmt: skip


@batch
def server_faults(services: Services) -> Seen:
    seen = Seen()
    # A server that dies takes its runs with it (PR_SET_PDEATHSIG); the run
    # reads as the environment's failure, not as the model's.
    server, group = forkserver.Server("threads"), processes.Group()
    request = forked_one(server, services, "threads", 4)
    ended: list[Exception] = []

    def run() -> None:
        try:
            server.run(request["argv"], request["name"], timeout=60, group=group)
        except forkserver.ServerError as exc:
            ended.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        forked = wait_for(group.forked, timeout=60)
        name = wait_for(lambda: process_name(forked[0]) == "cooperative", timeout=10)
        assert server.child is not None
        os.kill(server.child.pid, signal.SIGKILL)
        thread.join(timeout=30)
        seen.died_with_server = ("cooperative" if name else process_name(forked[0]),
                                 bool(wait_gone(set(forked))), str(ended[:1]))  # fmt: skip
    finally:
        group.stop()
        thread.join()
        if server.child is not None:
            processes.SERVERS.finish(server.child)
    # The faults below leave the server up: they go to the one every run of
    # gevent goes to (and that every other batch uses meanwhile), rather than
    # to a server of their own, which would cost an interpreter's start.
    # A run past its deadline is killed, and its server goes on serving.
    server = forkserver.server("gevent")
    slow = forked_one(server, services, "gevent", 4)
    finished = server.run(slow["argv"], slow["name"], timeout=1.0, group=processes.Group())
    quick = forked_one(server, services, "gevent", DEMO_SCALE)
    again = server.run(quick["argv"], quick["name"], timeout=60, group=processes.Group())
    seen.past_deadline = (finished.timed_out, again.returncode)
    # A runner gone before its run's end takes the run with it: the server
    # kills the run's group when the runner's connection closes. (The server
    # is up: it has just served the runs above.)
    out_r, out_w = os.pipe()
    said = ""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as conn:
        conn.connect(server.address)
        request = forked_one(server, services, "gevent", 4)
        socket.send_fds(conn, [json.dumps(request).encode()], [out_w, out_w])
        os.close(out_w)
        pid = json.loads(conn.recv(100))["pid"]
        # Under way: it bears its scenario's name once it has become the run.
        named = wait_for(lambda: process_name(pid) == "cooperative", timeout=30)
    left = bool(wait_gone({pid}))
    os.set_blocking(out_r, False)
    with contextlib.suppress(BlockingIOError):
        said = os.read(out_r, 65536).decode(errors="replace")  # why, if it ended early
    os.close(out_r)
    seen.hung_up = (named, left, said)
    return seen


def test_runs_die_with_their_server(batches: Batches) -> None:
    name, left_running, error = batches[server_faults].died_with_server
    assert (name, left_running) == ("cooperative", False)
    assert "hung up on its run" in error


def test_a_run_past_its_deadline(batches: Batches) -> None:
    assert batches[server_faults].past_deadline == (True, 0)


def test_a_run_ends_when_its_runner_hangs_up(batches: Batches) -> None:
    under_way, left_running, said = batches[server_faults].hung_up
    assert (under_way, left_running) == (True, False), said
