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
  generator's check of itself, every deployment's steps and figures, and the
  steps at a half and four fifths of its saturation (``SpectrumStep``) whose
  whole latency distribution the spectrum chart draws.

``shared.documents`` writes them as JSON and reads them back, checked.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    # Answers (ok) to the requests that count, per second of the span they came in over,
    # at least the window: the offered rate when the service keeps up, its own pace when
    # it cannot (answers to warm-up requests left out); never more than offered.
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
    # Everything but the worker on the worker's own core(s), when it has them
    # (``Layout``): what took the worker's turns on its CPU despite the pinning.
    core_others: float | None = None


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
    repeat: int = 1  # which of the plan's repeats it belongs to, from 1


@dataclass(frozen=True, kw_only=True)
class SpectrumStep(Step):
    """A step at a share of the deployment's saturation (its median over the repeats),
    measured once after the last repeat for its whole latency distribution: where a
    service is comfortable (a half) and where it is busy but keeping up (four fifths).
    Its ``repeat`` is the last one's."""

    share: float  # of the saturation: 0.5, 0.8


@dataclass(frozen=True)
class Plan:
    """The ladder of rates and how long each step lasts."""

    name: str
    rates: tuple[float, ...]
    duration: float  # seconds measured per step
    warmup: float  # seconds sent before each step's measure, not counted
    wrk_seconds: int  # wrk's run per deployment, whole seconds as wrk takes them (0: no wrk)
    wrk_once: bool = False  # wrk in the first repeat only (the quick run), else in each
    refine: int = 0  # steps between the last good rate and the first saturated (bisection)
    timeout: float = HTTP_TIMEOUT  # seconds a request may take, from its intended send
    wrk_connections: int = 1000  # the most wrk may open (experiment.wrk_connections)
    chart_rate: float = 200.0  # the rate whose percentile distribution is drawn
    generator_rate: float = 5000.0  # the rate the generator must keep alone (its own check)
    generator_seconds: float = 2.0
    delay: float = DELAY
    poisson: bool = False  # Poisson arrivals instead of a constant rate
    repeats: int = 1  # times each deployment's ladder runs, deployments interleaved
    seed: int = 1  # of the deployments' order in each repeat
    cpu_ms: float = 0.0  # C: milliseconds of CPU the handler spends per request
    connections: int | None = None  # the generator's fixed pool (None: one per waiting request)
    k6: bool = True  # k6 beside the generator at one rate below each deployment's knee
    # Shares of each deployment's saturation offered once more after its repeats, for
    # the latency spectrum there (``SpectrumStep``); none in files made before them.
    spectrum: tuple[float, ...] = ()
    spectrum_seconds: float = 0.0  # seconds measured per spectrum step; 0: ``duration``

    @property
    def budget_ms(self) -> float:
        """The knee's bound on p99: twice what a request costs unqueued (D + C)."""
        return 2 * (self.delay * 1000 + self.cpu_ms)


@dataclass(frozen=True)
class Wrk:
    """wrk's closed-loop run against a deployment."""

    requests_per_s: float
    connections: int
    seconds: int
    socket_errors: int
    non_2xx: int


@dataclass(frozen=True)
class Spread:
    """A figure over the repeats: its median and its range, and each repeat's value.

    A repeat that gave no figure (no rate under the knee's bound, say) is None in
    ``values`` and left out of the median and the range.
    """

    median: float | None
    low: float | None
    high: float | None
    values: list[float | None]

    @classmethod
    def of(cls, values: Sequence[float | None]) -> Spread:
        found = sorted(v for v in values if v is not None)
        if not found:
            return cls(None, None, None, list(values))
        middle = len(found) // 2
        median = found[middle] if len(found) % 2 else (found[middle - 1] + found[middle]) / 2
        return cls(median, found[0], found[-1], list(values))

    @property
    def relative(self) -> float | None:
        """The range as a share of the median: 0.1 for a figure within ±5 %."""
        if self.median is None or self.low is None or self.high is None or not self.median:
            return None
        return (self.high - self.low) / self.median


@dataclass(frozen=True, kw_only=True)
class K6Run:
    """One k6 run of a constant rate against a URL (``shared.measure.load.k6``): an
    independent open-loop tool beside the generator.

    k6 times a request from when it actually sent it, not from its intended time;
    an iteration it could not start on time is dropped (``dropped``), not delayed.
    """

    rate: float  # offered, requests per second
    duration: float  # seconds measured, after the warm-up
    requests: int  # measured iterations k6 completed, one request each, failed ones too
    failed: int  # of those, the ones k6 counts in http_req_failed (no answer, or not 2xx/3xx)
    dropped: int  # iterations k6 could not start on time (no free VU), warm-up included
    latency_ms: Percentiles  # http_req_duration of the measured requests, from the actual send
    version: str  # k6's, "1.1.0"
    vus_max: int  # the VUs allocated: the most requests in flight at once
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class CrossCheck:
    """k6 and the generator at one rate below the knee, against the same deployment."""

    rate: float
    generator: Percentiles  # the generator's step at that rate, the same repeat
    k6: K6Run | None  # None: k6 is not installed


@dataclass(frozen=True)
class Layout:
    """Which CPUs the service's worker(s) ran on, and which the rest: the generator,
    the upstream, wrk, k6 and this program."""

    worker: list[int]
    rest: list[int]


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
    server: str = "gunicorn"  # what serves it: gunicorn, or the model alone ("bare")
    # Over the repeats: the highest rate whose p99 stays under the plan's budget, every
    # lower one's too; the most answers per second at any step; the worker's CPU per
    # answer at the busiest rate it carried.
    knee: Spread
    saturation: Spread
    cpu_ms_per_answer: Spread
    reached: bool  # every repeat's ladder reached saturation (else saturation is a floor)
    wrk: list[Wrk]  # one per repeat
    wrk_ratio: float | None  # median saturation / median wrk throughput
    cross_check: CrossCheck | None = None
    steps: list[Step]  # every repeat's, by rate then repeat
    spectrum: list[SpectrumStep] = field(default_factory=list)  # by share
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class LoadDocument:
    """The file of ``concurrency-compare load --json``."""

    FORMAT: ClassVar[Format] = Format("load", 2)

    plan: Plan
    seconds: float  # the whole experiment
    environment: Environment
    layout: Layout | None  # None: nothing pinned (a machine of one CPU, or a test)
    order: list[list[str]]  # the deployments' order in each repeat
    generator: LoadRun | None  # the generator alone against a trivial server: its own check
    deployments: list[DeploymentFigures]

    @property
    def trusted(self) -> bool:
        """Every figure is evidence: the generator passed its own check, kept every step's
        schedule and opened every connection it needed."""
        checked = self.generator is not None and self.generator.trusted
        return checked and all(s.load.trusted for s in self.all_steps())

    def all_steps(self) -> list[Step]:
        """Every deployment's steps, its ladders' and its spectrum's."""
        return [s for d in self.deployments for s in (*d.steps, *d.spectrum)]


@dataclass(frozen=True, kw_only=True)
class TargetDocument:
    """The file of ``concurrency-compare load --target URL --json``: one run."""

    FORMAT: ClassVar[Format] = Format("load-target", 1)

    environment: Environment
    load: LoadRun
