"""A bench's figures: every measurement, grouped into cells, and the JSON they make.

A *measure* is what one job gave (one interpreter of one model running one
workload once); a *cell* is every measure of one (workload, model, variant,
size), summarised as ``median (min-max)``; the *bench* is every cell in the
order of the plan. ``document()`` turns it into the JSON that everything else
reads: the terminal tables, the README's tables and charts, the report's page
(``shared.present.bench``, ``shared.present.charts``, ``shared.present.report``).

The JSON: ``environment``, ``machine``, ``plan``, ``bench`` (when, how long,
the models), ``results`` (per workload, a record per cell: its size, each
metric's ``{"min", "median", "max"}``, its counts, runs, load, notes) and
``measures`` (every job's raw values).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.measure.bench.child import VARIANTS, WORKLOADS
from shared.measure.bench.plan import SIZE_NAMES, Job, Plan, Skip
from shared.measure.bench.probes import machine
from shared.tables import Spread


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
    stderr: str = ""
    seconds: float = 0.0  # the job's wall time, interpreter start and exit included

    def to_json(self) -> dict[str, Any]:
        return {
            "repetition": self.job.repetition,
            "values": self.values,
            "counts": self.counts,
            "loads": self.loads,
            "elsewhere": self.elsewhere,
            "notes": self.notes,
            "error": self.error,
            "stderr": self.stderr[-2000:],
            "seconds": round(self.seconds, 3),
        }


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

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {"model": self.model}
        if self.variant:
            record["variant"] = self.variant
        record[SIZE_NAMES[self.workload]] = self.size
        for metric in self.metrics:
            summary = self.summary(metric)
            record[metric] = summary.to_json() if summary else None
        counts = list(dict.fromkeys(name for m in self.measures for name in m.counts))
        record.update({name: self.count(name) for name in counts})
        record["runs"] = sum(1 for m in self.measures if not m.error)
        record["failed"] = sum(1 for m in self.measures if m.error)
        record["skipped"] = bool(self.skipped)
        record["load"] = self.load
        record["busy_elsewhere"] = self.elsewhere
        record["notes"] = "; ".join(self.notes)
        return record


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


def document(bench: Bench, environment: dict[str, Any]) -> dict[str, Any]:
    """The bench as JSON data: the environment, the plan, the figures, every measurement."""
    results: dict[str, list[dict[str, Any]]] = {}
    measures: list[dict[str, Any]] = []
    for workload in bench.workloads:
        for cell in bench.of(workload):
            results.setdefault(workload, []).append(cell.to_json())
            where = {"workload": workload, "model": cell.model, "variant": cell.variant,
                     "size": cell.size}  # fmt: skip
            measures += [where | measure.to_json() for measure in cell.measures]
    return {
        "environment": environment,
        "machine": machine(),
        "plan": bench.plan.to_json(),
        "bench": {
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seconds": round(bench.seconds, 1),
            "load_at_start": bench.loads[0],
            "load_at_end": bench.loads[1],
            "models": bench.models,
        },
        "results": results,
        "measures": measures,
    }


def write_json(path: str | Path, document: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as file:
        json.dump(document, file, indent=2)
