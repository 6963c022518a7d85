"""What a newer interpreter changes: two bench files side by side, per model.

``python -m shared.present.newer_python OLDER.json NEWER.json`` prints, for every
model, the bench's headline figures on each interpreter and the change between
them; ``--markdown`` writes the same table for the README. The two files should
come from the same machine on the same day (the table says when and where each
was made), since a change of a few per cent is within what a busy machine moves.

The figures are the medians of the README's glance table: spawn and switch
(µs), resident memory per parked task at the middle size, the fan-out's wall
time at the largest N with the tuned limits, and the client's throughput.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console

from shared import documents, tables
from shared.args import OneLineParser
from shared.measure.bench.figures import BenchDocument, Result
from shared.present.bench import by_model, figure
from shared.tables import Column, Table

# What picks a figure's results out of a document: its workload, size and variant.
Pick = Callable[[BenchDocument], list[Result]]


def sized(workload: str, variant: str = "", *, middle: bool = False) -> Pick:
    """The results of the largest size (or the middle one: threads cannot park the largest)."""

    def pick(document: BenchDocument) -> list[Result]:
        found = document.of(workload, variant=variant)
        sizes = sorted({r.size for r in found})
        if not sizes:
            return []
        size = sizes[len(sizes) // 2] if middle else sizes[-1]
        return [r for r in found if r.size == size]

    return pick


def every(workload: str) -> Pick:
    return lambda document: document.of(workload)


#: (what, unit, which records, metric, whether more is better)
FIGURES: tuple[tuple[str, str, Pick, str, bool], ...] = (
    ("spawn", "µs per task", every("spawn"), "us_per_task", False),
    ("switch", "µs per round trip", every("switch"), "us_per_round_trip", False),
    ("memory", "KiB per task", sized("memory", middle=True),
     "resident_kib_per_task", False),
    ("fan-out", "wall s", sized("fanout", "tuned"),
     "wall_s", False),
    ("throughput", "requests / s", every("throughput"), "requests_per_s", True),
)  # fmt: skip


def python_of(document: BenchDocument) -> str:
    version = document.environment.python
    return version if document.environment.gil_enabled else version + " free-threaded"


def change(older: float, newer: float, more_is_better: bool) -> str:
    """The change in per cent, and whether it is for the better."""
    if older == 0:
        return "-"
    percent = 100 * (newer - older) / older
    better = (percent > 0) == more_is_better
    word = "better" if better else "worse"
    return f"{percent:+.0f} % ({word})" if abs(percent) >= 0.5 else "same"


def changes(older: BenchDocument, newer: BenchDocument) -> Table:
    """The headline figures of both files, per model, and the change."""
    old_python, new_python = python_of(older), python_of(newer)
    table = Table(
        f"What Python {new_python} changes against {old_python}: medians",
        (Column("figure", align="left"), Column("model", align="left"),
         Column(old_python), Column(new_python), Column("change", align="left")),
        name="versions",
    )  # fmt: skip
    models = [m for m in older.models if m in newer.models]
    for what, unit, pick, metric, more_is_better in FIGURES:
        old_results, new_results = by_model(pick(older)), by_model(pick(newer))
        for model in models:
            old_value = figure(old_results.get(model), metric)
            new_value = figure(new_results.get(model), metric)
            difference = (
                change(old_value.median, new_value.median, more_is_better)
                if old_value and new_value
                else "-"
            )
            table.add(f"{what}: {unit}", model,
                      old_value.median if old_value else None,
                      new_value.median if new_value else None, difference)  # fmt: skip
    for python, document in ((old_python, older), (new_python, newer)):
        # Not the load average: the memory workload's parked threads count in it.
        busy = [r.busy_elsewhere for found in document.results.values() for r in found
                if r.busy_elsewhere is not None]  # fmt: skip
        table.notes.append(
            f"{python}: {document.plan.name} plan, finished "
            f"{document.finished[:16].replace('T', ' ')}, other programs "
            f"kept {max(busy, default=0):.2f} cores busy at most"
        )
    table.notes += [
        "memory: resident, the plan's middle size; fan-out: its largest N, tuned limits",
        "better or worse: lower times and memory, higher throughput",
    ]
    return table


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(
        prog="python -m shared.present.newer_python",
        description="What a newer interpreter changes: two bench JSON files side by side.",
    )
    parser.add_argument("older", help="the bench JSON made on the older interpreter")
    parser.add_argument("newer", help="the bench JSON made on the newer one")
    parser.add_argument("--markdown", action="store_true", help="the README's table")
    args = parser.parse_args(argv)
    try:
        older, newer = (documents.read(path, BenchDocument) for path in (args.older, args.newer))
    except documents.DocumentError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    table = changes(older, newer)
    if args.markdown:
        print(tables.markdown(table))
    else:
        Console().print(tables.rich(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
