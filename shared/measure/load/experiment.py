"""Latency against offered load: each deployment, rising rates, until it saturates.

For each deployment (``shared.measure.deploy``: one model's service under gunicorn, in
its defaults or tuned), the local services play the upstream, answering after
D = 50 ms, and the generator (``shared.measure.load.generator``, a process of its own)
offers a rising ladder of constant rates, each for a fixed time after a short
warm-up. A step records the generator's figures (percentiles from the intended
send time, achieved throughput, errors, whether it kept its schedule) and the
CPU that each process used meanwhile: generator, upstream, service worker. On
two cores, that shows who was the bottleneck.

The ladder stops one step after the deployment saturates: when it completes
less than 90% of what is offered, or more than 1% of the requests fail. Per
deployment:

* the *knee*: the highest rate whose p99 stays under 2 x D, every lower rate
  too. Twice the upstream delay leaves room for the service's own work and
  queueing, yet is exceeded as soon as requests queue for the service's limits;
* the *saturation throughput*: the most requests per second it completed at
  any step (beyond saturation it completes what it can, the rest waits);
* wrk's closed-loop throughput for the same deployment, as a cross-check of
  the saturation figure: many connections each sending its next request as
  soon as the last is answered keep the service as busy as it can be.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from shared import documents
from shared.contract import HTTP_TIMEOUT
from shared.documents import Environment
from shared.errors import EnvironmentFailure
from shared.harness import processes
from shared.harness.pipes import last_line, line_within
from shared.harness.services import open_services
from shared.measure.bench.probes import machine_busy, process_cpu
from shared.measure.deploy import Deployed, Deployment, open_deployment
from shared.measure.load.document import (
    Cpu,
    DeploymentFigures,
    LoadDocument,
    LoadRun,
    Plan,
    Step,
    Wrk,
)
from shared.measure.load.generator import Schedule
from shared.measure.load.trivial import open_trivial

#: A step is saturated when it completes less than this share of the offered rate...
SATURATED = 0.9
#: ...or when more than this share of its requests fail or time out.
FAILING = 0.01


class LoadError(EnvironmentFailure):
    """The generator or wrk failed: the reason in one line (the CLI's exit status 3)."""


QUICK = Plan(
    "quick",
    rates=(25, 100, 400, 1600),
    duration=1.0,
    warmup=0.25,
    wrk_seconds=1,
    refine=1,  # one bisection: the knee within a factor of 1.4, in 90 s for all eight
    timeout=2.0,  # a saturated step drains in two seconds, not in HTTP_TIMEOUT's ten
    chart_rate=100.0,
)
FULL = Plan(
    "full",
    # Steps of about 1.3 to 2 x, then three bisections where the deployment saturates.
    rates=(5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 400, 500, 600, 800, 1000,
           1200, 1500, 2000, 2500, 3200, 4000),
    duration=4.0,
    warmup=1.0,
    wrk_seconds=4,
    refine=3,
    chart_rate=200.0,
)  # fmt: skip


def saturated(run: LoadRun, rate: float) -> bool:
    """Whether a run offered ``rate`` answered too few of its requests, or failed too many."""
    slow = run.throughput < SATURATED * rate
    return slow or run.failed > FAILING * max(run.sent, 1)


@dataclass
class Result:
    """What one deployment gave, as its steps come in."""

    deployment: Deployment
    steps: list[Step] = field(default_factory=list)
    wrk: Wrk | None = None
    error: str = ""

    def knee(self, delay: float) -> float | None:
        """The highest rate whose p99 is under 2 x D, every lower rate's too."""
        best = None
        for step in self.steps:
            p99 = step.load.latency_ms.p99
            good = p99 is not None and p99 < 2 * delay * 1000 and not step.load.failed
            if not (good and step.load.trusted):
                break
            best = step.rate
        return best

    def saturation(self) -> float | None:
        """The most requests per second completed at any step."""
        rates = [step.load.throughput for step in self.steps]
        return max(rates) if rates else None

    def cpu_per_answer(self) -> float | None:
        """The worker's CPU milliseconds per answer, at the busiest step it carried.

        Less noisy than a rate on a shared machine: other programs take the
        worker's turns on the CPU, but not (much) its CPU per request.
        """
        carried = [s for s in self.steps if not s.saturated and s.load.throughput > 0]
        if not carried:
            return None
        busiest = max(carried, key=lambda s: s.rate)
        share = busiest.cpu_pct.worker
        if share is None:
            return None
        return round(10 * share / busiest.load.throughput, 3)

    def figures(self, delay: float) -> DeploymentFigures:
        """The deployment's part of the document."""
        deployment = self.deployment
        saturation = self.saturation()
        wrk_rate = self.wrk.requests_per_s if self.wrk else None
        return DeploymentFigures(
            name=deployment.name,
            model=deployment.model,
            config=deployment.config,
            worker_class=deployment.worker_class,
            options=list(deployment.options),
            pool=deployment.pool,
            limits=deployment.limits,
            knee=self.knee(delay),
            saturation=saturation,
            wrk=self.wrk,
            wrk_ratio=saturation / wrk_rate if saturation and wrk_rate else None,
            cpu_ms_per_answer=self.cpu_per_answer(),
            steps=list(self.steps),
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


def measured(
    generator: Generator,
    schedule: Schedule,
    roles: Mapping[str, Sequence[int]],
    *,
    others: bool = False,
) -> tuple[LoadRun, Cpu]:
    """One run of ``schedule``, and the CPU each role's processes used meanwhile.

    ``roles`` are ``Cpu``'s (``upstream``, ``worker``, ``holder``): each a share of
    the generator's run (warm-up, schedule, last answers), outside of which they
    are idle; the generator counts its own, its start excluded. ``others``: what
    the rest of the machine used meanwhile too, on a shared machine the noise.
    """
    pids = {**roles, "generator": [generator.pid]}
    before = {role: cpu_seconds(found) for role, found in pids.items()}
    machine_before = machine_busy()
    began = time.perf_counter()
    run = generator.run(schedule)
    wall = time.perf_counter() - began
    after = {role: cpu_seconds(found) for role, found in pids.items()}
    machine_after = machine_busy()
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
    return run, Cpu(generator=run.cpu_pct, **shares)


def step(
    generator: Generator, deployed: Deployed, upstream_pid: int | None, rate: float, plan: Plan
) -> Step:
    """Offer ``rate`` to a deployment; the generator's figures and every process's CPU."""
    worker = deployed.worker()
    roles = {
        "upstream": [] if upstream_pid is None else [upstream_pid],
        "worker": [] if worker is None else [worker],
    }
    schedule = Schedule(f"{deployed.url}/?delay={plan.delay:g}", rate, plan.duration,
                        warmup=plan.warmup, poisson=plan.poisson, timeout=plan.timeout)  # fmt: skip
    run, cpu = measured(generator, schedule, roles, others=True)
    return Step(load=run, cpu_pct=cpu, rate=rate, saturated=saturated(run, rate))


def wrk_connections(result: Result, plan: Plan) -> int:
    """Enough of wrk's connections to keep the deployment saturated, and not many more.

    By Little's law, C answers per second that each take D need C x D requests
    in flight; four times that keeps the service busy. Many more would only
    queue, and make wrk's few seconds end before the queue's first answers.
    """
    saturation = result.saturation() or 1.0
    return max(4, min(plan.wrk_connections, math.ceil(4 * saturation * plan.delay)))


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


def run_deployment(
    deployment: Deployment,
    plan: Plan,
    upstream: str,
    upstream_pid: int | None,
    *,
    use_wrk: bool,
    on_step: Callable[[Deployment, float], None] = lambda d, r: None,
) -> Result:
    """The ladder until the deployment saturates, bisections there, then wrk."""
    result = Result(deployment)
    with open_deployment(deployment, upstream) as deployed, Generator() as generator:

        def measure(rate: float) -> Step:
            on_step(deployment, rate)
            done = step(generator, deployed, upstream_pid, rate, plan)
            if done.saturated:  # its backlog must not fall on the next measurement
                worker = deployed.worker()
                waited = settle([] if worker is None else [worker], idle=0.1, every=0.25)
                done = dataclasses.replace(done, settled=waited)
            result.steps.append(done)
            return done

        good = 0.0
        for rate in plan.rates:
            if measure(rate).saturated:
                break
            good = rate
        else:
            rate = 0.0  # never saturated: nothing to refine
        high = rate
        for _ in range(plan.refine if high else 0):
            middle = round((good * high) ** 0.5 if good else high / 2)
            if middle in (good, high) or middle < 1:
                break
            if measure(middle).saturated:
                high = middle
            else:
                good = middle
        result.steps.sort(key=lambda s: s.rate)
        if use_wrk and plan.wrk_seconds > 0:
            on_step(deployment, 0.0)
            url = f"{deployed.url}/?delay={plan.delay:g}"
            result.wrk = wrk(url, plan.wrk_seconds, wrk_connections(result, plan))
    return result


def check_generator(plan: Plan) -> LoadRun:
    """The generator alone against a trivial server, at a rate above any deployment's.

    Its figures are trusted only if it can keep a schedule far faster than the
    services it measures: then it is not the bottleneck of their figures.
    """
    with open_trivial() as url:
        return generate(Schedule(url, plan.generator_rate, plan.generator_seconds, warmup=0.3))


def run(
    plan: Plan,
    deployments: Sequence[Deployment],
    *,
    use_wrk: bool = True,
    on_step: Callable[[Deployment, float], None] = lambda d, r: None,
) -> list[Result]:
    """Every deployment in turn, against one upstream of its own."""
    results: list[Result] = []
    with open_services() as upstream:
        for deployment in deployments:
            upstream.reset()
            results.append(
                run_deployment(
                    deployment, plan, upstream.url, upstream.pid, use_wrk=use_wrk, on_step=on_step
                )
            )
    return results


def document(
    plan: Plan,
    results: Sequence[Result],
    environment: Environment,
    seconds: float,
    generator: LoadRun | None = None,
) -> LoadDocument:
    """The experiment's document: plan, environment, the generator's check, every deployment."""
    return LoadDocument(
        plan=plan,
        seconds=round(seconds, 1),
        environment=environment,
        generator=generator,
        deployments=[result.figures(plan.delay) for result in results],
    )
