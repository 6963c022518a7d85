"""A bench's document as tables: in the terminal, in the README, in the report.

Everything here reads the document that ``bench --json`` writes
(``shared.measure.bench.figures.BenchDocument``), never a running bench, so the
tables a bench prints and those made later from its file are the same. Each is
a ``shared.tables.Table``, drawn by the renderer of the place it goes:

* ``details(document)``: a table per workload (per size for the fan-out), five
  columns at most, for the terminal (``bench`` prints them) and for the
  report, where they are folded away under the summary;
* ``summary(document)``: the README's tables, a column per model: the models
  at a glance, then the fan-out at every N;
* ``facts(document)``: where it was measured: the machine, its limits, the
  interpreter and packages, the plan.

A table for a new workload is a function from the document to a ``Table``,
added to ``details`` (and a row or two of ``summary`` if it belongs in the README).

``python -m shared.present.bench FILE`` prints the terminal tables of a bench's
JSON; ``--markdown`` the README's; ``--charts DIR`` also draws its charts.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from rich.console import Console, Group, RenderableType
from rich.text import Text

from shared import documents, tables
from shared.args import OneLineParser, writable_folder
from shared.measure.bench.figures import BenchDocument, Result
from shared.present.charts import write_charts
from shared.tables import Column, Flag, Spread, Table, Value

MODEL = Column("model", align="left")


# -- reading the results ----------------------------------------------------------


def by_model(found: Sequence[Result]) -> dict[str, Result]:
    return {result.model: result for result in found}


def figure(result: Result | None, metric: str) -> Spread | None:
    return result.figure(metric) if result else None


def flag(result: Result) -> Flag:
    if result.failed:
        return "failed"
    return "skipped" if result.skipped else ""


def label(result: Result, *parts: str) -> str:
    """``model, part...``: who a note is about."""
    return ", ".join([result.model, *(p for p in parts if p)])


def unanswered(result: Result) -> float | None:
    """The requests a fan-out cancelled at its deadline (median), if it was stopped."""
    cancelled = result.figure("cancelled")
    return cancelled.median if cancelled else None


def cell_notes(found: Sequence[Result], who: Callable[[Result], str]) -> list[str]:
    """A note for each result that has one, named by ``who``."""
    notes = []
    for result in found:
        said = result.notes
        if (cancelled := unanswered(result)) is not None:
            said += f", {cancelled:,.0f} unanswered"
        if said:
            notes.append(f"{who(result)}: {said}")
    return notes


def elsewhere(found: Sequence[Result]) -> list[str]:
    """A note on the noise: the cores that other programs kept busy while these ran."""
    busy = [r.busy_elsewhere for r in found if r.busy_elsewhere is not None]
    if not busy:
        return []
    low, high = min(busy), max(busy)
    span = f"{low:.2f}" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f} to {high:.2f}"
    return [f"other programs kept {span} cores busy meanwhile"]


def deadline_text(result: Result, metric: str) -> Value:
    """A figure, or why there is none ("not run: ..."), as a summary cell says it."""
    found = result.figure(metric)
    if found is None:
        return (result.notes or "-").split(" (")[0] or None
    if (cancelled := unanswered(result)) is not None:
        return f"{tables.text(found)}, stopped at the deadline, {cancelled:,.0f} unanswered"
    return found


# -- the tables of each workload: the terminal's, and the report's folded ones ------


def micro_table(document: BenchDocument) -> Table | None:
    """spawn and switch, side by side: µs per task, µs per round trip."""
    plan = document.plan
    present = [w for w in ("spawn", "switch") if document.results.get(w)]
    if not present:
        return None
    metrics = {"spawn": ("spawn", "µs per task", "us_per_task"),
               "switch": ("switch", "µs per round trip", "us_per_round_trip")}  # fmt: skip
    titles = {"spawn": f"spawn {plan.spawn_tasks:,} tasks",
              "switch": f"switch {plan.switch_rounds:,} times through a queue"}  # fmt: skip
    table = Table(
        " and ".join(titles[w] for w in present) + ": µs each",
        (MODEL, *(Column(metrics[w][0], metrics[w][1]) for w in present)),
        name="micro",
    )
    found = {w: by_model(document.of(w)) for w in present}
    for model in document.models:
        row = [found[w].get(model) for w in present]
        flags = [flag(r) for r in row if r]
        table.add(model, *(figure(r, metrics[w][2]) for w, r in zip(present, row, strict=True)),
                  flag="failed" if "failed" in flags else "")  # fmt: skip
    every = [r for w in present for r in found[w].values()]
    table.notes += [
        f"timed by pyperf: {plan.processes} processes, each {plan.warmups} warm-ups "
        f"then {plan.values} values; median (min-max) of the values",
        *cell_notes(every, lambda r: label(r)),
        *elsewhere(every),
    ]
    return table


def memory_table(document: BenchDocument) -> Table | None:
    found = document.of("memory")
    if not found:
        return None
    table = Table(
        "memory: tasks parked on one event, KiB per task",
        (MODEL, Column("tasks"), Column("resident", "KiB"), Column("virtual", "KiB")),
        name="memory",
    )
    for result in found:
        table.add(result.model, result.size, result.figure("resident_kib_per_task"),
                  result.figure("virtual_kib_per_task"), flag=flag(result))  # fmt: skip
    table.notes += [
        "resident: RSS; virtual: VMS (address space), both read while every task waits",
        *cell_notes(found, lambda r: label(r, f"{r.size:,}")),
        *elsewhere(found),
    ]
    return table


def fanout_tables(document: BenchDocument) -> list[Table]:
    """One table per N: wall time cold and warm, the server's peak in flight, errors."""
    delay = document.plan.delay
    made = []
    every = document.results.get("fanout", [])
    for size in dict.fromkeys(r.size for r in every):
        found = [r for r in every if r.size == size]
        failing = any(r.counts.get("errors") for r in found)
        table = Table(
            f"fan-out: {size:,} GETs at once, each answered after {delay:g} s",
            (MODEL, Column("limits", align="left"), Column("wall", "s"), Column("warm", "s"),
             Column("in flight"), *([Column("errors")] if failing else [])),
            name=f"fanout-{size}",
        )  # fmt: skip
        for result in found:
            peak = result.figure("server_peak_in_flight")
            errors = [result.counts.get("errors")] if failing else []
            table.add(result.model, result.variant, result.figure("wall_s"),
                      result.figure("warm_wall_s"), round(peak.median) if peak else None,
                      *errors, flag=flag(result))  # fmt: skip
        table.notes += [
            "warm: a second pass over the same connections (tuned only); "
            "in flight: the server's peak, median",
            *([] if failing else ["every request was answered"]),
            *cell_notes(found, lambda r: label(r, r.variant)),
            *elsewhere(found),
        ]
        made.append(table)
    return made


def throughput_table(document: BenchDocument) -> Table | None:
    found = document.of("throughput")
    if not found:
        return None
    plan = document.plan
    failing = any(r.counts.get("errors") for r in found)
    table = Table(
        f"throughput: {plan.concurrency} workers doing GETs back to back "
        f"for {plan.seconds:g} s, D = 0",
        (MODEL, Column("requests", "/ s"), Column("client CPU", "%"),
         Column("server CPU", "%"), *([Column("errors")] if failing else [])),
        name="throughput",
    )  # fmt: skip
    for result in found:
        errors = [result.counts.get("errors")] if failing else []
        table.add(result.model, result.figure("requests_per_s"),
                  result.figure("client_cpu_pct"), result.figure("server_cpu_pct"),
                  *errors, flag=flag(result))  # fmt: skip
    table.notes += [
        "CPU: 100 % is one core; the server is the local services' one process",
        *([] if failing else ["every request was answered"]),
        *cell_notes(found, lambda r: label(r)),
        *elsewhere(found),
    ]
    return table


def details(document: BenchDocument) -> list[Table]:
    """Every workload's table, in the bench's order."""
    made = [micro_table(document), memory_table(document), *fanout_tables(document),
            throughput_table(document)]  # fmt: skip
    return [table for table in made if table is not None]


# -- the README's tables: a column per model --------------------------------------


def glance_table(document: BenchDocument) -> Table:
    """The models at a glance: one row per figure, one column per model."""
    plan, models = document.plan, document.models
    table = Table(
        "The models at a glance: median (min-max) over every run",
        (Column("", align="left"), *(Column(model) for model in models)),
        name="glance",
    )
    rows: list[tuple[str, list[Result], str]] = [
        (f"spawn: µs per task ({plan.spawn_tasks:,} at once)",
         document.of("spawn"), "us_per_task"),
        ("switch: µs per round trip through a queue",
         document.of("switch"), "us_per_round_trip"),
    ]  # fmt: skip
    memory_sizes = sorted(plan.memory_sizes)
    for tasks in dict.fromkeys((memory_sizes[len(memory_sizes) // 2], memory_sizes[-1])):
        parked = document.of("memory", tasks)
        rows += [
            (f"resident KiB per task, {tasks:,} parked", parked, "resident_kib_per_task"),
            (f"virtual KiB per task, {tasks:,} parked", parked, "virtual_kib_per_task"),
        ]
    biggest = max(plan.fanout_sizes)
    for variant in ("tuned", "defaults"):
        fanned = document.of("fanout", biggest, variant)
        rows.append((f"fan-out of {biggest:,}, {variant}: wall s", fanned, "wall_s"))
    tuned = document.of("fanout", biggest, "tuned")
    rows.append((f"fan-out of {biggest:,}, tuned, warm: wall s", tuned, "warm_wall_s"))
    pumped = document.of("throughput")
    rows += [
        (f"throughput, {plan.concurrency} workers: requests / s", pumped, "requests_per_s"),
        ("throughput: client CPU %", pumped, "client_cpu_pct"),
        ("throughput: server CPU %", pumped, "server_cpu_pct"),
    ]
    for name, found, metric in rows:
        if found:
            mine = by_model(found)
            cells = [deadline_text(mine[m], metric) if m in mine else None for m in models]
            table.add(name, *cells)
    return table


def fanout_summary(document: BenchDocument) -> Table | None:
    """The fan-out at every N and both limits: wall s, and the server's peak in flight."""
    plan, models = document.plan, document.models
    if not document.results.get("fanout"):
        return None
    table = Table(
        f"Fan-out, N GETs at once answered after {plan.delay:g} s: wall s, "
        "median (min-max), and [the server's peak in flight]",
        (Column("N"), Column("limits", align="left"), *(Column(model) for model in models)),
        name="fanout",
    )
    for size in plan.fanout_sizes:
        for variant in ("tuned", "defaults"):
            mine = by_model(document.of("fanout", size, variant))
            if not mine:
                continue
            cells: list[Value] = []
            for model in models:
                result = mine.get(model)
                peak = figure(result, "server_peak_in_flight")
                shown = tables.text(deadline_text(result, "wall_s")) if result else "-"
                cells.append(shown + (f" [{peak.median:,.0f}]" if peak else ""))
            table.add(size, variant, *cells)
    return table


def summary(document: BenchDocument) -> list[Table]:
    """The README's tables."""
    return [t for t in (glance_table(document), fanout_summary(document)) if t is not None]


def markdown(document: BenchDocument) -> str:
    """The README's tables in Markdown."""
    return "\n\n".join(tables.markdown(table) for table in summary(document))


# -- where it was measured ------------------------------------------------------------


def facts(document: BenchDocument) -> Table:
    """The machine, its limits, the interpreter and packages, the plan, as sentences."""
    environment, machine, plan = document.environment, document.machine, document.plan
    table = Table("Where it was measured", (Column("", align="left"), Column("", align="left")),
                  name="facts")  # fmt: skip

    def joined(pairs: Sequence[tuple[str, int | str | None]]) -> str:
        def shown(value: int | str) -> str:
            return f"{value:,}" if isinstance(value, int) else value

        return " · ".join(f"{name} {shown(value)}" for name, value in pairs if value is not None)

    cpus, memory = machine.cpus, machine.memory_gib
    table.add("machine", ", ".join([machine.cpu or "a CPU",
                                    *([f"{cpus} CPUs"] if cpus else []),
                                    *([f"{memory:g} GiB"] if memory else [])]))  # fmt: skip
    python = f"{environment.implementation} {environment.python}"
    table.add("Python", f"{python} on {environment.platform}")
    table.add("packages", joined(list(environment.packages.items())) or None)
    table.add("limits", joined([
        ("pid_max", machine.pid_max), ("threads-max", machine.threads_max),
        ("somaxconn", machine.somaxconn), ("open files", machine.open_files),
        ("threads capped at", machine.thread_cap),
    ]) or None)  # fmt: skip
    runs = f"{plan.repeat} interpreter{'s' if plan.repeat > 1 else ''}"
    table.add("plan", f"{plan.name}: {runs} per measurement, "
                      f"fan-out deadlines {plan.deadline:g} s tuned, "
                      f"{plan.defaults_deadline:g} s with the defaults")  # fmt: skip
    finished = document.finished.replace("T", " ")[:16]  # to the minute
    table.add("run", f"finished {finished}, {document.seconds:,.0f} s")
    return table


# -- the terminal --------------------------------------------------------------------


def terminal(document: BenchDocument) -> Group:
    """The tables a bench prints: each workload's, then how long it took."""
    parts: list[RenderableType] = [tables.rich(table) for table in details(document)]
    parts.append(
        Text(
            f"{document.plan.name} bench: {document.seconds:.0f} s, load average "
            f"{document.load_at_start:.2f} at the start, {document.load_at_end:.2f} at the end"
        )
    )
    return Group(*parts)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m shared.present.bench FILE [--markdown] [--charts DIR]``."""
    parser = OneLineParser(
        prog="python -m shared.present.bench",
        description="The tables (and charts) of a bench's JSON, made again from the file alone.",
    )
    parser.add_argument("file", help="the JSON of `concurrency-compare bench --json FILE`")
    parser.add_argument("--markdown", action="store_true", help="the README's tables instead")
    parser.add_argument(
        "--charts", metavar="DIR", type=writable_folder, help="also draw its charts here"
    )
    args = parser.parse_args(argv)
    try:
        document = documents.read(args.file, BenchDocument)
    except documents.DocumentError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    if args.markdown:
        print(markdown(document))
    else:
        Console().print(terminal(document))
    if args.charts:
        for chart in write_charts(args.charts, document):
            print(f"chart written to {chart}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
