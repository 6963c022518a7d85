"""The service of "As a service", deployed in every model and configuration: under gunicorn
(aiohttp's and uvicorn's workers for asyncio), and bare, the model alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psutil
import pytest

from shared.contract import EVENTS, HTTP_TIMEOUT, MODELS
from shared.errors import UsageError
from shared.harness import processes
from shared.harness.services import Services
from shared.measure import deploy
from shared.measure.deploy import DEPLOYMENTS, Ask, DeployError, Deployment
from shared.measure.load import experiment
from shared.measure.load.generator import Schedule
from tests.support.batches import Batches, batch
from tests.support.processes import alive, listening_here

#: Requests sent at once to each deployment, each answered by the upstream after D:
#: one after the other they take 2 s, at once 0.25 s; the bounds sit 1.5 s apart.
AT_ONCE, D = 8, 0.25


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as exc:
        with exc:  # closed here: Python 3.14 warns of one left for the collector
            return exc.code, exc.read().decode()


def wall_of_many(url: str) -> float:
    """Seconds until the last of AT_ONCE requests sent together (within a millisecond),
    each costing D upstream, was answered: the slowest one's latency.

    The project's open-loop generator sends them from a process of its own: threads
    of this one would wait for the suite's other work to give up the GIL.
    """
    run = experiment.generate(Schedule(f"{url}/?delay={D:g}", AT_ONCE * 1000, 0.001))
    assert (run.sent, run.ok) == (AT_ONCE, AT_ONCE)
    assert run.latency_ms.max is not None
    return run.latency_ms.max / 1000


@dataclass
class Seen:
    """What every deployment did, and what was left of it once stopped."""

    names: list[str]
    answers: list[tuple[int, Any]]
    bad: list[int]
    walls: list[float]
    masters: list[int]
    workers: list[int | None]
    left_running: list[int]
    still_listening: list[str]


@batch
def every_deployment(services: Services) -> Seen:
    # Each app under each server once, and the threads defaults (their one thread):
    # the other defaults differ from their tuned twins in pool sizes only.
    chosen = [d for d in deploy.available() if d.config != deploy.DEFAULTS or d.model == "threads"]
    with deploy.open_deployments(chosen, services.url) as running:
        processes = [(r.master, r.worker()) for r in running]
        urls = [r.url for r in running]
        with ThreadPoolExecutor(len(running)) as pool:
            answers = list(pool.map(lambda u: get(f"{u}/?delay=0.01&cpu=0.5"), urls))
            bad = list(pool.map(lambda u: get(f"{u}/?delay=soon")[0], urls))
            # Every deployment at once, each timed on its own requests: 64 requests
            # waiting on the upstream cost the machine next to nothing, and the batch
            # waits the serial one's 2 s instead of 6 s for all eight in turn.
            walls = list(pool.map(wall_of_many, urls))
    pids = [pid for pair in processes for pid in pair if pid is not None]
    return Seen(
        names=[d.name for d in chosen],
        answers=answers,
        bad=bad,
        walls=walls,
        masters=[master for master, _ in processes],
        workers=[worker for _, worker in processes],
        left_running=[pid for pid in pids if alive(pid)],
        still_listening=listening_here(urls),
    )


# Every deployment answers the same JSON, the one the query asks for, and refuses
# bad input the same way.
def test_the_same_answer_everywhere(batches: Batches) -> None:
    seen = batches[every_deployment]
    assert {name.split()[0] for name in seen.names} >= {"asyncio", "gevent", "threads"}
    expected = deploy.answer(list(EVENTS), Ask(delay=0.01, cpu_ms=0.5))
    assert dict(zip(seen.names, seen.answers, strict=True)) == {
        name: (200, expected) for name in seen.names
    }
    assert seen.bad == [400] * len(seen.names)


# The ASGI app on uvicorn (uvloop, httptools) is aiohttp's service on another server:
# the same document, the same refusal.
def test_uvicorn_answers_as_aiohttp(batches: Batches) -> None:
    seen = batches[every_deployment]
    answers = dict(zip(seen.names, zip(seen.answers, seen.bad, strict=True), strict=True))
    assert answers["asyncio+uvicorn tuned"] == answers["asyncio tuned"]


# Each model alone (<model>_impl/bare.py, one process on the inherited socket) answers
# as its deployments under gunicorn do, once the module is there.
@pytest.mark.parametrize("model", MODELS)
def test_bare_deployment_answers(batches: Batches, model: str) -> None:
    bare = DEPLOYMENTS[f"{model} bare"]
    if not bare.installed():
        pytest.skip(f"{model}_impl/bare.py is not written yet")
    seen = batches[every_deployment]
    index = seen.names.index(bare.name)
    expected = deploy.answer(list(EVENTS), Ask(delay=0.01, cpu_ms=0.5))
    assert (seen.answers[index], seen.bad[index]) == ((200, expected), 400)
    assert seen.workers[index] == seen.masters[index]  # the serving process is the one started


# Requests are served at once where a deployment's limits allow, one after the
# other where they do not: gthread's defaults have one thread.
def test_one_thread_serves_one_request_at_a_time(batches: Batches) -> None:
    seen = batches[every_deployment]
    for name, wall in zip(seen.names, seen.walls, strict=True):
        if name == "threads defaults":  # the sum of the delays
            assert wall >= AT_ONCE * D - 0.01, name
        else:  # concurrent: about D, far from the sum
            assert D - 0.01 <= wall < (AT_ONCE - 1) * D, name  # under 1.75 s


# A deployment stops whole: its master, its worker, its port.
def test_nothing_left_behind(batches: Batches) -> None:
    seen = batches[every_deployment]
    assert all(worker is not None for worker in seen.workers)
    assert seen.left_running == [] and seen.still_listening == []


def gunicorns_with(text: str) -> list[int]:
    """The processes whose command line mentions ``text``."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or ())
        if "gunicorn" in command and text in command and process.pid != os.getpid():
            found.append(process.pid)
    return [pid for pid in found if alive(pid)]


# A gunicorn that cannot start says why in one line, and leaves no process behind.
@pytest.mark.parametrize(
    ("worker_class", "app", "says"),
    [
        ("gthread", "no_such_module_here:make_app()", "No module named 'no_such_module_here'"),
        ("no_such.Worker", "threads_impl.service:make_app()", "no_such.Worker"),
    ],
)
def test_failed_start_says_why(services: Services, worker_class: str, app: str, says: str) -> None:
    broken = Deployment("threads", "broken", worker_class, app)
    with pytest.raises(DeployError) as caught, deploy.open_deployment(broken, services.url):
        pass
    message = str(caught.value)
    assert "\n" not in message and says in message
    assert message.startswith("gunicorn (threads broken) did not start: ")
    unique = app if "no_such" in app else worker_class  # others' gunicorns may run meanwhile
    assert gunicorns_with(unique) == []


DEPLOYER = """
import sys
from shared.measure import deploy
with deploy.open_deployment(deploy.DEPLOYMENTS["threads defaults"], sys.argv[1]) as running:
    print(running.master, running.worker(), flush=True)
    sys.stdin.read()
"""


# A deploying process that dies without a word (SIGKILL) takes its gunicorn with it:
# gunicorn sees its stdin close and stops, its worker first.
def test_crash_of_the_deployer_leaves_nothing(services: Services) -> None:
    command = [sys.executable, "-c", DEPLOYER, services.url]
    with processes.started(
        command, grace=0, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as deployer:
        assert deployer.stdout is not None
        master, worker = (int(pid) for pid in deployer.stdout.readline().split())
        deployer.kill()
        deployer.wait()
        deadline = time.monotonic() + 10
        while (alive(master) or alive(worker)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(master) and not alive(worker)


# -- pinned to CPUs ---------------------------------------------------------------------


@dataclass
class Pinned:
    """The CPUs asked for, and those of every thread of every process of the deployments."""

    cpus: set[int]
    workers: dict[str, int]  # serving processes, by deployment
    threads: dict[int, set[int]]  # thread id: its CPUs, for every thread of every process


def affinities(pids: list[int]) -> dict[int, set[int]]:
    return {
        thread.id: os.sched_getaffinity(thread.id)
        for pid in pids
        for thread in psutil.Process(pid).threads()
    }


@batch
def pinned(services: Services) -> Pinned | None:
    if len(os.sched_getaffinity(0)) < 2:
        return None
    cpus, _ = deploy.core_layout(1)
    # gthread's 64 threads start with the requests: 8 at once make several of them.
    threads = DEPLOYMENTS["threads tuned"]
    with deploy.open_deployment(threads, services.url, cpus=cpus, workers=2) as running:
        wall_of_many(running.url)
        pids = [running.master, *running.workers()]
        found = Pinned(set(cpus), {threads.name: len(running.workers())}, affinities(pids))
    # One bare service: its threads too start with the requests, after the pinning.
    bare = [d for d in deploy.available() if d.name == "threads bare"]
    with deploy.open_deployments(bare, services.url, cpus=cpus) as started:
        for running in started:
            wall_of_many(running.url)
            found.workers[running.deployment.name] = len(running.workers())
            found.threads |= affinities(running.workers())
    return found


# Every thread of every process of a pinned deployment (gunicorn's master and its two
# workers, a bare service) runs on the CPUs asked for, and only there.
def test_a_pinned_deployment_runs_where_asked(batches: Batches) -> None:
    seen = batches[pinned]
    if seen is None:
        pytest.skip("one CPU: nothing to pin apart")
    assert seen.workers["threads tuned"] == 2
    assert all(count == 1 for name, count in seen.workers.items() if name.endswith(" bare"))
    assert len(seen.threads) > 8  # the threads' pool made some
    assert {cpus == seen.cpus for cpus in seen.threads.values()} == {True}


# The worker gets the last CPUs, the rest of the experiment the others; a layout that
# leaves the rest nothing is refused in one line.
def test_core_layout() -> None:
    usable = sorted(os.sched_getaffinity(0))
    if len(usable) >= 2:
        assert deploy.core_layout(1) == (usable[-1:], usable[:-1])
    with pytest.raises(UsageError) as caught:
        deploy.core_layout(len(usable))
    assert str(caught.value) == (
        f"--cores {len(usable)} needs {len(usable) + 1} CPUs, this machine has {len(usable)}"
    )


PIN_SELF = """
import os, threading
import psutil
from shared.measure import deploy
stop = threading.Event()
threading.Thread(target=stop.wait, daemon=True).start()  # there before the pin
deploy.pin_self([0])
threading.Thread(target=stop.wait, daemon=True).start()  # started after it: inherits it
threads = psutil.Process().threads()
print(len(threads), sorted({cpu for t in threads for cpu in os.sched_getaffinity(t.id)}))
"""


# pin_self moves every thread of the caller, not only the one that calls it.
def test_pin_self_moves_every_thread() -> None:
    done = processes.DEFAULT.run([sys.executable, "-c", PIN_SELF], timeout=30)
    assert (done.returncode, done.stdout.strip()) == (0, "3 [0]"), done.stderr


# What cannot be deployed is refused before anything starts: a bare service is one
# process, and a CPU must exist.
@pytest.mark.parametrize(
    ("deployment", "options", "says"),
    [
        ("threads bare", {"workers": 2}, "threads bare is one process: it cannot run 2 workers"),
        ("threads tuned", {"workers": 0}, "a deployment needs at least one worker, not 0"),
        ("threads tuned", {"cpus": [4096]}, "CPUs must be some of 0 to"),
        ("threads tuned", {"cpus": []}, "CPUs must be some of 0 to"),
    ],
)
def test_refused_before_it_starts(deployment: str, options: dict[str, Any], says: str) -> None:
    with (
        pytest.raises(UsageError, match=says),
        deploy.open_deployment(DEPLOYMENTS[deployment], "http://127.0.0.1:9", **options),
    ):
        pass
