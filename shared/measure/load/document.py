"""The figures of the load generator and of the load experiment, typed.

* ``LoadRun``: what the generator (``shared.measure.load.generator``) measured in
  one run of its schedule. It is the line the generator process prints for its
  parent, the body of the ``load --target`` file (``TargetDocument``), and, with
  the CPU of every process that took part (``Measured``), each step of the
  experiment here and each figure of "What hurts a service".
* ``LoadDocument``: the file of ``load --json``: the plan, the environment, the
  generator's check of itself, every deployment's steps and figures.

``shared.documents`` writes them as JSON and reads them back, checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared.contract import HTTP_TIMEOUT
from shared.documents import Environment, Format

#: D: seconds the upstream waits before answering every call of the service.
DELAY = 0.05


@dataclass(frozen=True, kw_only=True)
class Percentiles:
    """A run's times at the usual percentiles and their max, in ms; None where none was timed."""

    NAMES: ClassVar[tuple[str, ...]] = ("p50", "p90", "p99", "p99.9", "max")

    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    p99_9: float | None = None
    max: float | None = None

    def values(self) -> tuple[float | None, ...]:
        """The figures in ``NAMES``'s order: p50, p90, p99, p99.9, max."""
        return (self.p50, self.p90, self.p99, self.p99_9, self.max)

    def named(self) -> list[tuple[str, float]]:
        """The figures there are, each with its name as the tables write it."""
        return [(n, v) for n, v in zip(self.NAMES, self.values(), strict=True) if v is not None]


@dataclass(frozen=True)
class Connections:
    """The connections the generator opened, the most open at once, the requests that
    waited for one (its cap reached)."""

    opened: int
    peak: int
    capped: int


@dataclass(frozen=True, kw_only=True)
class LoadRun:
    """One run of the generator's schedule: what it sent, what came back, and when."""

    target: str | None = None  # the URL; None where a figure did not keep it
    rate: float  # offered, requests per second
    duration: float  # seconds measured, after the warm-up
    poisson: bool
    sent: int  # the requests that count: those intended after the warm-up
    ok: int
    errors: dict[str, int]  # failed requests by what failed ("HTTP 500", "ConnectionResetError")
    timeouts: int
    # Answers per second while the schedule ran, whichever request they answer: in a
    # steady state the offered rate, beyond saturation what the service can do.
    throughput: float
    latency_ms: Percentiles  # from each request's intended send time
    distribution: list[tuple[float, float]]  # (percentile, ms): the latency's whole ladder
    lag_ms: Percentiles  # how late the generator sent each request against its schedule
    behind: bool  # it could not keep its schedule...
    trusted: bool  # ...so its latencies include its own delay
    connections: Connections
    seconds: float  # the whole run: warm-up, schedule, the last answers
    cpu_seconds: float  # the generator's own
    cpu_pct: float  # the generator's own, % of one core over ``seconds``
    notes: list[str]

    @property
    def failed(self) -> int:
        """Requests that failed or timed out."""
        return sum(self.errors.values()) + self.timeouts


@dataclass(frozen=True, kw_only=True)
class Cpu:
    """% of one core each process used over a generator's run; None: not measured or gone."""

    generator: float | None = None  # the generator's own count
    upstream: float | None = None  # the local services, playing the service's upstream
    worker: float | None = None  # the service's worker process(es), together
    others: float | None = None  # every other program on the machine (the experiment here)
    holder: float | None = None  # the holder of idle connections (shared.measure.hurts)


@dataclass(frozen=True, kw_only=True)
class Measured:
    """A generator's run against a service, and the CPU of each process meanwhile."""

    load: LoadRun
    cpu_pct: Cpu


@dataclass(frozen=True, kw_only=True)
class Step(Measured):
    """One offered rate against one deployment."""

    rate: float
    saturated: bool  # it answered under 90% of what was offered, or over 1% failed
    settled: float | None = None  # seconds the worker then took to work off its backlog


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
    wrk_connections: int = 1000  # the most wrk may open (experiment.wrk_connections)
    chart_rate: float = 200.0  # the rate whose percentile distribution is drawn
    generator_rate: float = 5000.0  # the rate the generator must keep alone (its own check)
    generator_seconds: float = 2.0
    delay: float = DELAY
    poisson: bool = False  # Poisson arrivals instead of a constant rate


@dataclass(frozen=True)
class Wrk:
    """wrk's closed-loop run against a deployment."""

    requests_per_s: float
    connections: int
    seconds: int
    socket_errors: int
    non_2xx: int


@dataclass(frozen=True, kw_only=True)
class DeploymentFigures:
    """What one deployment gave: its steps, and the figures drawn from them."""

    name: str
    model: str
    config: str
    worker_class: str
    options: list[str]
    pool: int | None
    limits: str
    knee: float | None  # the highest rate whose p99 stays under 2 x D, every lower one's too
    saturation: float | None  # the most answers per second at any step
    wrk: Wrk | None
    wrk_ratio: float | None  # saturation / wrk's throughput
    cpu_ms_per_answer: float | None = None  # the worker's, at the busiest rate it carried
    steps: list[Step]
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class LoadDocument:
    """The file of ``concurrency-compare load --json``."""

    FORMAT: ClassVar[Format] = Format("load", 1)

    plan: Plan
    seconds: float  # the whole experiment
    environment: Environment
    generator: LoadRun | None  # the generator alone against a trivial server: its own check
    deployments: list[DeploymentFigures]


@dataclass(frozen=True, kw_only=True)
class TargetDocument:
    """The file of ``concurrency-compare load --target URL --json``: one run."""

    FORMAT: ClassVar[Format] = Format("load-target", 1)

    environment: Environment
    load: LoadRun
