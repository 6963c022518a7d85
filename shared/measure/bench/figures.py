"""A bench's figures: every measurement, grouped into cells, and the document they make.

A *measure* is what one job gave (one interpreter of one model running one
workload once); a *cell* is every measure of one (workload, model, variant,
size), summarised as a ``Result``: each metric's ``median (min-max)``, its
counts, runs, load and notes; the *bench* is every cell in the order of the
plan. ``document()`` turns it into a ``BenchDocument``, the typed JSON of
``bench --json`` (``shared.documents`` writes and reads it) that everything
else renders: the terminal tables, the README's tables and charts, the
report's page (``shared.present.bench``, ``shared.present.charts``,
``shared.present.report``).

The file keeps both the summaries and every job's raw values: the tables read
the first, the second says how they were made.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from shared.documents import Environment, Format
from shared.measure.bench.child import VARIANTS, WORKLOADS
from shared.measure.bench.plan import Job, Plan, Skip
from shared.measure.bench.probes import Machine, machine
from shared.tables import Spread

#: How much of a job's stderr the document keeps: the end of a traceback.
STDERR_KEPT = 2000


@dataclass
class Measure:
    """What one job gave: values per metric (pyperf gives several), counts, notes."""

    job: Job
    values: dict[str, list[float]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    loads: list[float] = field(default_factory=list)  # 1-minute load averages while it ran
    elsewhere: float | None = None  # cores kept busy by other programs while it ran
    notes: list[str] = field(default_factory=list)
    error: str = ""  # why the job gave no figures
    stderr: str = ""  # its last STDERR_KEPT characters
    seconds: float = 0.0  # the job's wall time, interpreter start and exit included


@dataclass(frozen=True, kw_only=True)
class Result:
    """One cell summarised: what the tables, the charts and the README show."""

    model: str
    variant: str  # fanout: tuned or defaults; "" otherwise
    size: int  # tasks (spawn, memory), round trips (switch), requests (fanout), workers
    figures: dict[str, Spread]  # metric -> median (min-max) over every value of every run
    counts: dict[str, int]  # summed over the runs: parked, completed, errors, error:<kind>...
    runs: int  # runs that gave figures
    failed: int  # runs that gave none (their error is in the notes)
    skipped: bool  # not run: a limit said so (the notes say which)
    load: float | None  # median 1-minute load average while it ran
    busy_elsewhere: float | None  # median cores that other programs kept busy meanwhile
    notes: str  # why figures are missing or unusual, "; " between them

    def figure(self, metric: str) -> Spread | None:
        return self.figures.get(metric)


@dataclass(frozen=True, kw_only=True)
class BenchDocument:
    """The JSON of ``bench --json``: where and how it ran, its figures, every measure."""

    FORMAT: ClassVar[Format] = Format("bench", 1)

    environment: Environment
    machine: Machine
    plan: Plan
    models: list[str]  # in the order of the tables' columns
    finished: str  # ISO 8601, to the second, with the UTC offset
    seconds: float  # how long the whole bench took
    load_at_start: float  # 1-minute load averages
    load_at_end: float
    results: dict[str, list[Result]]  # per workload, in the bench's order: a result per cell
    measures: list[Measure]  # every job, with its raw values

    def of(self, workload: str, size: int | None = None, variant: str = "") -> list[Result]:
        """The results of a workload, at one size if given, of one variant."""
        return [
            result
            for result in self.results.get(workload, [])
            if (size is None or result.size == size) and result.variant == variant
        ]


@dataclass
class Cell:
    """Every measurement of one (workload, model, variant, size)."""

    workload: str
    model: str
    variant: str
    size: int
    measures: list[Measure] = field(default_factory=list)
    skipped: str = ""

    def values(self, metric: str) -> list[float]:
        return [v for m in self.measures for v in m.values.get(metric, [])]

    def summary(self, metric: str) -> Spread | None:
        values = self.values(metric)
        return Spread.of(values) if values else None

    def count(self, name: str) -> int:
        return sum(m.counts.get(name, 0) for m in self.measures)

    @property
    def metrics(self) -> list[str]:
        return list(dict.fromkeys(name for m in self.measures for name in m.values))

    @property
    def elsewhere(self) -> float | None:
        found = [m.elsewhere for m in self.measures if m.elsewhere is not None]
        return statistics.median(found) if found else None

    @property
    def load(self) -> float | None:
        loads = [load for m in self.measures for load in m.loads]
        return statistics.median(loads) if loads else None

    @property
    def notes(self) -> list[str]:
        """Why figures are missing or unusual, each once, with how many runs it concerns."""
        said = [m.error for m in self.measures if m.error]
        said += [note for m in self.measures for note in m.notes]
        found = [self.skipped] if self.skipped else []
        for note in dict.fromkeys(said):
            times, runs = said.count(note), len(self.measures)
            found.append(note if times == runs else f"{note} ({times} of {runs} runs)")
        return found

    @property
    def failed(self) -> bool:
        return any(m.error for m in self.measures)

    def result(self) -> Result:
        """The cell summarised, as the document keeps it."""
        summaries = {metric: self.summary(metric) for metric in self.metrics}
        counts = dict.fromkeys(name for m in self.measures for name in m.counts)
        return Result(
            model=self.model,
            variant=self.variant,
            size=self.size,
            figures={metric: found for metric, found in summaries.items() if found is not None},
            counts={name: self.count(name) for name in counts},
            runs=sum(1 for m in self.measures if not m.error),
            failed=sum(1 for m in self.measures if m.error),
            skipped=bool(self.skipped),
            load=self.load,
            busy_elsewhere=self.elsewhere,
            notes="; ".join(self.notes),
        )


@dataclass
class Bench:
    """A whole bench: its plan and every cell, in the order of the plan."""

    plan: Plan
    workloads: list[str]
    models: list[str]
    cells: dict[tuple[str, str, str, int], Cell]
    seconds: float = 0.0
    loads: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at its start and its end

    def of(self, workload: str) -> list[Cell]:
        return [cell for cell in self.cells.values() if cell.workload == workload]

    @property
    def ok(self) -> bool:
        return not any(cell.failed for cell in self.cells.values())


def new_bench(
    plan: Plan,
    workloads: Sequence[str],
    models: Sequence[str],
    jobs: Sequence[Job],
    skips: Sequence[Skip],
) -> Bench:
    """An empty cell for every job and skip, in reading order: workload, size, variant, model."""
    cells: dict[tuple[str, str, str, int], Cell] = {}

    def reading_order(item: Job | Skip) -> tuple[int, int, int, int]:
        variant = VARIANTS.index(item.variant) if item.variant else 0
        return (WORKLOADS.index(item.workload), item.size, variant, list(models).index(item.model))

    items: list[Job | Skip] = [*jobs, *skips]
    for item in sorted(items, key=reading_order):
        cells.setdefault(item.key, Cell(item.workload, item.model, item.variant, item.size))
        if isinstance(item, Skip):
            cells[item.key].skipped = item.reason
    return Bench(plan, list(workloads), list(models), cells)


def document(bench: Bench, environment: Environment) -> BenchDocument:
    """The bench as a document: where it ran, the plan, the figures, every measure."""
    cells = [cell for workload in bench.workloads for cell in bench.of(workload)]
    results: dict[str, list[Result]] = {}
    for cell in cells:
        results.setdefault(cell.workload, []).append(cell.result())
    return BenchDocument(
        environment=environment,
        machine=machine(),
        plan=bench.plan,
        models=list(bench.models),
        finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        seconds=round(bench.seconds, 1),
        load_at_start=bench.loads[0],
        load_at_end=bench.loads[1],
        results=results,
        measures=[measure for cell in cells for measure in cell.measures],
    )
