"""The figures of the load generator and of the load experiment, typed.

* ``LoadRun``: what the generator (``shared.measure.load.generator``) measured in
  one run of its schedule. It is the line the generator process prints for its
  parent, the body of the ``load --target`` file (``TargetDocument``), and, with
  the CPU of every process that took part (``Measured``), each step of the
  experiment here and each figure of "What hurts a service". Its latencies come
  twice: the successes alone (``latency_ms``), and every request that counts with
  each failure or timeout at the timeout (``latency_all_ms``), the wait of a user
  who got nothing; ``LoadRun.at_timeout`` tells a figure that is the timeout
  (shown "≥ T"). ``Connections`` records the connection policy and the
  connections that could not be opened.
* ``LoadDocument``: the file of ``load --json``: the plan, the environment, the
  generator's check of itself, every deployment's steps and figures.

``shared.documents`` writes them as JSON and reads them back, checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

    def of(self, name: str) -> float | None:
        """The figure of that name ("p99", "p99.9", "max"), None where none was timed."""
        return self.values()[self.NAMES.index(name)]


@dataclass(frozen=True)
class Connections:
    """The connections the generator opened, the most open at once, the requests that
    waited for one, under either policy:

    * ``pool`` None (the default): a connection per waiting request, up to a cap;
      a request waits (``capped``) only once the cap is reached, and then the run
      could not open what it needed.
    * ``pool`` N (``--connections N``, as wrk2): N connections opened before the
      schedule starts; a request waits for a free one (``capped`` counts them),
      its latency still counted from its intended send time.

    ``failed``: connections that could not be opened (refused, reset, out of
    descriptors), each failing the request that asked for it. ``connect_ms``: how
    long opening one took; a second means the kernel dropped the SYN (a full
    listen backlog) and the client sent it again.
    """

    opened: int
    peak: int
    capped: int
    pool: int | None = None
    failed: int = 0
    connect_ms: Percentiles = Percentiles()


@dataclass(frozen=True, kw_only=True)
class LoadRun:
    """One run of the generator's schedule: what it sent, what came back, and when."""

    target: str | None = None  # the URL; None where a figure did not keep it
    rate: float  # offered, requests per second
    duration: float  # seconds measured, after the warm-up
    timeout_ms: float = 0.0  # a request's time limit from its intended send; 0: not recorded
    poisson: bool
    sent: int  # the requests that count: those intended after the warm-up
    ok: int
    errors: dict[str, int]  # failed requests by what failed ("HTTP 500", "ConnectionResetError")
    timeouts: int
    # Answers (ok) to the requests that count, per second of the measured window: answers
    # to warm-up requests are left out, so it never exceeds the offered rate; in a
    # steady state the offered rate, beyond saturation what the service carried of it.
    throughput: float
    latency_ms: Percentiles  # the successes, from each request's intended send time
    distribution: list[tuple[float, float]]  # (percentile, ms): latency_ms's whole ladder
    # Every request that counts, each failure and timeout at ``timeout_ms``: what the
    # users waited, whether or not they got an answer (``at_timeout`` tells those figures).
    latency_all_ms: Percentiles = Percentiles()
    distribution_all: list[tuple[float, float]] = field(default_factory=list)
    lag_ms: Percentiles  # how late the generator sent each request against its schedule
    behind: bool  # its lag p99 passed the generator's LAG_LIMIT: information, see trusted
    # Its latencies are evidence: its lag is no material share of them, and it opened the
    # connections it needed (``notes`` say why not).
    trusted: bool
    connections: Connections
    seconds: float  # the whole run: warm-up, schedule, the last answers
    cpu_seconds: float  # the generator's own
    cpu_pct: float  # the generator's own, % of one core over ``seconds``
    notes: list[str]

    @property
    def failed(self) -> int:
        """Requests that failed or timed out."""
        return sum(self.errors.values()) + self.timeouts

    def at_timeout(self, ms: float | None) -> bool:
        """Whether a figure of ``latency_all_ms`` or ``distribution_all`` is the timeout:
        the requests there got nothing, so a table shows it as "≥ T"."""
        return ms is not None and self.timeout_ms > 0 and ms >= self.timeout_ms


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
