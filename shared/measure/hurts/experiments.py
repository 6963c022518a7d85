"""The three experiments of "What hurts a service" (see ``shared.measure.hurts``).

Each runs one model at a time by default, so that the CPU figures of one are
not the load of another; each model's part is a function of its own
(``cpu_model``, ``blocking_model``, ``idle_model``) that opens its own
deployments and stops them, so that a test can run the models side by side.
A figure is the generator's run (``shared.measure.load.generator``) with the CPU
of every process that took part, in % of one core, over the generator's run
(``shared.measure.hurts.document``).
Each model's part keeps one generator process for all its figures
(``shared.measure.load.experiment.Generator``): a figure costs its schedule, not an
interpreter's start.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psutil

from shared import documents
from shared.documents import Environment
from shared.harness import processes
from shared.harness.services import Services
from shared.measure.deploy import DEPLOYMENTS, Deployed, Deployment, open_deployments
from shared.measure.hurts.document import (
    IDLE_DEFAULTS,
    IDLE_RAISED,
    BlockingModel,
    CpuModel,
    Figure,
    Fixed,
    Holding,
    HurtsDocument,
    Idle,
    Pids,
    Plan,
    Released,
    Report,
    Rss,
    Said,
    Search,
    Variant,
)
from shared.measure.hurts.holder import rss_kb
from shared.measure.load.document import Layout
from shared.measure.load.experiment import Generator, LoadError, cpu_seconds, measured, settle
from shared.measure.load.generator import Schedule

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
#: The open files a service gets on most systems (systemd's default soft limit).
SHIPPED_FILES = 1024


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

#: The worker's CPU per request beyond C: the tuned deployments' CPU per answer at
#: C = 0 in the load experiment (asyncio 0.7 ms, gevent 2.1, threads 2.4).
OVERHEAD_MS = 2.0
#: ``--cpu C``: the search's rates as multiples of what one core allows at C,
#: 1000 / (C + OVERHEAD_MS) a second: from well under to past it.
LADDER = (0.5, 0.75, 1.0, 1.5)
QUICK_LADDER = (1.0, 1.5)
#: The fixed rates (the CPU experiment's, the blocking call's, the idle live requests')
#: stay under this share of what one core allows at C: carried with room to spare, so
#: that what they show is C, the blocking call or the idle connections, not a queue.
LIGHT = 0.25


def per_core(cpu_ms: float) -> float:
    """The requests a second one worker's core allows when each spends ``cpu_ms``."""
    return 1000 / (cpu_ms + OVERHEAD_MS)


def _two_figures(value: float) -> float:
    """A rate rounded to two significant figures, as a plan writes it (23, 34, 450)."""
    return float(round(value, 1 - math.floor(math.log10(value)))) if value > 0 else value


def profile(plan: Plan, *, delay: float | None = None, cpu_ms: float | None = None) -> Plan:
    """The plan for a service of another shape: the upstream's delay D, C per request.

    ``cpu_ms`` makes the CPU experiment measure that C only, at the plan's fixed
    rate (at most ``LIGHT`` of one core) and on a ladder derived from it
    (``LADDER`` times ``per_core(C)``, ``QUICK_LADDER`` for the quick plan); the
    blocking and idle experiments' requests spend it too, at rates lowered as
    much, the blocking call just as often a second.
    """
    changes: dict[str, Any] = {}
    if delay is not None:
        changes["delay"] = delay
    if cpu_ms is not None:
        light = LIGHT * per_core(cpu_ms)
        factors = QUICK_LADDER if plan.name == QUICK.name else LADDER
        ladder = tuple(sorted({_two_figures(f * per_core(cpu_ms)) for f in factors}))
        block_rate = _two_figures(min(plan.block_rate, light))
        changes.update(
            cpu_ms=(cpu_ms,),
            cpu_rate=_two_figures(min(plan.cpu_rate, light)),
            ladders=((cpu_ms, ladder),),
            two_workers=(cpu_ms,) if plan.two_workers else (),
            spend_ms=cpu_ms,
            block_rate=block_rate,
            block_every=max(1, round(plan.block_every * block_rate / plan.block_rate)),
            detector_rate=_two_figures(min(plan.detector_rate, light)),
            idle_rate=_two_figures(min(plan.idle_rate, light)),
        )
    return dataclasses.replace(plan, **changes)


# -- processes and figures ----------------------------------------------------------


def measure(
    deployed: Deployed, url: str, rate: float, seconds: float, plan: Plan,
    roles: dict[str, list[int]], generator: Generator,
) -> Figure:  # fmt: skip
    """Offer ``rate`` to ``url`` for ``seconds``, once the workers are idle; the figure.

    A server does not drop the requests a client gave up on: after an overloaded
    step, an event loop still spends its backlog's CPU. The figure starts once
    that is done, so that it is not charged with the previous one's queue. When
    ``deployed`` is pinned, what else ran on its CPUs is measured too.
    """
    settled = settle(roles.get("worker", []), idle=0.05, every=0.3)
    schedule = Schedule(url, rate, seconds, warmup=plan.warmup, timeout=plan.timeout)
    run, cpu = measured(generator, schedule, roles, worker_cpus=deployed.cpus or ())
    return Figure(load=run, cpu_pct=cpu, settled_seconds=settled)


def query(plan: Plan, **extra: float) -> str:
    """The service's query: the plan's D and C (``spend_ms``), then ``extra``, which wins."""
    parts = {"delay": plan.delay, **({"cpu": plan.spend_ms} if plan.spend_ms else {}), **extra}
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


def worker_cpus(layout: Layout | None) -> list[int] | None:
    """The CPUs the deployments' workers run on; None: anywhere."""
    return None if layout is None else layout.worker


@contextlib.contextmanager
def running(
    deployments: Sequence[Deployment], upstream: Services, layout: Layout | None,
    workers: int = 1,
) -> Iterator[list[Deployed]]:  # fmt: skip
    """The deployments started together, their workers on the layout's CPUs."""
    with open_deployments(
        deployments, upstream.url, cpus=worker_cpus(layout), workers=workers
    ) as started:
        yield started


def roles(deployed: Deployed, upstream: Services) -> dict[str, list[int]]:
    return {
        "upstream": [upstream.pid] if upstream.pid else [],
        "worker": deployed.workers(),
    }


# -- 1. CPU in the handler -------------------------------------------------------------


def search(
    deployed: Deployed,
    upstream: Services,
    plan: Plan,
    cpu_ms: float,
    rates: Sequence[float],
    generator: Generator,
) -> Search:
    """Rising rates until the p99 passes TAIL_MS (or requests fail): where it passed.

    The p99 counts every request, a failure or a timeout at the timeout: a step
    whose requests time out is not judged by the few that were answered.
    """
    steps = []
    passed = None
    for rate in rates:
        figure = measure(
            deployed, deployed.url + query(plan, cpu=cpu_ms), rate, plan.ladder_seconds, plan,
            roles(deployed, upstream), generator,
        )  # fmt: skip
        steps.append(figure)
        run = figure.load
        p99 = run.latency_all_ms.p99
        if p99 is None or p99 > TAIL_MS or run.failed > 0.01 * max(run.sent, 1):
            passed = rate
            break
    workers = len(deployed.workers())
    return Search(cpu_ms=cpu_ms, workers=workers, passes_at=passed, steps=steps)


TWO_WORKERS = "tuned, 2 workers"


def two_workers_skipped(plan: Plan, layout: Layout | None) -> str:
    """Why the plan's search with two workers does not run here ("" when it does).

    Two workers need two CPUs of their own: pinned to one, they would take turns on
    it and show nothing a second process brings; left free on a machine of two
    CPUs, they would share the generator's. So with the workers pinned (``--cores
    N``), they run only when N is 2 or more (a machine of three CPUs or more);
    ``--cores 0`` runs them unpinned, beside everything else, as before pinning.
    """
    if not plan.two_workers or layout is None or len(layout.worker) >= 2:
        return ""
    return ("two workers: skipped, they need two CPUs of their own (--cores 2, on a "
            "machine of 3 CPUs or more; --cores 0 runs them unpinned)")  # fmt: skip


def cpu_on(
    plan: Plan, started: Sequence[Deployed], upstream: Services, generator: Generator,
    skipped: Sequence[str] = (),
) -> CpuModel:  # fmt: skip
    """Every C at the fixed rate, then each C's search, with one worker and, if
    ``started`` has a second deployment, with its two."""
    first = started[0]
    fixed = []
    for cpu_ms in plan.cpu_ms:
        figure = measure(
            first, first.url + query(plan, cpu=cpu_ms), plan.cpu_rate, plan.seconds, plan,
            roles(first, upstream), generator,
        )  # fmt: skip
        fixed.append(Fixed(**vars(figure), cpu_ms=cpu_ms))
    searches = [search(first, upstream, plan, c, plan.ladder(c), generator)
                for c in plan.cpu_ms if plan.ladder(c)]  # fmt: skip
    if len(started) > 1:
        searches += [search(started[1], upstream, plan, c, plan.ladder(c), generator)
                     for c in plan.two_workers if plan.ladder(c)]  # fmt: skip
    deployment = first.deployment
    return CpuModel(model=deployment.model, deployment=deployment.name,
                    limits=deployment.limits, fixed=fixed, searches=searches,
                    skipped=list(skipped))  # fmt: skip


def cpu_model(plan: Plan, model: str, upstream: Services, layout: Layout | None) -> CpuModel:
    """One model's part of the CPU experiment, on deployments of its own: the tuned
    one, and the same with two workers if the plan searches with two and they can
    have two CPUs (``two_workers_skipped``)."""
    skipped = two_workers_skipped(plan, layout)
    with contextlib.ExitStack() as stack:
        started = stack.enter_context(running([tuned(model)], upstream, layout))
        if plan.two_workers and not skipped:
            two = variant(tuned(model), TWO_WORKERS)
            started += stack.enter_context(running([two], upstream, layout, workers=2))
        generator = stack.enter_context(Generator())
        return cpu_on(plan, started, upstream, generator, [skipped] if skipped else [])


# -- 2. A blocking call -----------------------------------------------------------------


def detect(log: str, block_ms: float) -> list[Report]:
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
            Report(
                detector="asyncio debug mode",
                reports=len(slow),
                about_the_call=len(about),
                words=plain((about or [slow[0][0]])[0]),
                where="",
            )
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
            Report(
                detector="gevent monitor thread",
                reports=len(blocked),
                about_the_call=len(pointing),
                words=plain(lines[blocked[chosen]]),
                where=wheres[chosen],
            )
        )
    return found


def plain(line: str) -> str:
    """A log line without machine paths, addresses and arguments: it reads the same on any
    machine, and in 80 columns."""
    line = re.sub(r"/[^\s:>\"']*/", "", line.strip())
    line = re.sub(r" at 0x[0-9a-f]+", "", line)
    line = re.sub(r"result=\(.*?\) ", "", line)
    return re.sub(r"\(\S.*\)>", "(...)>", line)


def detectors(deployed: Deployed, plan: Plan, generator: Generator) -> Said:
    """A short burst of blocking calls, then of offloaded ones: what each detector said."""

    def burst(offload: int) -> list[Report]:
        start = len(deployed.output())
        url = deployed.url + query(
            plan, block=plan.block_ms, every=plan.detector_every, offload=offload
        )
        generator.run(
            Schedule(url, plan.detector_rate, plan.detector_seconds, timeout=plan.timeout)
        )
        time.sleep(0.2)  # a report written as the last request ended
        return detect(deployed.output()[start:], plan.block_ms)

    return Said(blocking=burst(0), fixed=burst(1))


def blocking_deployments(model: str) -> list[Deployment]:
    """The tuned deployment, and the same with both detectors switched on."""
    plain_ = tuned(model)
    options = [option for env in DETECTOR_ENV for option in ("--env", env)]
    return [plain_, variant(plain_, "tuned, detectors on", options)]


def blocking_on(
    plan: Plan, deployed: Deployed, observed: Deployed, upstream: Services, generator: Generator
) -> BlockingModel:
    """No blocking call, the blocking call, its fix; then the detectors, on ``observed``."""
    figures = []
    for name, extra in (
        ("none", {}),
        ("blocking", {"block": plan.block_ms, "every": plan.block_every}),
        ("fixed", {"block": plan.block_ms, "every": plan.block_every, "offload": 1}),
    ):
        url = deployed.url + query(plan, **extra)
        figure = measure(
            deployed, url, plan.block_rate, plan.seconds, plan, roles(deployed, upstream),
            generator,
        )  # fmt: skip
        figures.append(Variant(**vars(figure), variant=name))
    said = detectors(observed, plan, generator)
    deployment = deployed.deployment
    return BlockingModel(model=deployment.model, deployment=deployment.name, figures=figures,
                         detectors=said)  # fmt: skip


def blocking_model(
    plan: Plan, model: str, upstream: Services, layout: Layout | None
) -> BlockingModel:
    """One model's part of the blocking experiment, on deployments of its own."""
    with (
        running(blocking_deployments(model), upstream, layout) as (deployed, observed),
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
    """How many file descriptors a process holds; None if it is gone."""
    try:
        return psutil.Process(pid).num_fds()
    except psutil.Error:
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


def read_line(child: subprocess.Popen[str]) -> Any:
    """The holder's next line of figures, as JSON data."""
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line:
        raise LoadError("the idle-connection holder ended without its figures")
    return json.loads(line)


def idle_one(
    plan: Plan, model: str, config: str, count: int, upstream: Services, generator: Generator,
    layout: Layout | None,
) -> Idle:  # fmt: skip
    """``count`` idle connections to a fresh deployment, then the live requests."""
    with running([idle_deployment(model, config)], upstream, layout) as (deployed,):
        return idle_on(plan, deployed, config, count, upstream, generator)


def idle_on(
    plan: Plan, deployed: Deployed, config: str, count: int, upstream: Services,
    generator: Generator,
) -> Idle:  # fmt: skip
    """``count`` idle connections to a deployment just started, then the live requests."""
    deployment = deployed.deployment
    set_files_limit([deployed.master, *deployed.workers()], files_limit(config))
    worker = deployed.workers()
    pids = worker[:1]
    rss_before = sum(rss_kb(pid) or 0 for pid in pids)
    worker_cpu = cpu_seconds(pids)
    began = time.perf_counter()
    with holding(deployed.url + SERVED_AT_ONCE, count, plan.timeout * 3) as holder:
        held = documents.from_json(Holding, read_line(holder))
        opening = time.perf_counter() - began
        after_cpu = cpu_seconds(pids)
        rss_held = sum(rss_kb(pid) or 0 for pid in pids)
        fds = sum(files_of(pid) or 0 for pid in pids)
        live = measure(
            deployed, deployed.url + query(plan), plan.idle_rate, plan.idle_seconds, plan,
            {**roles(deployed, upstream), "holder": [holder.pid]}, generator,
        )  # fmt: skip
        assert holder.stdin is not None
        holder.stdin.close()
        released = documents.from_json(Released, read_line(holder))
    # Per connection the worker still holds (its descriptors show it): when the server
    # has closed most of them already, the growth is not theirs.
    held_by_worker = fds >= 0.9 * count
    per_connection = (rss_held - rss_before) / count if held_by_worker else None
    opening_cpu = (
        None if after_cpu is None or worker_cpu is None else round(after_cpu - worker_cpu, 3)
    )
    return Idle(
        model=deployment.model,
        config=config,
        limits=deployment.limits,
        connections=count,
        held=held,
        released=released,
        opening_seconds=round(opening, 3),
        opening_worker_cpu_seconds=opening_cpu,
        worker_rss_kb=Rss(rss_before, rss_held),
        worker_files=fds,
        kb_per_connection=None if per_connection is None else round(per_connection, 2),
        worker_restarted=deployed.workers() != worker,
        live=live,
        answers=live.load.ok > 0,
        pids=Pids(deployed.master, worker, holder.pid),
    )


def idle_model(plan: Plan, model: str, upstream: Services, layout: Layout | None) -> list[Idle]:
    with Generator() as generator:
        return [
            idle_one(plan, model, config, count, upstream, generator, layout)
            for config in plan.idle_configs
            for count in plan.idle_counts
        ]


# -- the whole -------------------------------------------------------------------------

EXPERIMENTS = ("cpu", "blocking", "idle")


def run(
    plan: Plan,
    experiments: Sequence[str],
    upstream: Services,
    environment: Environment,
    models: Sequence[str] = MODELS,
    on_step: Callable[[str, str], None] = lambda experiment, model: None,
    *,
    began: float | None = None,
    layout: Layout | None = None,
) -> HurtsDocument:
    """The experiments asked for, every model in turn: the document.

    ``environment`` is the machine's, to which the load average as they end is
    added; ``began``, the ``perf_counter()`` the time they took counts from
    (default: now). ``layout``: the deployments' workers run on its ``worker``
    CPUs; the caller has pinned itself (and so the upstream it started, the
    generator and the holder it starts) to its ``rest`` (``deploy.pin_self``).
    """
    began = time.perf_counter() if began is None else began

    def each(
        experiment: str, part: Callable[[Plan, str, Services, Layout | None], Any]
    ) -> list[Any] | None:
        if experiment not in experiments:
            return None
        found = []
        for model in models:
            on_step(experiment, model)
            upstream.reset()
            found.append(part(plan, model, upstream, layout))
        return found

    cpu = each("cpu", cpu_model)
    blocking = each("blocking", blocking_model)
    idle = each("idle", idle_model)
    return HurtsDocument(
        plan=plan,
        seconds=round(time.perf_counter() - began, 1),
        environment=dataclasses.replace(environment, load=os.getloadavg()[0]),
        cpu=cpu,
        blocking=blocking,
        idle=None if idle is None else [row for rows in idle for row in rows],
        layout=layout,
    )
