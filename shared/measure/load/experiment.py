"""Latency against offered load: each deployment, rising rates, until it saturates.

Each deployment (``shared.measure.deploy``: one model's service under gunicorn, or
the model alone on its own sockets) calls the local services as its upstream,
which answer after D (50 ms unless ``--delay``), and spends C ms of CPU per
request (``--cpu``). The generator (``shared.measure.load.generator``, a process
of its own) offers a rising ladder of rates, each for a fixed time after a
warm-up, open loop. A step records the generator's figures (percentiles from
the intended send time, failures counted at the timeout, achieved throughput,
whether its figures can be trusted) and the CPU of every process meanwhile.

How the figures become evidence on a small machine:

* **A core for the service.** With ``layout``, the worker runs alone on its
  CPU(s); this program, the upstream, the generator, wrk and k6 share the rest.
  What else ran on the worker's CPU during a step is measured (``core_others``).
* **Repeats, interleaved.** Each deployment's ladder runs ``plan.repeats`` times;
  in each repeat the deployments come in an order shuffled from the plan's seed,
  so that a drift of the machine spreads over all of them. Every figure is a
  ``Spread``: median, range, each repeat's value. After the first repeat, the
  ladder starts at the first one's knee, where the figures move.
* **Two other tools.** k6's open-loop executor at one rate under the knee, beside
  the generator's step there; wrk's closed loop once per repeat, a cross-check of
  the saturation.

Per deployment and repeat:

* the *knee*: the highest rate whose p99 (failures at the timeout) stays under
  twice what a request costs unqueued, 2 x (D + C), every lower rate too: room
  for the service's own work, exceeded as soon as requests queue for its limits;
* the *saturation throughput*: the most answers per second it gave at any step,
  counting only answers to the requests of the measured window. A ladder that
  never saturated says so (``reached``): its saturation is then a floor.

The ladder stops one step after the deployment saturates: when it completes
less than 90% of what is offered, or more than 1% of the requests fail.

After the last repeat, each deployment is offered ``plan.spectrum``'s shares of
its saturation (the median over the repeats), a half and four fifths, once
each: the whole latency distribution there, comfortable and busy, is its
*spectrum* (``SpectrumStep``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import psutil

from shared import documents
from shared.contract import HTTP_TIMEOUT
from shared.documents import Environment
from shared.errors import EnvironmentFailure
from shared.harness import processes
from shared.harness.pipes import last_line, line_within
from shared.harness.services import open_services
from shared.measure import deploy
from shared.measure.bench.probes import machine_busy, process_cpu
from shared.measure.deploy import Deployed, Deployment
from shared.measure.load import k6
from shared.measure.load.document import (
    Cpu,
    CrossCheck,
    DeploymentFigures,
    Layout,
    LoadDocument,
    LoadRun,
    Plan,
    SpectrumStep,
    Spread,
    Step,
    Wrk,
)
from shared.measure.load.generator import LAG_SHARE, Schedule
from shared.measure.load.trivial import open_trivial

#: A step is saturated when it completes less than this share of the offered rate...
SATURATED = 0.9
#: ...or when more than this share of its requests fail or time out.
FAILING = 0.01


class LoadError(EnvironmentFailure):
    """The generator or wrk failed: the reason in one line (the CLI's exit status 3)."""


# The ladders climb by 4 (quick) or 2 (full) from well under any deployment's knee
# to above the generator's own check: the quick one reaches every deployment's
# saturation here in four or five steps, the full one brackets it within a factor of
# two, then bisects. The defaults' configurations are left to ``--configs``: their
# saturation is the cap they are configured with (one thread, a pool of ten), known
# before the run and pinned by the tests, so a run's time goes to what is not known.
# The quick ladder starts at 400, which every deployment but the defaults carries:
# the time of a rung under it goes to the spectrum steps instead (one at a half of
# every saturation here is over 300/s). The full spectrum steps last twice a rung,
# for a tail to 99.9% from thousands of requests.
QUICK = Plan(
    "quick",
    rates=(400, 1600, 6400),
    duration=0.5,
    warmup=0.2,
    wrk_seconds=1,
    wrk_once=True,
    refine=1,
    timeout=1.0,  # a saturated step ends, and its backlog drains, in a second
    chart_rate=400.0,
    repeats=2,
    spectrum=(0.5, 0.8),
)
FULL = Plan(
    "full",
    rates=(50, 100, 200, 400, 800, 1600, 3200, 6400),
    duration=10.0,
    warmup=1.0,
    wrk_seconds=5,
    refine=2,
    timeout=5.0,
    chart_rate=400.0,
    repeats=5,
    spectrum=(0.5, 0.8),
    spectrum_seconds=20.0,
)


def saturated(run: LoadRun, rate: float) -> bool:
    """Whether a run offered ``rate`` answered too few of its requests, or failed too many."""
    slow = run.throughput < SATURATED * rate
    return slow or run.failed > FAILING * max(run.sent, 1)


@dataclass
class Result:
    """What one deployment gave, as its steps come in, repeat after repeat."""

    deployment: Deployment
    steps: list[Step] = field(default_factory=list)
    spectrum: list[SpectrumStep] = field(default_factory=list)
    wrk: list[Wrk] = field(default_factory=list)
    cross_check: CrossCheck | None = None
    error: str = ""

    def repeats(self) -> list[int]:
        return sorted({step.repeat for step in self.steps})

    def of(self, repeat: int) -> list[Step]:
        """One repeat's steps, by rate."""
        return sorted((s for s in self.steps if s.repeat == repeat), key=lambda s: s.rate)

    def knee(self, budget_ms: float, repeat: int = 1) -> float | None:
        """The highest rate whose p99 is under the budget, every lower rate's too.

        A later repeat starts near the first one's knee (``ladder``): the rates it
        skipped below are taken as under the budget, as the first repeat found them.
        """
        best = None
        for step in self.of(repeat):
            p99 = step.load.latency_all_ms.p99
            good = p99 is not None and p99 < budget_ms and not step.load.failed
            if not (good and step.load.trusted):
                break
            best = step.rate
        return best

    def median_saturation(self) -> float | None:
        """The saturation's median over the repeats so far."""
        return Spread.of([self.saturation(r) for r in self.repeats()]).median

    def saturation(self, repeat: int = 1) -> float | None:
        """The most requests per second completed at any step of a repeat."""
        rates = [step.load.throughput for step in self.of(repeat)]
        return max(rates) if rates else None

    def reached(self, repeat: int = 1) -> bool:
        """Whether the repeat's ladder went past saturation (else its saturation is a floor)."""
        return any(step.saturated for step in self.of(repeat))

    def cpu_per_answer(self, repeat: int = 1) -> float | None:
        """The worker's CPU milliseconds per answer, at the busiest step it carried.

        Less noisy than a rate on a shared machine: other programs take the
        worker's turns on the CPU, but not (much) its CPU per request.
        """
        carried = [s for s in self.of(repeat) if not s.saturated and s.load.throughput > 0]
        if not carried:
            return None
        busiest = max(carried, key=lambda s: s.rate)
        share = busiest.cpu_pct.worker
        if share is None:
            return None
        return round(10 * share / busiest.load.throughput, 3)

    def figures(self, plan: Plan) -> DeploymentFigures:
        """The deployment's part of the document: every repeat's figures and their spread."""
        deployment = self.deployment
        repeats = self.repeats()
        saturation = Spread.of([self.saturation(r) for r in repeats])
        wrk_rate = Spread.of([w.requests_per_s for w in self.wrk])
        ratio = None
        if saturation.median and wrk_rate.median:
            ratio = round(saturation.median / wrk_rate.median, 3)
        return DeploymentFigures(
            name=deployment.name,
            model=deployment.model,
            config=deployment.config,
            server=deployment.server,
            worker_class=deployment.worker_class,
            options=list(deployment.options),
            pool=deployment.pool,
            limits=deployment.limits,
            knee=Spread.of([self.knee(plan.budget_ms, r) for r in repeats]),
            saturation=saturation,
            cpu_ms_per_answer=Spread.of([self.cpu_per_answer(r) for r in repeats]),
            reached=bool(repeats) and all(self.reached(r) for r in repeats),
            wrk=list(self.wrk),
            wrk_ratio=ratio,
            cross_check=self.cross_check,
            steps=sorted(self.steps, key=lambda s: (s.rate, s.repeat)),
            spectrum=sorted(self.spectrum, key=lambda s: s.share),
            error=self.error,
        )


# -- processes ------------------------------------------------------------------


def cpu_seconds(pids: Sequence[int]) -> float | None:
    """The CPU seconds (user + system) of processes together; None if none, or one is gone."""
    found = [process_cpu(pid) for pid in pids]
    return None if not found or None in found else sum(f for f in found if f is not None)


def settle(pids: Sequence[int], *, idle: float, every: float, limit: float = 20.0) -> float:
    """Wait until processes are idle (under ``idle`` of a core for ``every`` s); the seconds.

    Beyond saturation a worker is left with a backlog of requests whose
    clients have gone (nothing cancels them): the next measurement must not
    start until it has worked through them, nor be charged with their CPU.
    """
    began = time.perf_counter()
    last = cpu_seconds(pids)
    while time.perf_counter() - began < limit:
        time.sleep(every)
        now = cpu_seconds(pids)
        if now is None or last is None or (now - last) / every < idle:
            break
        last = now
    return round(time.perf_counter() - began, 2)


class Generator:
    """The generator in a process of its own, kept for many runs (``--steps``).

    One interpreter for a whole experiment: a run costs its schedule, not an
    interpreter's start, and the generator is warm (imports, caches) from the
    second run on.
    """

    def __init__(self) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the process
        # Closing its stdin (``close``) ends it.
        self._child = processes.DEFAULT.spawn(
            [sys.executable, "-m", "shared.measure.load.generator", "--steps"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )

    @property
    def pid(self) -> int:
        return self._child.pid

    def run(self, schedule: Schedule) -> LoadRun:
        """One run of ``schedule``; its figures."""
        child = self._child
        assert child.stdin is not None and child.stdout is not None
        try:
            child.stdin.write(json.dumps(schedule.argv()) + "\n")
            child.stdin.flush()
        except OSError:
            pass  # it has ended: the read below says why
        line = line_within(child.stdout, schedule.deadline)
        if not line:
            self._log.seek(0)
            last = last_line(self._log.read()) or "no answer"
            raise LoadError(f"the load generator failed: {last}")
        return documents.from_json(LoadRun, json.loads(line))

    def close(self) -> None:
        processes.DEFAULT.finish(self._child, grace=5)
        self._log.close()

    def __enter__(self) -> Generator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def generate(schedule: Schedule) -> LoadRun:
    """One run of the generator in a process of its own; its figures."""
    command = [sys.executable, "-m", "shared.measure.load.generator", *schedule.argv()]
    done = processes.run(command, timeout=schedule.deadline)
    if done.returncode != 0 or not done.stdout.strip():
        lines = done.stderr.strip().splitlines()
        reason = lines[-1] if lines else done.describe()
        raise LoadError(f"the load generator failed: {reason}")
    return documents.from_json(LoadRun, json.loads(done.stdout))


def cores_busy(cpus: Sequence[int]) -> float:
    """Seconds of CPU the given CPUs have spent busy (not idle, not waiting on I/O)."""
    every = psutil.cpu_times(percpu=True)
    return sum(
        t.user + t.nice + t.system + t.irq + t.softirq + t.steal
        for cpu, t in enumerate(every)
        if cpu in cpus
    )


def measured(
    generator: Generator,
    schedule: Schedule,
    roles: Mapping[str, Sequence[int]],
    *,
    others: bool = False,
    worker_cpus: Sequence[int] = (),
) -> tuple[LoadRun, Cpu]:
    """One run of ``schedule``, and the CPU each role's processes used meanwhile.

    ``roles`` are ``Cpu``'s (``upstream``, ``worker``, ``holder``): each a share of
    the generator's run (warm-up, schedule, last answers), outside of which they
    are idle; the generator counts its own, its start excluded. ``others``: what
    the rest of the machine used meanwhile too, on a shared machine the noise.
    ``worker_cpus``: the CPUs the worker has to itself; what else ran there is
    ``core_others``.
    """
    pids = {**roles, "generator": [generator.pid]}
    before = {role: cpu_seconds(found) for role, found in pids.items()}
    machine_before = machine_busy()
    core_before = cores_busy(worker_cpus)
    began = time.perf_counter()
    run = generator.run(schedule)
    wall = time.perf_counter() - began
    after = {role: cpu_seconds(found) for role, found in pids.items()}
    machine_after = machine_busy()
    core_after = cores_busy(worker_cpus)
    used: dict[str, float | None] = {}
    for role in pids:
        b, a = before[role], after[role]
        used[role] = None if a is None or b is None else a - b
    busy = max(run.seconds, 1e-3)
    shares: dict[str, float | None] = {}
    for role in roles:
        seconds = used[role]
        shares[role] = None if seconds is None else round(100 * seconds / busy, 1)
    if others:
        ours = sum(v for v in used.values() if v is not None)
        shares["others"] = round(max(0.0, 100 * (machine_after - machine_before - ours) / wall), 1)
    if worker_cpus:
        worker = used.get("worker") or 0.0
        extra = core_after - core_before - worker
        shares["core_others"] = round(max(0.0, 100 * extra / wall), 1)
    return run, Cpu(generator=run.cpu_pct, **shares)


def step(
    generator: Generator,
    deployed: Deployed,
    upstream_pid: int | None,
    rate: float,
    plan: Plan,
    *,
    repeat: int = 1,
    worker_cpus: Sequence[int] = (),
    seconds: float | None = None,
) -> Step:
    """Offer ``rate`` to a deployment for ``seconds`` (the plan's duration unless given);
    the generator's figures and every process's CPU."""
    roles = {
        "upstream": [] if upstream_pid is None else [upstream_pid],
        "worker": deployed.workers(),
    }
    duration = seconds or plan.duration
    schedule = Schedule(target(deployed, plan), rate, duration, warmup=plan.warmup,
                        poisson=plan.poisson, timeout=plan.timeout,
                        connections=plan.connections)  # fmt: skip
    run, cpu = measured(generator, schedule, roles, others=True, worker_cpus=worker_cpus)
    return Step(load=run, cpu_pct=cpu, rate=rate, saturated=saturated(run, rate), repeat=repeat)


def target(deployed: Deployed, plan: Plan) -> str:
    """The URL every request of the plan asks for: the upstream's D, the handler's C."""
    query = f"delay={plan.delay:g}" + (f"&cpu={plan.cpu_ms:g}" if plan.cpu_ms else "")
    return f"{deployed.url}/?{query}"


def wrk_connections(result: Result, plan: Plan) -> int:
    """Enough of wrk's connections to keep the deployment saturated, and not many more.

    By Little's law, C answers per second that each take D need C x D requests
    in flight; four times that keeps the service busy. Many more would only
    queue, and make wrk's few seconds end before the queue's first answers.
    """
    saturation = result.saturation() or 1.0
    in_flight = saturation * (plan.delay + plan.cpu_ms / 1000)
    return max(4, min(plan.wrk_connections, math.ceil(4 * in_flight)))


WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def wrk(url: str, seconds: int, connections: int) -> Wrk | None:
    """wrk's closed-loop throughput against ``url``; None when wrk is not installed."""
    program = shutil.which("wrk")
    if program is None:
        return None
    command = [program, "-t1", f"-c{connections}", f"-d{seconds}s",
               f"--timeout={round(HTTP_TIMEOUT)}s", url]  # fmt: skip
    done = processes.run(command, timeout=seconds + HTTP_TIMEOUT + 30)
    found = WRK_RATE.search(done.stdout)
    if done.returncode != 0 or not found:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise LoadError(f"wrk failed: {lines[-1] if lines else done.describe()}")
    errors = WRK_ERRORS.search(done.stdout)
    non2xx = WRK_NON2XX.search(done.stdout)
    return Wrk(
        requests_per_s=float(found.group(1)),
        connections=connections,
        seconds=seconds,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        non_2xx=int(non2xx.group(1)) if non2xx else 0,
    )


# -- the experiment ---------------------------------------------------------------


def ladder(plan: Plan, first: Result | None) -> list[float]:
    """The rates a repeat climbs: the plan's, or, after the first repeat, the rates the
    first one measured from its knee upward (where the figures move), and the plan's
    above them in case this repeat carries more."""
    if first is None or not first.steps:
        return list(plan.rates)
    knee = first.knee(plan.budget_ms, 1)
    measured_rates = sorted({s.rate for s in first.of(1)})
    floor = max((r for r in measured_rates if knee is not None and r <= knee), default=0.0)
    around = [r for r in measured_rates if r >= floor]
    return around + [r for r in plan.rates if r > max(measured_rates)]


def run_ladder(
    result: Result,
    repeat: int,
    deployed: Deployed,
    generator: Generator,
    plan: Plan,
    upstream_pid: int | None,
    *,
    worker_cpus: Sequence[int] = (),
    on_step: Callable[[Deployment, str], None] = lambda d, w: None,
) -> None:
    """One repeat of the ladder until the deployment saturates, then (in the first
    repeat) bisections there."""
    deployment = deployed.deployment

    def measure(rate: float) -> Step:
        on_step(deployment, f"{rate:g}/s offered")
        done = step(generator, deployed, upstream_pid, rate, plan, repeat=repeat,
                    worker_cpus=worker_cpus)  # fmt: skip
        if done.saturated:  # its backlog must not fall on the next measurement
            waited = settle(deployed.workers(), idle=0.1, every=0.25)
            done = dataclasses.replace(done, settled=waited)
        result.steps.append(done)
        return done

    first = None if repeat == 1 else result
    good, high = 0.0, 0.0
    for rate in ladder(plan, first):
        if measure(rate).saturated:
            high = rate
            break
        good = rate
    for _ in range(plan.refine if high and repeat == 1 else 0):
        middle = round((good * high) ** 0.5 if good else high / 2)
        if middle in (good, high) or middle < 1:
            break
        if measure(middle).saturated:
            high = middle
        else:
            good = middle


def spectrum_rates(result: Result, plan: Plan) -> list[tuple[float, float]]:
    """The spectrum's (share, rate) pairs: ``plan.spectrum``'s shares of the
    deployment's saturation (its median over the repeats), in whole requests per
    second; none when no repeat gave a saturation."""
    saturation = result.median_saturation()
    if not saturation:
        return []
    return [(share, float(max(1, round(share * saturation)))) for share in plan.spectrum]


def run_spectrum(
    result: Result,
    deployed: Deployed,
    generator: Generator,
    plan: Plan,
    upstream_pid: int | None,
    *,
    worker_cpus: Sequence[int] = (),
    on_step: Callable[[Deployment, str], None] = lambda d, w: None,
) -> None:
    """The deployment's spectrum steps, after its last repeat."""
    for share, rate in spectrum_rates(result, plan):
        on_step(deployed.deployment, f"{rate:g}/s, {share:.0%} of its saturation")
        done = step(generator, deployed, upstream_pid, rate, plan, repeat=plan.repeats,
                    worker_cpus=worker_cpus, seconds=plan.spectrum_seconds)  # fmt: skip
        settled = None
        if done.saturated:  # a saturation over-estimated by an untrusted step, say
            settled = settle(deployed.workers(), idle=0.1, every=0.25)
        fields = {f.name: getattr(done, f.name) for f in dataclasses.fields(done)}
        result.spectrum.append(SpectrumStep(**{**fields, "settled": settled}, share=share))


def cross_check(
    result: Result, deployed: Deployed, plan: Plan, on_step: Callable[[Deployment, str], None]
) -> CrossCheck | None:
    """k6 at the first repeat's highest rate at or under half its knee, beside the
    generator's step there: both tools' p50 and p99 where neither queues."""
    knee = result.knee(plan.budget_ms, 1)
    below = [s for s in result.of(1) if knee is not None and s.rate <= knee / 2]
    if not below:
        return None
    chosen = below[-1]
    on_step(deployed.deployment, f"k6 at {chosen.rate:g}/s")
    # k6 refuses a scenario shorter than a second.
    seconds = max(1.0, plan.duration)
    # VUs for four times the requests in flight under the knee (Little's law, D + C
    # each): enough never to drop one, without starting thousands it never uses.
    vus = 10 + math.ceil(4 * chosen.rate * (plan.delay + plan.cpu_ms / 1000))
    found = k6.run(target(deployed, plan), chosen.rate, seconds, warmup=plan.warmup,
                   timeout=plan.timeout, pool=vus)  # fmt: skip
    return CrossCheck(rate=chosen.rate, generator=chosen.load.latency_ms, k6=found)


def check_generator(plan: Plan) -> LoadRun:
    """The generator alone against a trivial server, at a rate above any deployment's.

    Its figures are trusted only if it keeps a schedule far faster than the
    services it measures: then it is not their bottleneck. Its lag is judged
    against the least latency the experiment measures, D + C (the trivial
    server's own millisecond would make any lag look material), by the rule that
    judges every step: under a tenth of it.
    """
    with open_trivial() as url:
        run = generate(Schedule(url, plan.generator_rate, plan.generator_seconds, warmup=0.3,
                                connections=plan.connections))  # fmt: skip
    least = plan.delay * 1000 + plan.cpu_ms
    lag = run.lag_ms.p99 or 0.0
    kept = lag <= LAG_SHARE * least and not run.failed and not run.connections.failed
    verdict = (f"sent p99 {lag:.1f} ms late: " + ("under" if kept else "OVER")
               + f" a tenth of D + C = {least:g} ms")  # fmt: skip
    notes = [n for n in run.notes if "untrusted" not in n] + [verdict]
    return dataclasses.replace(run, trusted=kept, notes=notes)


def order(plan: Plan, deployments: Sequence[Deployment], repeat: int) -> list[Deployment]:
    """The deployments' order in one repeat: shuffled, reproducibly from the plan's seed,
    so that a drift of the machine over the run spreads over all of them."""
    shuffled = list(deployments)
    random.Random(f"{plan.seed}:{repeat}").shuffle(shuffled)
    return shuffled


def run(
    plan: Plan,
    deployments: Sequence[Deployment],
    *,
    use_wrk: bool = True,
    layout: Layout | None = None,
    on_step: Callable[[Deployment, str], None] = lambda d, w: None,
    on_repeat: Callable[[int, list[Deployment]], None] = lambda r, o: None,
) -> list[Result]:
    """Every deployment, each repeat in a shuffled order, against one upstream.

    The deployments start together and stay up for the whole run, their workers on
    ``layout.worker`` (this program, the upstream and the generator on
    ``layout.rest``): a repeat costs the ladder, not a start. After the last repeat,
    each deployment's spectrum steps (none when ``plan.spectrum`` is empty), which
    ``on_repeat`` hears of as one more repeat (``plan.repeats + 1``).
    """
    if layout is not None:
        deploy.pin_self(layout.rest)  # the upstream, the generator, wrk and k6 inherit it
    worker_cpus = layout.worker if layout else None
    results = {d.name: Result(d) for d in deployments}
    with (
        open_services() as upstream,
        deploy.open_deployments(deployments, upstream.url, cpus=worker_cpus) as running,
        Generator() as generator,
    ):
        by_name = {d.deployment.name: d for d in running}
        for repeat in range(1, plan.repeats + 1):
            this = order(plan, deployments, repeat)
            on_repeat(repeat, this)
            for deployment in this:
                deployed, result = by_name[deployment.name], results[deployment.name]
                upstream.reset()
                run_ladder(result, repeat, deployed, generator, plan, upstream.pid,
                           worker_cpus=worker_cpus or (), on_step=on_step)  # fmt: skip
                if repeat == 1 and plan.k6:
                    result.cross_check = cross_check(result, deployed, plan, on_step)
                if use_wrk and plan.wrk_seconds > 0 and (repeat == 1 or not plan.wrk_once):
                    on_step(deployment, "wrk, closed loop")
                    found = wrk(target(deployed, plan), plan.wrk_seconds,
                                wrk_connections(result, plan))  # fmt: skip
                    if found is not None:
                        result.wrk.append(found)
        if plan.spectrum:  # the spectrum steps, once the saturations are known
            on_repeat(plan.repeats + 1, list(deployments))
        for deployment in deployments if plan.spectrum else ():
            upstream.reset()
            run_spectrum(results[deployment.name], by_name[deployment.name], generator, plan,
                         upstream.pid, worker_cpus=worker_cpus or (), on_step=on_step)  # fmt: skip
    return [results[d.name] for d in deployments]


def document(
    plan: Plan,
    results: Sequence[Result],
    environment: Environment,
    seconds: float,
    generator: LoadRun | None = None,
    layout: Layout | None = None,
) -> LoadDocument:
    """The experiment's document: plan, environment, the generator's check, every deployment."""
    deployments = [result.deployment for result in results]
    return LoadDocument(
        plan=plan,
        seconds=round(seconds, 1),
        environment=environment,
        layout=layout,
        order=[[d.name for d in order(plan, deployments, r)] for r in range(1, plan.repeats + 1)],
        generator=generator,
        deployments=[result.figures(plan) for result in results],
    )
