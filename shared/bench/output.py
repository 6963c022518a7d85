"""A bench's figures as terminal tables, JSON and PNG charts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from shared.bench.suite import SIZE_NAMES, Bench, Cell, Summary, machine

# -- numbers --------------------------------------------------------------------


def number(value: float) -> str:
    """Three significant figures or so, thousands separated: 0.104, 3.46, 12.5, 1,234."""
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def spread(summary: Summary | None) -> str:
    """median (min-max), or the one value."""
    if summary is None:
        return "-"
    low, median, high = (number(v) for v in (summary.low, summary.median, summary.high))
    return median if low == high else f"{median} ({low}-{high})"


def load(cell: Cell) -> str:
    return "-" if cell.load is None else f"{cell.load:.2f}"


def elsewhere(cell: Cell) -> str:
    return "-" if cell.elsewhere is None else f"{cell.elsewhere:.2f}"


# -- tables ---------------------------------------------------------------------

Column = tuple[str, Callable[[Cell], str]]


def metric(name: str) -> Callable[[Cell], str]:
    return lambda cell: spread(cell.summary(name))


def count(name: str) -> Callable[[Cell], str]:
    return lambda cell: f"{cell.count(name):,}" if cell.measures else "-"


def values(cell: Cell) -> str:
    return str(len(cell.values(cell.metrics[0]))) if cell.metrics else "0"


def size(cell: Cell) -> str:
    return f"{cell.size:,}"


COLUMNS: dict[str, list[Column]] = {
    "spawn": [
        ("tasks per value", size),
        ("µs per task", metric("us_per_task")),
        ("values", values),
    ],
    "switch": [
        ("round trips per value", size),
        ("µs per round trip", metric("us_per_round_trip")),
        ("values", values),
    ],
    "memory": [
        ("tasks", size),
        ("resident KiB per task", metric("resident_kib_per_task")),
        ("virtual KiB per task", metric("virtual_kib_per_task")),
    ],
    "fanout": [
        ("variant", lambda cell: cell.variant),
        ("N", size),
        ("wall s", metric("wall_s")),
        ("overhead µs / request", metric("overhead_us_per_request")),
        ("warm: overhead µs / request", metric("warm_overhead_us_per_request")),
        ("errors", count("errors")),
        ("cancelled at the deadline", metric("cancelled")),
        ("server peak in flight", metric("server_peak_in_flight")),
    ],
    "throughput": [
        ("workers", size),
        ("requests / s", metric("requests_per_s")),
        ("client CPU %", metric("client_cpu_pct")),
        ("server CPU %", metric("server_cpu_pct")),
        ("errors", count("errors")),
    ],
}

TITLES = {
    "spawn": "spawn: create, start and finish N trivial tasks",
    "switch": "switch: a ping-pong between two tasks through the model's own queue",
    "memory": "memory: N tasks parked on one event, resident and virtual memory apart",
    "fanout": "fanout: N GETs at once, each answered after D = {delay:g} s",
    "throughput": "throughput: workers doing GETs back to back, D = 0, for {seconds:g} s",
}


def table(bench: Bench, workload: str) -> Table:
    title = TITLES[workload].format(**bench.plan.to_json())
    grid = Table(title=title, title_justify="left", caption_justify="left")
    grid.add_column("model")
    columns = COLUMNS[workload]
    for heading, _ in columns:
        grid.add_column(heading, justify="right")
    grid.add_column("load", justify="right")
    grid.add_column("busy elsewhere", justify="right")
    grid.add_column("notes", overflow="fold", max_width=48)
    for cell in bench.of(workload):
        style = "red" if cell.failed else ("dim" if cell.skipped else "")
        grid.add_row(
            cell.model,
            *(show(cell) for _, show in columns),
            load(cell),
            elsewhere(cell),
            "; ".join(cell.notes),
            style=style,
        )
    grid.caption = (
        "median (min-max) over every value; load: the 1-minute load average when it ran;"
        " busy elsewhere: cores that other programs kept busy meanwhile"
    )
    return grid


def tables(bench: Bench) -> Group:
    parts: list[Table | Text] = [table(bench, workload) for workload in bench.workloads]
    low, high = bench.loads
    parts.append(
        Text(
            f"{bench.plan.name} bench: {bench.seconds:.0f} s, "
            f"load average {low:.2f} at the start, {high:.2f} at the end"
        )
    )
    return Group(*parts)


# -- JSON -----------------------------------------------------------------------


def document(bench: Bench, environment: dict[str, Any]) -> dict[str, Any]:
    """The bench as JSON data: the environment, the plan, the figures, every measurement."""
    results: dict[str, list[dict[str, Any]]] = {}
    measures: list[dict[str, Any]] = []
    for workload in bench.workloads:
        for cell in bench.of(workload):
            record = cell.to_json()
            for one in record.pop("measures"):
                measures.append(
                    {
                        "workload": workload,
                        "model": cell.model,
                        "variant": cell.variant,
                        "size": cell.size,
                        **one,
                    }
                )
            results.setdefault(workload, []).append(record)
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


# -- charts ---------------------------------------------------------------------


def write_charts(folder: str | Path, document: dict[str, Any]) -> list[Path]:
    """PNG charts of a bench's JSON: fan-out wall time against N, memory per task."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if document["results"].get("fanout"):
        written.append(fanout_chart(out / "fanout.png", document))
    if document["results"].get("memory"):
        written.append(memory_chart(out / "memory.png", document))
    return written


def summary_of(record: dict[str, Any] | None, name: str) -> Summary | None:
    value = record.get(name) if record else None
    return Summary(value["min"], value["median"], value["max"]) if value else None


def model_colours(models: Sequence[str]) -> dict[str, str]:
    palette = ["tab:blue", "tab:cyan", "tab:green", "tab:orange", "tab:red"]
    return {model: palette[index % len(palette)] for index, model in enumerate(models)}


def fanout_chart(path: Path, document: dict[str, Any]) -> Path:
    import matplotlib.pyplot as plt

    models, delay = document["bench"]["models"], document["plan"]["delay"]
    colours = model_colours(models)
    figure, axes = plt.subplots(figsize=(8, 5), layout="constrained")
    for model in models:
        for variant, style in (("tuned", "-"), ("defaults", "--")):
            records = [
                r
                for r in document["results"]["fanout"]
                if (r["model"], r["variant"]) == (model, variant) and r.get("wall_s")
            ]
            if not records:
                continue
            walls = [summary_of(r, "wall_s") or Summary(0, 0, 0) for r in records]
            xs, ys = [r["requests"] for r in records], [s.median for s in walls]
            spans = [[s.median - s.low for s in walls], [s.high - s.median for s in walls]]
            axes.errorbar(
                xs,
                ys,
                yerr=spans,
                linestyle=style,
                marker="o",
                capsize=3,
                color=colours[model],
                label=f"{model}, {variant}",
            )
            stopped = [
                (x, y) for x, y, r in zip(xs, ys, records, strict=True) if r.get("cancelled")
            ]
            if stopped:
                axes.scatter(
                    [x for x, _ in stopped],
                    [y for _, y in stopped],
                    s=160,
                    facecolors="none",
                    edgecolors=colours[model],
                )
    axes.axhline(delay, color="grey", linewidth=1, linestyle=":")
    axes.annotate(
        f"D = {delay:g} s",
        (1, delay),
        xycoords=("axes fraction", "data"),
        ha="right",
        va="bottom",
        color="grey",
    )
    axes.set(
        xscale="log",
        yscale="log",
        xlabel="N, requests at once",
        ylabel="wall time, s (median, min-max)",
        title=f"Fan-out: N GETs each answered after {delay:g} s (circled: stopped at a deadline)",
    )
    axes.legend(fontsize="small")
    axes.grid(True, which="both", alpha=0.3)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def memory_chart(path: Path, document: dict[str, Any]) -> Path:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    models = document["bench"]["models"]
    records = document["results"]["memory"]
    colours = model_colours(models)
    sizes = sorted({r["tasks"] for r in records})
    width = 0.8 / max(1, len(models))
    figure, panels = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
    metrics = (
        ("resident_kib_per_task", "resident (RSS)"),
        ("virtual_kib_per_task", "virtual (VMS)"),
    )
    for panel, (name, label) in zip(panels, metrics, strict=True):
        for index, model in enumerate(models):
            by_size = {r["tasks"]: r for r in records if r["model"] == model}
            for position, tasks in enumerate(sizes):
                record, x = by_size.get(tasks), position + index * width
                summary = summary_of(record, name)
                if summary is not None and summary.median > 0:
                    bars = panel.bar(
                        [x],
                        [summary.median],
                        width=width,
                        color=colours[model],
                        label=model if position == 0 else None,
                    )
                    panel.bar_label(bars, [number(summary.median)], fontsize="x-small")
                elif record is not None and str(record.get("notes", "")).startswith("not run"):
                    panel.annotate(
                        "not run:\ncapped",
                        (x, 0),
                        xycoords=("data", "axes fraction"),
                        xytext=(0, 4),
                        textcoords="offset points",
                        ha="center",
                        fontsize="x-small",
                        color=colours[model],
                    )
        middle = width * (len(models) - 1) / 2
        panel.set_xticks([p + middle for p in range(len(sizes))], [f"{n:,}" for n in sizes])
        panel.set(
            yscale="log",
            xlabel="tasks parked at once",
            ylabel="KiB per task (median)",
            title=f"{label} memory per parked task",
        )
        panel.set_ylim(0.5, panel.get_ylim()[1] * 3)  # room above the bars for their labels
        panel.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        panel.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,g}"))
        panel.yaxis.set_minor_formatter(NullFormatter())
        panel.grid(True, axis="y", which="major", alpha=0.3)
    handles, labels = panels[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(models), fontsize="small")
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


# -- Markdown, for the README -------------------------------------------------


def markdown(document: dict[str, Any]) -> str:
    """The README's tables of a bench's JSON: the models at a glance, then the fan-out."""
    results = document["results"]
    models: list[str] = document["bench"]["models"]

    def find(
        workload: str, size: int | None = None, variant: str = ""
    ) -> dict[str, dict[str, Any]]:
        found = {}
        for record in results.get(workload, []):
            sized = size is None or record.get(SIZE_NAMES[workload]) == size
            if sized and record.get("variant", "") == variant:
                found[record["model"]] = record
        return found

    def shown(record: dict[str, Any] | None, name: str) -> str:
        if record is None:
            return "-"
        value = record.get(name)
        if value is None:
            return str(record.get("notes") or "-").split(" (")[0]
        text = spread(Summary(value["min"], value["median"], value["max"]))
        if record.get("cancelled"):
            text += f", stopped at the deadline, {record['cancelled']['median']:,.0f} unanswered"
        return text

    plan = document["plan"]
    biggest_memory = max(plan["memory_sizes"])
    middle_memory = sorted(plan["memory_sizes"])[len(plan["memory_sizes"]) // 2]
    biggest_fanout = max(plan["fanout_sizes"])
    rows: list[tuple[str, dict[str, dict[str, Any]], str]] = [
        (f"spawn: µs per task ({plan['spawn_tasks']:,} at once)", find("spawn"), "us_per_task"),
        ("switch: µs per round trip through a queue", find("switch"), "us_per_round_trip"),
    ]
    for tasks in dict.fromkeys((middle_memory, biggest_memory)):
        parked = find("memory", tasks)
        rows += [
            (f"resident KiB per task, {tasks:,} parked", parked, "resident_kib_per_task"),
            (f"virtual KiB per task, {tasks:,} parked", parked, "virtual_kib_per_task"),
        ]
    for variant in ("tuned", "defaults"):
        fanned = find("fanout", biggest_fanout, variant)
        rows.append((f"fan-out of {biggest_fanout:,}, {variant}: wall s", fanned, "wall_s"))
    for variant in ("tuned",):
        fanned = find("fanout", biggest_fanout, variant)
        rows.append(
            (f"fan-out of {biggest_fanout:,}, {variant}, warm: wall s", fanned, "warm_wall_s")
        )
    pumped = find("throughput")
    rows += [
        (f"throughput, {plan['concurrency']} workers: requests / s", pumped, "requests_per_s"),
        ("throughput: client CPU %", pumped, "client_cpu_pct"),
        ("throughput: server CPU %", pumped, "server_cpu_pct"),
    ]
    lines = ["| | " + " | ".join(models) + " |", "|---|" + "---|" * len(models)]
    for label, records, name in rows:
        if records:
            cells = [shown(records.get(model), name) for model in models]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Fan-out, N GETs at once answered after "
        f"{plan['delay']:g} s: wall s, median (min-max), and [the server's peak in flight]",
        "",
        "| N | limits | " + " | ".join(models) + " |",
        "|---|---|" + "---|" * len(models),
    ]
    for size in plan["fanout_sizes"]:
        for variant in ("tuned", "defaults"):
            records = find("fanout", size, variant)
            cells = []
            for model in models:
                record = records.get(model)
                peak = record.get("server_peak_in_flight") if record else None
                cells.append(
                    shown(record, "wall_s") + (f" [{peak['median']:,.0f}]" if peak else "")
                )
            lines.append(f"| {size:,} | {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m shared.bench.output FILE [--charts DIR]``: README tables (and charts) of a
    ``bench --json FILE``, so that they can be made again from the JSON alone."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m shared.bench.output")
    parser.add_argument("file", help="the JSON of `concurrency-compare bench --json FILE`")
    parser.add_argument("--charts", metavar="DIR", help="also draw its charts here")
    args = parser.parse_args(argv)
    with open(args.file, encoding="utf-8") as file:
        document = json.load(file)
    print(markdown(document))
    if args.charts:
        write_charts(args.charts, document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
