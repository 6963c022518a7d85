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

import contextlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.contract import HTTP_TIMEOUT
from shared.errors import EnvironmentFailure
from shared.harness import processes
from shared.harness.pipes import last_line, line_within
from shared.harness.services import open_services
from shared.measure.deploy import Deployed, Deployment, open_deployment
from shared.measure.load.trivial import open_trivial

#: D: seconds the upstream waits before answering every call of the service.
DELAY = 0.05
#: A step is saturated when it completes less than this share of the offered rate...
SATURATED = 0.9
#: ...or when more than this share of its requests fail or time out.
FAILING = 0.01


class LoadError(EnvironmentFailure):
    """The generator or wrk failed: the reason in one line (the CLI's exit status 3)."""


@dataclass(frozen=True)
class Plan:
    """The ladder of rates and how long each step lasts."""

    name: str
    rates: tuple[float, ...]
    duration: float  # seconds measured per step
    warmup: float  # seconds sent before each step's measure, not counted
    wrk_seconds: int  # wrk's run per deployment, whole seconds as wrk takes them (0: no wrk)
    refine: int = 0  # steps between the last good rate and the first saturated (bisection)
    timeout: float = HTTP_TIMEOUT  # seconds a request may take, from its intended send
    wrk_connections: int = 1000  # the most wrk may open (see wrk_connections)
    chart_rate: float = 200.0  # the rate whose percentile distribution is drawn
    generator_rate: float = 5000.0  # the rate the generator must keep alone (its own check)
    generator_seconds: float = 2.0
    delay: float = DELAY
    poisson: bool = False  # Poisson arrivals instead of a constant rate

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rates": list(self.rates),
            "duration": self.duration,
            "warmup": self.warmup,
            "wrk_seconds": self.wrk_seconds,
            "refine": self.refine,
            "timeout": self.timeout,
            "wrk_connections": self.wrk_connections,
            "chart_rate": self.chart_rate,
            "generator_rate": self.generator_rate,
            "generator_seconds": self.generator_seconds,
            "delay": self.delay,
            "poisson": self.poisson,
        }


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


@dataclass
class Step:
    """One offered rate against one deployment."""

    rate: float
    load: dict[str, Any]  # the generator's document
    cpu_pct: dict[str, float | None]  # generator, upstream, worker: % of one core
    settled: float = 0.0  # seconds the worker took to work off its backlog after the step

    @property
    def failed(self) -> int:
        return int(sum(self.load["errors"].values()) + self.load["timeouts"])

    @property
    def saturated(self) -> bool:
        sent = max(int(self.load["sent"]), 1)
        slow = float(self.load["throughput"]) < SATURATED * self.rate
        return slow or self.failed > FAILING * sent

    def p99(self) -> float | None:
        value = self.load["latency_ms"].get("p99")
        return None if value is None else float(value)

    def to_json(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "saturated": self.saturated,
            **self.load,
            "cpu_pct": self.cpu_pct,  # every process's, the generator's own among them
            "settled": self.settled,
        }


@dataclass
class Result:
    """What one deployment gave."""

    deployment: Deployment
    steps: list[Step] = field(default_factory=list)
    wrk: dict[str, Any] | None = None
    error: str = ""

    def knee(self, delay: float) -> float | None:
        """The highest rate whose p99 is under 2 x D, every lower rate's too."""
        best = None
        for step in self.steps:
            p99 = step.p99()
            good = p99 is not None and p99 < 2 * delay * 1000 and not step.failed
            if not (good and step.load["trusted"]):
                break
            best = step.rate
        return best

    def saturation(self) -> float | None:
        """The most requests per second completed at any step."""
        rates = [step.load["throughput"] for step in self.steps]
        return max(rates) if rates else None

    def cpu_per_answer(self) -> float | None:
        """The worker's CPU milliseconds per answer, at the busiest step it carried.

        Less noisy than a rate on a shared machine: other programs take the
        worker's turns on the CPU, but not (much) its CPU per request.
        """
        carried = [s for s in self.steps if not s.saturated and s.load["throughput"] > 0]
        if not carried:
            return None
        busiest = max(carried, key=lambda s: s.rate)
        share = busiest.cpu_pct.get("worker")
        if share is None:
            return None
        return round(10 * share / float(busiest.load["throughput"]), 3)

    def to_json(self, delay: float) -> dict[str, Any]:
        deployment = self.deployment
        saturation = self.saturation()
        wrk_rate = self.wrk.get("requests_per_s") if self.wrk else None
        return {
            "name": deployment.name,
            "model": deployment.model,
            "config": deployment.config,
            "worker_class": deployment.worker_class,
            "options": list(deployment.options),
            "pool": deployment.pool,
            "limits": deployment.limits,
            "knee": self.knee(delay),
            "saturation": saturation,
            "wrk": self.wrk,
            "wrk_ratio": saturation / wrk_rate if saturation and wrk_rate else None,
            "cpu_ms_per_answer": self.cpu_per_answer(),
            "steps": [step.to_json() for step in self.steps],
            "error": self.error,
        }


# -- processes ------------------------------------------------------------------


def process_cpu(pid: int | None) -> float | None:
    """Seconds of CPU (user + system) that process ``pid`` has used, from ``/proc``."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float | None:
    """Seconds of CPU the whole machine has spent busy since it started (``/proc/stat``)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(n) for n in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle, iowait


class Generator:
    """The generator in a process of its own, kept for many steps (``--steps``).

    One interpreter for the whole experiment: a step costs its schedule, not an
    interpreter's start, and the generator is warm (imports, caches) from the
    second step on.
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

    def run(self, url: str, rate: float, duration: float, *, warmup: float,
            timeout: float, poisson: bool = False) -> dict[str, Any]:  # fmt: skip
        """One run of the schedule; the generator's document."""
        child = self._child
        assert child.stdin is not None and child.stdout is not None
        arguments = ["--target", url, "--rate", f"{rate:g}", "--duration", f"{duration:g}",
                     "--warmup", f"{warmup:g}", "--timeout", f"{timeout:g}"]  # fmt: skip
        if poisson:
            arguments.append("--poisson")
        try:
            child.stdin.write(json.dumps(arguments) + "\n")
            child.stdin.flush()
        except OSError:
            pass  # it has ended: the read below says why
        line = line_within(child.stdout, warmup + duration + timeout + 30)
        if not line:
            self._log.seek(0)
            last = last_line(self._log.read()) or "no answer"
            raise LoadError(f"the load generator failed: {last}")
        document: dict[str, Any] = json.loads(line)
        return document

    def close(self) -> None:
        processes.DEFAULT.finish(self._child, grace=5)
        self._log.close()

    def __enter__(self) -> Generator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def _child(command: list[str]) -> Iterator[subprocess.Popen[str]]:
    """A child in a session of its own (Ctrl-C stays ours), killed if we leave early."""
    child = processes.open_process(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
        child.communicate()


def generate(
    url: str,
    rate: float,
    duration: float,
    *,
    warmup: float = 0.0,
    poisson: bool = False,
    connections: int = 10_000,
    timeout: float = HTTP_TIMEOUT,
) -> dict[str, Any]:
    """Run the generator in a process of its own; its JSON document."""
    command = [
        sys.executable, "-m", "shared.measure.load.generator",
        "--target", url, "--rate", f"{rate:g}", "--duration", f"{duration:g}",
        "--warmup", f"{warmup:g}", "--connections", str(connections), "--timeout", f"{timeout:g}",
    ]  # fmt: skip
    if poisson:
        command.append("--poisson")
    with _child(command) as child:
        stdout, stderr = child.communicate(timeout=warmup + duration + timeout + 30)
    if child.returncode != 0 or not stdout.strip():
        lines = stderr.strip().splitlines()
        raise LoadError(f"the load generator failed: {lines[-1] if lines else 'no output'}")
    document: dict[str, Any] = json.loads(stdout)
    return document


def step(
    generator: Generator, deployed: Deployed, upstream_pid: int | None, rate: float, plan: Plan
) -> Step:
    """Offer ``rate`` to a deployment; the generator's figures and every process's CPU."""
    pids = {"generator": generator.pid, "upstream": upstream_pid, "worker": deployed.worker()}
    before = {role: process_cpu(pid) for role, pid in pids.items()}
    machine_before = machine_busy()
    target = f"{deployed.url}/?delay={plan.delay:g}"
    began = time.perf_counter()
    load = generator.run(
        target, rate, plan.duration, warmup=plan.warmup, timeout=plan.timeout, poisson=plan.poisson
    )
    wall = time.perf_counter() - began
    after = {role: process_cpu(pid) for role, pid in pids.items()}
    machine_after = machine_busy()
    used: dict[str, float | None] = {}
    for role in pids:
        b, a = before[role], after[role]
        used[role] = None if a is None or b is None else a - b
    # Shares of the generator's run (warm-up, schedule, last answers): the upstream and
    # the worker are idle outside it; the generator counts its own, start-up excluded.
    busy = max(float(load["seconds"]), 1e-3)
    cpu: dict[str, float | None] = {"generator": float(load["cpu_pct"])}
    for role in ("upstream", "worker"):
        seconds = used[role]
        cpu[role] = None if seconds is None else round(100 * seconds / busy, 1)
    # What the rest of the machine used meanwhile: on a shared machine, the noise.
    if machine_after is not None and machine_before is not None:
        ours = sum(v for v in used.values() if v is not None)
        others = (machine_after - machine_before - ours) / wall
        cpu["others"] = round(max(0.0, 100 * others), 1)
    return Step(rate, load, cpu)


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


def wrk(url: str, seconds: int, connections: int) -> dict[str, Any] | None:
    """wrk's closed-loop throughput against ``url``; None when wrk is not installed."""
    program = shutil.which("wrk")
    if program is None:
        return None
    command = [program, "-t1", f"-c{connections}", f"-d{seconds}s",
               f"--timeout={round(HTTP_TIMEOUT)}s", url]  # fmt: skip
    with _child(command) as child:
        stdout, stderr = child.communicate(timeout=seconds + HTTP_TIMEOUT + 30)
    found = WRK_RATE.search(stdout)
    if child.returncode != 0 or not found:
        lines = (stderr or stdout).strip().splitlines()
        raise LoadError(f"wrk failed: {lines[-1] if lines else 'no output'}")
    errors = WRK_ERRORS.search(stdout)
    non2xx = WRK_NON2XX.search(stdout)
    return {
        "requests_per_s": float(found.group(1)),
        "connections": connections,
        "seconds": seconds,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


# -- the experiment ---------------------------------------------------------------


def settle(deployed: Deployed, *, idle: float = 0.1, limit: float = 20.0) -> float:
    """Wait until the worker is idle again; the seconds it took.

    Beyond saturation a worker is left with a backlog of requests whose
    clients have gone (gevent and threads finish them; nothing cancels them):
    the next measurement must not start until it has worked through them.
    Idle: under ``idle`` of a core for a quarter of a second.
    """
    began = time.perf_counter()
    worker = deployed.worker()
    while time.perf_counter() - began < limit:
        before = process_cpu(worker)
        time.sleep(0.25)
        after = process_cpu(worker)
        if before is None or after is None or (after - before) / 0.25 < idle:
            break
    return time.perf_counter() - began


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
            result.steps.append(done)
            if done.saturated:  # its backlog must not fall on the next measurement
                done.settled = round(settle(deployed), 2)
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


def check_generator(plan: Plan) -> dict[str, Any]:
    """The generator alone against a trivial server, at a rate above any deployment's.

    Its figures are trusted only if it can keep a schedule far faster than the
    services it measures: then it is not the bottleneck of their figures.
    """
    with open_trivial() as url:
        return generate(url, plan.generator_rate, plan.generator_seconds, warmup=0.3)


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
    environment: dict[str, Any],
    seconds: float,
    generator: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The experiment as JSON: plan, environment, the generator's check, every deployment."""
    return {
        "experiment": "load",
        "plan": plan.to_json(),
        "seconds": round(seconds, 1),
        "environment": environment,
        "generator": generator,
        "deployments": [result.to_json(plan.delay) for result in results],
    }
