"""The figures of "What hurts a service", typed: the file of ``hurts --json``.

A figure is a generator's run with the CPU of every process that took part
(``shared.measure.load.document.Measured``); each experiment adds what it varied:
C for the CPU in the handler, the call for the blocking call, the idle
connections held for the last. ``HurtsDocument`` holds the experiments that
ran; ``shared.documents`` writes it as JSON and reads it back, checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from shared.documents import Environment, Format
from shared.measure.load.document import DELAY, Layout, Measured

#: The idle experiment's two configurations: the limits as shipped, and raised.
IDLE_DEFAULTS, IDLE_RAISED = "defaults", "raised"


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
    # At C = 20 a core allows about 45 a second: a step at 50 queues only 5 a second
    # more than it serves, too few to pass 1 s within a step, so the ladder goes on to
    # nearly twice that, where a core of its own still shows where it passes.
    ladders: tuple[tuple[float, tuple[float, ...]], ...] = (
        (0, (200, 400, 800, 1600)),
        (1, (150, 300, 600, 1000)),
        (5, (25, 50, 100, 150, 200)),
        (20, (10, 20, 30, 40, 50, 60, 80)),
    )
    ladder_seconds: float = 3.0
    two_workers: tuple[float, ...] = (20,)  # the Cs searched again with two worker processes
    block_ms: float = 200.0  # twice both detectors' threshold
    block_every: int = 200  # 0.5% of requests: the tail they cause is the others'
    block_rate: float = 100.0  # so one call every 2 s: a tenth of the time blocked
    detector_seconds: float = 2.0
    detector_every: int = 10
    detector_rate: float = 20.0
    idle_counts: tuple[int, ...] = (1000, 5000, 10000)
    idle_configs: tuple[str, ...] = (IDLE_DEFAULTS, IDLE_RAISED)
    idle_rate: float = 20.0
    idle_seconds: float = 5.0
    timeout: float = 3.0  # a request given up on after this (an overloaded step drains fast)
    delay: float = DELAY  # D, the upstream's delay, as in "As a service"
    # C that every request of the blocking and idle experiments spends too (``--cpu``);
    # the CPU experiment's requests spend their own ``cpu_ms``.
    spend_ms: float = 0.0

    def ladder(self, cpu_ms: float) -> tuple[float, ...]:
        return dict(self.ladders).get(cpu_ms, ())


@dataclass(frozen=True, kw_only=True)
class Figure(Measured):
    """A generator's run at a fixed rate, once the worker was idle."""

    settled_seconds: float | None = None  # waited for the worker to be idle before it


# -- 1. CPU in the handler -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Fixed(Figure):
    """A figure at the plan's fixed rate, each request spending ``cpu_ms`` of CPU."""

    cpu_ms: float


@dataclass(frozen=True, kw_only=True)
class Search:
    """Rising rates at one C until the p99 passed the tail's limit, every request
    counted (a failure or a timeout at the timeout: a step is not judged by its
    survivors)."""

    cpu_ms: float
    workers: int
    passes_at: float | None  # the first rate past the limit; None: none of them
    steps: list[Figure]


@dataclass(frozen=True, kw_only=True)
class CpuModel:
    """One model's part of the CPU experiment."""

    model: str
    deployment: str
    limits: str
    fixed: list[Fixed]
    searches: list[Search]
    # What the plan asked for that this run left out, each with why (two workers
    # without two CPUs of their own, say).
    skipped: list[str] = field(default_factory=list)


# -- 2. A blocking call -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Variant(Figure):
    """A figure of the blocking call's experiment: ``none``, ``blocking`` or ``fixed``."""

    variant: str


@dataclass(frozen=True, kw_only=True)
class Report:
    """What one detector said in a burst of requests."""

    detector: str  # "asyncio debug mode", "gevent monitor thread"
    reports: int
    about_the_call: int  # the reports that point at the blocking call
    words: str  # one report, in its own words (paths and addresses taken out)
    where: str  # the service's line it points at, when it says


@dataclass(frozen=True, kw_only=True)
class Said:
    """What the detectors said of a burst of blocking calls, then of offloaded ones."""

    blocking: list[Report]
    fixed: list[Report]

    def calls(self) -> list[tuple[str, list[Report]]]:
        """Each burst, by the name of its call."""
        return [("blocking", self.blocking), ("fixed", self.fixed)]


@dataclass(frozen=True, kw_only=True)
class BlockingModel:
    """One model's part of the blocking call's experiment."""

    model: str
    deployment: str
    figures: list[Variant]
    detectors: Said


# -- 3. Idle connections ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Holding:
    """The holder's first line: the idle connections opened and served once."""

    asked: int
    answered: int
    open: int
    outcomes: dict[str, int]  # connections by what became of them: "400", "no answer", ...
    seconds: float
    rss_kb: int | None  # the holder's own memory


@dataclass(frozen=True, kw_only=True)
class Released:
    """The holder's last line, once the live requests are done."""

    still_open: int
    closed_by_server: int  # while they were held idle
    cpu_seconds: float  # the holder's own, in all


@dataclass(frozen=True)
class Rss:
    """The worker's resident memory in KiB: before the idle connections, and holding them."""

    before: int
    held: int


@dataclass(frozen=True)
class Pids:
    """The processes that took part (all gone once the deployment is stopped)."""

    master: int
    workers: list[int]
    holder: int


@dataclass(frozen=True, kw_only=True)
class Idle:
    """A fresh deployment holding ``connections`` idle ones, and its live requests."""

    model: str
    config: str  # IDLE_DEFAULTS or IDLE_RAISED
    limits: str
    connections: int
    held: Holding
    released: Released
    opening_seconds: float
    opening_worker_cpu_seconds: float | None
    worker_rss_kb: Rss
    worker_files: int  # the worker's open files while it held them
    kb_per_connection: float | None  # None: the server had closed most of them
    worker_restarted: bool
    live: Figure
    answers: bool
    pids: Pids


@dataclass(frozen=True)
class Part:
    """One of several runs a file was put together from (one per experiment, say)."""

    seconds: float
    load_after: float  # the machine's load average when it ended


@dataclass(frozen=True, kw_only=True)
class HurtsDocument:
    """The file of ``concurrency-compare hurts --json``: the experiments that ran."""

    FORMAT: ClassVar[Format] = Format("hurts", 1)

    plan: Plan
    seconds: float
    environment: Environment
    cpu: list[CpuModel] | None = None
    blocking: list[BlockingModel] | None = None
    idle: list[Idle] | None = None
    parts: dict[str, Part] = field(default_factory=dict)  # by experiment, when put together
    layout: Layout | None = None  # the CPUs of the workers and of the rest; None: not pinned

    def figures(self) -> list[Figure]:
        """Every generator's run of the document, each experiment's in turn."""
        found: list[Figure] = []
        for cpu in self.cpu or []:
            found += cpu.fixed
            found += [step for search in cpu.searches for step in search.steps]
        for blocking in self.blocking or []:
            found += blocking.figures
        found += [row.live for row in self.idle or []]
        return found

    @property
    def trusted(self) -> bool:
        """Every figure is evidence: the generator kept its schedule, opened every
        connection it needed (``LoadRun.trusted``)."""
        return all(figure.load.trusted for figure in self.figures())
