"""The three experiments of "What hurts a service" (see ``shared.measure.hurts``).

Each runs one model at a time by default, so that the CPU figures of one are
not the load of another; each model's part is a function of its own
(``cpu_model``, ``blocking_model``, ``idle_model``) that opens its own
deployments and stops them, so that a test can run the models side by side.
A figure is the generator's document (``shared.measure.load.generator``) with the CPU
of every process that took part, in % of one core, over the generator's run.
Each model's part keeps one generator process for all its figures
(``shared.measure.load.experiment.Generator``): a figure costs its schedule, not an
interpreter's start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from shared.harness import processes
from shared.harness.services import Services
from shared.measure.deploy import DEPLOYMENTS, Deployed, Deployment, children_of, open_deployments
from shared.measure.hurts.holder import rss_kb
from shared.measure.load.experiment import Generator, LoadError, process_cpu

MODELS = ("asyncio", "gevent", "threads")
#: The tail a service should not pass: a user waits a second, a client retries.
TAIL_MS = 1000.0
#: The detectors, switched on by their environment variables (gunicorn's ``--env``):
#: asyncio's debug mode warns of a callback longer than ``slow_callback_duration``
#: (0.1 s); gevent's monitor thread reports a hub blocked longer than
#: ``max_blocking_time`` (0.1 s). Each deployment gets both: which one fires is
#: measured, not assumed.
DETECTOR_ENV = ("PYTHONASYNCIODEBUG=1", "GEVENT_MONITOR_THREAD_ENABLE=1",
                "GEVENT_MAX_BLOCKING_TIME=0.1")  # fmt: skip
ASYNCIO_SLOW = re.compile(r"Executing <.*> took (?P<seconds>[\d.]+) seconds")
GEVENT_BLOCKED = re.compile(r"Greenlet .* appears to be blocked")
GEVENT_WHERE = re.compile(
    r'File "(?P<file>[^"]*_impl/service\.py)", line (?P<line>\d+), in (?P<f>\w+)'
)
#: What the holder asks on each connection before leaving it idle: a query the
#: service refuses at once (400), so that opening ten thousand connections
#: costs no upstream call and takes seconds, yet each is a served keep-alive one.
SERVED_AT_ONCE = "/?delay=idle"
#: The idle experiment's two configurations: the limits as shipped, and raised.
IDLE_DEFAULTS, IDLE_RAISED = "defaults", "raised"
#: The open files a service gets on most systems (systemd's default soft limit).
SHIPPED_FILES = 1024


@dataclass(frozen=True)
class Plan:
    """What each experiment offers, and for how long."""

    name: str
    cpu_ms: tuple[float, ...] = (0, 1, 5, 20)
    # Every C carries it on one worker, even on a shared machine: 10 x 20 ms is 20% of a
    # core (a request of C = 20 costs the worker about 25 to 35 ms of CPU in all).
    cpu_rate: float = 10.0
    seconds: float = 10.0  # measured per figure at a fixed rate
    warmup: float = 1.0
    # Per C, the rates offered in turn until the p99 passes TAIL_MS (empty: no search):
    # about half, three quarters, once and more than once what C allows on one core.
    ladders: tuple[tuple[float, tuple[float, ...]], ...] = (
        (0, (200, 400, 800, 1600)),
        (1, (150, 300, 600, 1000)),
        (5, (25, 50, 100, 150, 200)),
        (20, (10, 20, 30, 40, 50)),
    )
    ladder_seconds: float = 3.0
    two_workers: tuple[float, ...] = (20,)  # the Cs searched again with two worker processes
    block_ms: float = 200.0  # twice both detectors' threshold
    block_every: int = 200  # 0.5% of requests: the tail they cause is the others'
    block_rate: float = 100.0  # so one call every 2 s: a tenth of the time blocked
    detector_seconds: float = 2.0
    detector_every: int = 10
    idle_counts: tuple[int, ...] = (1000, 5000, 10000)
    idle_configs: tuple[str, ...] = (IDLE_DEFAULTS, IDLE_RAISED)
    idle_rate: float = 20.0
    idle_seconds: float = 5.0
    timeout: float = 3.0  # a request given up on after this (an overloaded step drains fast)
    delay: float = 0.05  # D, the upstream's delay, as in "As a service"

    def ladder(self, cpu_ms: float) -> tuple[float, ...]:
        return dict(self.ladders).get(cpu_ms, ())

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["ladders"] = {f"{c:g}": list(rates) for c, rates in self.ladders}
        return data


QUICK = Plan(
    "quick",
    cpu_ms=(0, 20),
    seconds=1.5,
    warmup=0.3,
    ladders=((20, (40, 60)),),
    ladder_seconds=1.5,
    two_workers=(20,),
    block_every=50,  # a second and a half at 100/s: three blocking calls
    detector_seconds=0.6,
    idle_counts=(1000,),
    idle_seconds=1.5,
)
FULL = Plan("full")


# -- processes and figures ----------------------------------------------------------


def workers(deployed: Deployed) -> list[int]:
    """The worker processes of a deployment (the master's children)."""
    return children_of(deployed.master)


def cpu_seconds(pids: Sequence[int]) -> float | None:
    """The CPU seconds of processes, together; None if one is gone."""
    found = [process_cpu(pid) for pid in pids]
    return None if not found or None in found else sum(f for f in found if f is not None)


def settle(pids: Sequence[int], limit: float = 20.0) -> float:
    """Wait until processes are idle (under 5% of a core for 0.3 s); the seconds waited.

    A server does not drop the requests a client gave up on: after an overloaded
    step, an event loop still spends its backlog's CPU. The next figure starts
    once that is done, so that it is not charged with the previous one's queue.
    """
    began = time.perf_counter()
    last = cpu_seconds(pids)
    while time.perf_counter() - began < limit:
        time.sleep(0.3)
        now = cpu_seconds(pids)
        if now is None or last is None or now - last < 0.015:
            break
        last = now
    return round(time.perf_counter() - began, 2)


def measure(
    url: str,
    rate: float,
    seconds: float,
    plan: Plan,
    processes: dict[str, list[int]],
    generator: Generator,
) -> dict[str, Any]:
    """Offer ``rate`` to ``url`` for ``seconds``; the figures and every process's CPU."""
    settled = settle(processes.get("worker", []))
    before = {role: cpu_seconds(pids) for role, pids in processes.items()}
    load = generator.run(url, rate, seconds, warmup=plan.warmup, timeout=plan.timeout)
    after = {role: cpu_seconds(pids) for role, pids in processes.items()}
    busy = max(float(load["seconds"]), 1e-3)
    cpu: dict[str, float | None] = {"generator": load["cpu_pct"]}
    for role in processes:
        b, a = before[role], after[role]
        cpu[role] = None if a is None or b is None else round(100 * (a - b) / busy, 1)
    load.pop("target", None)
    return {**load, "cpu_pct": cpu, "settled_seconds": settled}


def failed(figure: dict[str, Any]) -> int:
    return int(sum(figure["errors"].values()) + figure["timeouts"])


def query(plan: Plan, **extra: float) -> str:
    parts = {"delay": plan.delay, **extra}
    return "/?" + "&".join(f"{key}={value:g}" for key, value in parts.items())


def variant(
    deployment: Deployment, config: str, options: Sequence[str] = (), limits: str = ""
) -> Deployment:
    """A deployment with gunicorn options added (the last of an option wins)."""
    return dataclasses.replace(
        deployment,
        config=config,
        options=(*deployment.options, *options),
        limits=limits or deployment.limits,
    )


def tuned(model: str) -> Deployment:
    return DEPLOYMENTS[f"{model} tuned"]


@contextlib.contextmanager
def running(deployments: Sequence[Deployment], upstream: Services) -> Iterator[list[Deployed]]:
    with open_deployments(deployments, upstream.url) as started:
        yield started


def roles(deployed: Deployed, upstream: Services) -> dict[str, list[int]]:
    return {
        "upstream": [upstream.pid] if upstream.pid else [],
        "worker": workers(deployed),
    }


# -- 1. CPU in the handler -------------------------------------------------------------


def search(
    deployed: Deployed,
    upstream: Services,
    plan: Plan,
    cpu_ms: float,
    rates: Sequence[float],
    generator: Generator,
) -> dict[str, Any]:
    """Rising rates until the p99 passes TAIL_MS (or requests fail): where it passed."""
    steps = []
    passed = None
    for rate in rates:
        figure = measure(
            deployed.url + query(plan, cpu=cpu_ms), rate, plan.ladder_seconds, plan,
            roles(deployed, upstream), generator,
        )  # fmt: skip
        steps.append(figure)
        p99 = figure["latency_ms"].get("p99")
        if p99 is None or p99 > TAIL_MS or failed(figure) > 0.01 * max(figure["sent"], 1):
            passed = rate
            break
    return {"cpu_ms": cpu_ms, "workers": len(workers(deployed)), "passes_at": passed,
            "steps": steps}  # fmt: skip


def cpu_deployments(plan: Plan, model: str) -> list[Deployment]:
    """The tuned deployment, and the same with two workers if the plan searches with two."""
    one = tuned(model)
    two = variant(one, "tuned, 2 workers", ("--workers", "2"))
    return [one, two] if plan.two_workers else [one]


def cpu_on(
    plan: Plan, started: Sequence[Deployed], upstream: Services, generator: Generator
) -> dict[str, Any]:
    """Every C at the fixed rate, then each C's search, with one worker and with two."""
    first = started[0]
    fixed = []
    for cpu_ms in plan.cpu_ms:
        figure = measure(
            first.url + query(plan, cpu=cpu_ms), plan.cpu_rate, plan.seconds, plan,
            roles(first, upstream), generator,
        )  # fmt: skip
        fixed.append({"cpu_ms": cpu_ms, **figure})
    searches = [search(first, upstream, plan, c, plan.ladder(c), generator)
                for c in plan.cpu_ms if plan.ladder(c)]  # fmt: skip
    if len(started) > 1:
        searches += [search(started[1], upstream, plan, c, plan.ladder(c), generator)
                     for c in plan.two_workers if plan.ladder(c)]  # fmt: skip
    deployment = first.deployment
    return {"model": deployment.model, "deployment": deployment.name,
            "limits": deployment.limits, "fixed": fixed, "searches": searches}  # fmt: skip


def cpu_model(plan: Plan, model: str, upstream: Services) -> dict[str, Any]:
    """One model's part of the CPU experiment, on deployments of its own."""
    with running(cpu_deployments(plan, model), upstream) as started, Generator() as generator:
        return cpu_on(plan, started, upstream, generator)


# -- 2. A blocking call -----------------------------------------------------------------


def detect(log: str, block_ms: float) -> list[dict[str, Any]]:
    """The detectors' reports found in a worker's output: which, how many, their words.

    ``about_the_call``: the reports that point at the blocking call, as opposed to
    a callback or a greenlet slowed by a busy machine: asyncio's that took at
    least the call's time, gevent's whose stack ends in ``call_blocking``.
    """
    found = []
    lines = log.splitlines()
    slow = [(line, float(m["seconds"])) for line in lines if (m := ASYNCIO_SLOW.search(line))]
    if slow:
        about = [line for line, took in slow if took >= 0.9 * block_ms / 1000]
        found.append(
            {
                "detector": "asyncio debug mode",
                "reports": len(slow),
                "about_the_call": len(about),
                "words": plain((about or [slow[0][0]])[0]),
                "where": "",
            }
        )
    blocked = [i for i, line in enumerate(lines) if GEVENT_BLOCKED.search(line)]
    if blocked:
        wheres = []
        for index, first in enumerate(blocked):
            end = blocked[index + 1] if index + 1 < len(blocked) else len(lines)
            # The stack runs from the outermost frame in: the last frame of the service
            # is the line that blocked.
            frames = [m for line in lines[first:end] if (m := GEVENT_WHERE.search(line))]
            wheres.append(
                f"{os.path.basename(os.path.dirname(frames[-1]['file']))}/service.py:"
                f"{frames[-1]['line']} in {frames[-1]['f']}"
                if frames
                else ""
            )
        pointing = [i for i, where in enumerate(wheres) if where.endswith(" in call_blocking")]
        chosen = pointing[0] if pointing else 0
        found.append(
            {
                "detector": "gevent monitor thread",
                "reports": len(blocked),
                "about_the_call": len(pointing),
                "words": plain(lines[blocked[chosen]]),
                "where": wheres[chosen],
            }
        )
    return found


def plain(line: str) -> str:
    """A log line without machine paths, addresses and arguments: it reads the same on any
    machine, and in 80 columns."""
    line = re.sub(r"/[^\s:>\"']*/", "", line.strip())
    line = re.sub(r" at 0x[0-9a-f]+", "", line)
    line = re.sub(r"result=\(.*?\) ", "", line)
    return re.sub(r"\(\S.*\)>", "(...)>", line)


def detectors(
    deployed: Deployed, plan: Plan, generator: Generator
) -> dict[str, list[dict[str, Any]]]:
    """A short burst of blocking calls, then of offloaded ones: what each detector said."""
    said = {}
    for name, offload in (("blocking", 0), ("fixed", 1)):
        start = len(deployed.output())
        url = deployed.url + query(
            plan, block=plan.block_ms, every=plan.detector_every, offload=offload
        )
        generator.run(url, 20, plan.detector_seconds, warmup=0, timeout=plan.timeout)
        time.sleep(0.2)  # a report written as the last request ended
        said[name] = detect(deployed.output()[start:], plan.block_ms)
    return said


def blocking_deployments(model: str) -> list[Deployment]:
    """The tuned deployment, and the same with both detectors switched on."""
    plain_ = tuned(model)
    options = [option for env in DETECTOR_ENV for option in ("--env", env)]
    return [plain_, variant(plain_, "tuned, detectors on", options)]


def blocking_on(
    plan: Plan, deployed: Deployed, observed: Deployed, upstream: Services, generator: Generator
) -> dict[str, Any]:
    """No blocking call, the blocking call, its fix; then the detectors, on ``observed``."""
    figures = []
    for name, extra in (
        ("none", {}),
        ("blocking", {"block": plan.block_ms, "every": plan.block_every}),
        ("fixed", {"block": plan.block_ms, "every": plan.block_every, "offload": 1}),
    ):
        url = deployed.url + query(plan, **extra)
        figure = measure(
            url, plan.block_rate, plan.seconds, plan, roles(deployed, upstream), generator
        )
        figures.append({"variant": name, **figure})
    said = detectors(observed, plan, generator)
    deployment = deployed.deployment
    return {"model": deployment.model, "deployment": deployment.name, "figures": figures,
            "detectors": said}  # fmt: skip


def blocking_model(plan: Plan, model: str, upstream: Services) -> dict[str, Any]:
    """One model's part of the blocking experiment, on deployments of its own."""
    with (
        running(blocking_deployments(model), upstream) as (deployed, observed),
        Generator() as generator,
    ):
        return blocking_on(plan, deployed, observed, upstream, generator)


# -- 3. Idle connections ---------------------------------------------------------------


def idle_deployment(model: str, config: str) -> Deployment:
    if config == IDLE_DEFAULTS:
        shipped = DEPLOYMENTS[f"{model} defaults"]
        return variant(shipped, IDLE_DEFAULTS, (), f"{shipped.limits}; keep-alive 2 s; "
                       f"{SHIPPED_FILES:,} open files")  # fmt: skip
    base = tuned(model)
    files = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return variant(base, IDLE_RAISED, ("--keep-alive", "600", "--worker-connections", "20000"),
                   f"{base.limits}; keep-alive 600 s; 20,000 worker connections; "
                   f"{files:,} open files")  # fmt: skip


def files_limit(config: str) -> int:
    """The soft limit on open files a configuration's gunicorn runs with."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if config == IDLE_DEFAULTS:
        return SHIPPED_FILES
    return 1 << 20 if hard == resource.RLIM_INFINITY else hard


def set_files_limit(pids: Sequence[int], soft: int) -> None:
    """Set the soft limit on open files of other processes (ours stays as it is).

    Raised (or lowered) on purpose in the deployment's processes only, which
    take it with them when they end: nothing raised is left behind.
    """
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)[1]
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (min(soft, hard), hard))


def files_of(pid: int) -> int | None:
    """How many file descriptors a process holds."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


@contextlib.contextmanager
def holding(url: str, connections: int, timeout: float) -> Iterator[subprocess.Popen[str]]:
    """The holder in a process of its own, ended (and waited for) on exit."""
    command = [sys.executable, "-m", "shared.measure.hurts.holder", "--target", url,
               "--connections", str(connections), "--timeout", f"{timeout:g}"]  # fmt: skip
    # Closing its stdin (on leaving the block) lets go of the connections.
    with processes.started(
        command, grace=10, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        yield child


def read_line(child: subprocess.Popen[str]) -> dict[str, Any]:
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line:
        raise LoadError("the idle-connection holder ended without its figures")
    document: dict[str, Any] = json.loads(line)
    return document


def idle_one(
    plan: Plan, model: str, config: str, count: int, upstream: Services, generator: Generator
) -> dict[str, Any]:
    """``count`` idle connections to a fresh deployment, then the live requests."""
    with running([idle_deployment(model, config)], upstream) as (deployed,):
        return idle_on(plan, deployed, config, count, upstream, generator)


def idle_on(
    plan: Plan,
    deployed: Deployed,
    config: str,
    count: int,
    upstream: Services,
    generator: Generator,
) -> dict[str, Any]:
    """``count`` idle connections to a deployment just started, then the live requests."""
    deployment = deployed.deployment
    model = deployment.model
    set_files_limit([deployed.master, *workers(deployed)], files_limit(config))
    worker = workers(deployed)
    pids = worker[:1]
    rss_before = sum(rss_kb(pid) or 0 for pid in pids)
    worker_cpu = cpu_seconds(pids)
    began = time.perf_counter()
    with holding(deployed.url + SERVED_AT_ONCE, count, plan.timeout * 3) as holder:
        held = read_line(holder)
        opening = time.perf_counter() - began
        after_cpu = cpu_seconds(pids)
        rss_held = sum(rss_kb(pid) or 0 for pid in pids)
        fds = sum(files_of(pid) or 0 for pid in pids)
        live = measure(
            deployed.url + query(plan), plan.idle_rate, plan.idle_seconds, plan,
            {**roles(deployed, upstream), "holder": [holder.pid]}, generator,
        )  # fmt: skip
        assert holder.stdin is not None
        holder.stdin.close()
        released = read_line(holder)
    restarted = workers(deployed) != worker
    # Per connection the worker still holds (its descriptors show it): when the server
    # has closed most of them already, the growth is not theirs.
    held_by_worker = fds >= 0.9 * count
    per_connection = (rss_held - rss_before) / count if held_by_worker else None
    opening_cpu = (
        None if after_cpu is None or worker_cpu is None else round(after_cpu - worker_cpu, 3)
    )
    return {
        "model": model,
        "config": config,
        "limits": deployment.limits,
        "connections": count,
        "held": held,
        "released": released,
        "opening_seconds": round(opening, 3),
        "opening_worker_cpu_seconds": opening_cpu,
        "worker_rss_kb": {"before": rss_before, "held": rss_held},
        "worker_files": fds,
        "kb_per_connection": None if per_connection is None else round(per_connection, 2),
        "worker_restarted": restarted,
        "live": live,
        "answers": live["ok"] > 0,
        # Which processes took part (all gone once the deployment is stopped).
        "pids": {"master": deployed.master, "workers": worker, "holder": holder.pid},
    }


def idle_model(plan: Plan, model: str, upstream: Services) -> list[dict[str, Any]]:
    with Generator() as generator:
        return [
            idle_one(plan, model, config, count, upstream, generator)
            for config in plan.idle_configs
            for count in plan.idle_counts
        ]


# -- the whole -------------------------------------------------------------------------

EXPERIMENTS = ("cpu", "blocking", "idle")
RUNNERS: dict[str, Callable[[Plan, str, Services], Any]] = {
    "cpu": cpu_model,
    "blocking": blocking_model,
    "idle": idle_model,
}


def run(
    plan: Plan,
    experiments: Sequence[str],
    upstream: Services,
    models: Sequence[str] = MODELS,
    on_step: Callable[[str, str], None] = lambda experiment, model: None,
) -> dict[str, Any]:
    """The experiments asked for, every model in turn; their JSON data."""
    results: dict[str, Any] = {}
    for experiment in experiments:
        per_model = []
        for model in models:
            on_step(experiment, model)
            upstream.reset()
            per_model.append(RUNNERS[experiment](plan, model, upstream))
        if experiment == "idle":
            results[experiment] = [row for rows in per_model for row in rows]
        else:
            results[experiment] = per_model
    return results


def document(
    plan: Plan, results: dict[str, Any], environment: dict[str, Any], seconds: float
) -> dict[str, Any]:
    return {
        "experiment": "hurts",
        "plan": plan.to_json(),
        "seconds": round(seconds, 1),
        "environment": environment,
        **results,
    }
