"""Latency against offered load: each deployment, rising rates, until it saturates.

For each deployment (``shared.deploy``: one model's service under gunicorn, in
its defaults or tuned), the local services play the upstream, answering after
D = 50 ms, and the generator (``shared.load.generator``, a process of its own)
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
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.contract import HTTP_TIMEOUT
from shared.deploy import Deployed, Deployment, open_deployment
from shared.services import ServicesError, open_services

#: D: seconds the upstream waits before answering every call of the service.
DELAY = 0.05
#: A step is saturated when it completes less than this share of the offered rate...
SATURATED = 0.9
#: ...or when more than this share of its requests fail or time out.
FAILING = 0.01


class LoadError(ServicesError):
    """The generator or wrk failed: the reason in one line."""


@dataclass(frozen=True)
class Plan:
    """The ladder of rates and how long each step lasts."""

    name: str
    rates: tuple[float, ...]
    duration: float  # seconds measured per step
    warmup: float  # seconds sent before each step's measure, not counted
    wrk_seconds: float  # wrk's run per deployment (0: no wrk)
    timeout: float = HTTP_TIMEOUT  # seconds a request may take, from its intended send
    wrk_connections: int = 256
    chart_rate: float = 200.0  # the rate whose percentile distribution is drawn
    delay: float = DELAY

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rates": list(self.rates),
            "duration": self.duration,
            "warmup": self.warmup,
            "wrk_seconds": self.wrk_seconds,
            "timeout": self.timeout,
            "wrk_connections": self.wrk_connections,
            "chart_rate": self.chart_rate,
            "delay": self.delay,
        }


QUICK = Plan(
    "quick",
    rates=(25, 60, 150, 400, 1000, 2500),
    duration=1.2,
    warmup=0.3,
    wrk_seconds=1.5,
    timeout=3.0,  # a saturated step drains in seconds, not in HTTP_TIMEOUT's ten
    chart_rate=150.0,
)
FULL = Plan(
    "full",
    # Steps of about 1.3 to 1.5 x: fine enough to place each knee, few enough for 15 minutes.
    rates=(5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 400, 500, 600, 800, 1000,
           1200, 1500, 2000, 2500, 3200, 4000),
    duration=5.0,
    warmup=1.0,
    wrk_seconds=5.0,
)  # fmt: skip


@dataclass
class Step:
    """One offered rate against one deployment."""

    rate: float
    load: dict[str, Any]  # the generator's document
    cpu_pct: dict[str, float | None]  # generator, upstream, worker: % of one core

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


@contextlib.contextmanager
def _child(command: list[str]) -> Iterator[subprocess.Popen[str]]:
    """A child in a session of its own (Ctrl-C stays ours), killed if we leave early."""
    child = subprocess.Popen(
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
        sys.executable, "-m", "shared.load.generator",
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


def step(deployed: Deployed, upstream_pid: int | None, rate: float, plan: Plan) -> Step:
    """Offer ``rate`` to a deployment; the generator's figures and every process's CPU."""
    worker = deployed.worker()
    before = {"upstream": process_cpu(upstream_pid), "worker": process_cpu(worker)}
    started = time.perf_counter()
    target = f"{deployed.url}/?delay={plan.delay:g}"
    load = generate(target, rate, plan.duration, warmup=plan.warmup, timeout=plan.timeout)
    wall = time.perf_counter() - started
    after = {"upstream": process_cpu(upstream_pid), "worker": process_cpu(worker)}
    cpu: dict[str, float | None] = {"generator": load["cpu_pct"]}
    # The generator's interpreter takes a moment to start, when the others are idle:
    # their CPU is shared over the time it sent and waited, as its own is.
    busy = max(load.get("seconds", wall), 1e-3)
    for role in ("upstream", "worker"):
        b, a = before[role], after[role]
        cpu[role] = None if a is None or b is None else round(100 * (a - b) / busy, 1)
    return Step(rate, load, cpu)


WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def wrk(url: str, seconds: float, connections: int) -> dict[str, Any] | None:
    """wrk's closed-loop throughput against ``url``; None when wrk is not installed."""
    program = shutil.which("wrk")
    if program is None:
        return None
    command = [program, "-t1", f"-c{connections}", f"-d{seconds:g}s",
               f"--timeout={HTTP_TIMEOUT:g}s", url]  # fmt: skip
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


def run_deployment(
    deployment: Deployment,
    plan: Plan,
    upstream: str,
    upstream_pid: int | None,
    *,
    use_wrk: bool,
    on_step: Callable[[Deployment, float], None] = lambda d, r: None,
) -> Result:
    result = Result(deployment)
    with open_deployment(deployment, upstream) as deployed:
        for rate in plan.rates:
            on_step(deployment, rate)
            result.steps.append(step(deployed, upstream_pid, rate, plan))
            if result.steps[-1].saturated:
                break
        if use_wrk and plan.wrk_seconds > 0:
            on_step(deployment, 0.0)
            result.wrk = wrk(
                f"{deployed.url}/?delay={plan.delay:g}", plan.wrk_seconds, plan.wrk_connections
            )
    return result


def run(
    plan: Plan,
    deployments: Sequence[Deployment],
    *,
    use_wrk: bool = True,
    on_step: Callable[[Deployment, float], None] = lambda d, r: None,
) -> list[Result]:
    """Every deployment in turn, against one upstream of its own."""
    results = []
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
    plan: Plan, results: Sequence[Result], environment: dict[str, Any], seconds: float
) -> dict[str, Any]:
    """The experiment as JSON: plan, environment, every deployment's steps."""
    return {
        "experiment": "load",
        "plan": plan.to_json(),
        "seconds": round(seconds, 1),
        "environment": environment,
        "deployments": [result.to_json(plan.delay) for result in results],
    }
