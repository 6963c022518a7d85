"""The load experiment's figures: terminal tables (80 columns), JSON, charts.

Everything is drawn from the JSON document, so
``python -m shared.present.load FILE [--charts DIR]`` remakes the tables and
charts of an earlier run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from shared import documents, tables


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value / 1000:.1f} s"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def run_table(load: dict[str, Any]) -> Table:
    """One generator run (``load --target``): its figures in a few rows."""
    table = Table(title=f"{load['target']} at {load['rate']:g}/s", title_justify="left",
                  box=None, show_header=False)  # fmt: skip
    table.add_column(style="bold")
    table.add_column()
    latency = load["latency_ms"]
    percentiles = "  ".join(f"{k} {_ms(v)}" for k, v in latency.items()) or "no answer"
    table.add_row("latency, ms", percentiles)
    table.add_row(
        "requests",
        f"{load['sent']:,} sent, {load['ok']:,} ok, {load['timeouts']:,} timed out, "
        f"{sum(load['errors'].values()):,} errors",
    )
    if load["errors"]:
        table.add_row("errors", ", ".join(f"{k}: {v:,}" for k, v in load["errors"].items()))
    table.add_row("achieved", f"{load['throughput']:,.0f} answers/s of {load['rate']:g} offered")
    lag = load["lag_ms"]
    if lag:
        table.add_row("schedule", f"sent p99 {lag['p99']:.1f} ms late, max {lag['max']:.1f} ms")
    table.add_row("generator", f"{load['cpu_pct']:.0f}% of a core")
    for note in load["notes"]:
        table.add_row("note", Text(note, style="yellow"))
    table.add_row(
        "verdict",
        Text("trusted", style="green")
        if load["trusted"]
        else Text("UNTRUSTED: the generator fell behind its schedule", style="bold red"),
    )
    return table


def _whole(value: float | None) -> float | int | None:
    """A figure that is a whole number (a rate offered, a CPU share) written as one."""
    if value is None:
        return None
    return round(value) if abs(value) >= 10 or float(value).is_integer() else value


def steps(deployment: dict[str, Any], delay: float) -> tables.Table:
    """A deployment's steps: offered rate, answers, percentiles, failures."""
    knee = deployment["knee"]
    table = tables.Table(
        f"{deployment['name']}: {deployment['limits']}",
        (
            tables.Column("offered", "/s"),
            tables.Column("done", "/s"),
            *(tables.Column(name, "ms") for name in ("p50", "p90", "p99", "p99.9", "max")),
            tables.Column("fail"),
        ),
        name=deployment["name"].replace(" ", "-").replace("+", "-"),
    )
    for step in deployment["steps"]:
        latency = step["latency_ms"]
        table.add(
            _whole(step["rate"]),
            _whole(step["throughput"]),
            *(latency.get(k) for k in ("p50", "p90", "p99", "p99.9", "max")),
            sum(step["errors"].values()) + step["timeouts"],
            flag="failed" if step["saturated"] else "",
        )
    knee_text = f"up to {knee:g}/s offered" if knee else "at no rate offered"
    table.notes.append(
        f"p99 under 2 x D = {2 * delay * 1000:.0f} ms {knee_text}; in red: saturated "
        "(under 90% answered, or over 1% failed)"
    )
    untrusted = [s["rate"] for s in deployment["steps"] if not s["trusted"]]
    if untrusted:
        rates = ", ".join(f"{r:g}" for r in untrusted)
        table.notes.append(f"untrusted, the generator fell behind its schedule: {rates}/s")
    return table


def cpu(deployment: dict[str, Any]) -> tables.Table:
    """Who used the CPU at each step: the generator, the upstream, the worker, the rest."""
    table = tables.Table(
        f"{deployment['name']}: CPU, % of one core",
        (
            tables.Column("offered", "/s"),
            tables.Column("generator"),
            tables.Column("upstream"),
            tables.Column("worker"),
            tables.Column("others"),
        ),
    )
    for step in deployment["steps"]:
        shares = step["cpu_pct"]
        table.add(
            _whole(step["rate"]),
            *(_whole(shares.get(k)) for k in ("generator", "upstream", "worker", "others")),
            flag="failed" if step["saturated"] else "",
        )
    table.notes.append("others: every other program on the machine, from /proc/stat")
    return table


def summary(doc: dict[str, Any]) -> tables.Table:
    """One row per deployment: its knee, its saturation, wrk's cross-check."""
    delay_ms = doc["plan"]["delay"] * 1000
    table = tables.Table(
        f"As a service: D = {delay_ms:.0f} ms upstream, one gunicorn worker",
        (
            tables.Column("deployment", align="left"),
            tables.Column("knee", "/s"),
            tables.Column("saturates", "/s"),
            tables.Column("wrk", "/s"),
            tables.Column("ratio"),
            tables.Column("CPU", "ms/req"),
        ),
        name="as-a-service",
    )
    for deployment in doc["deployments"]:
        wrk = deployment["wrk"]
        table.add(
            deployment["name"],
            _whole(deployment["knee"]),
            _whole(deployment["saturation"]),
            _whole(wrk["requests_per_s"]) if wrk else None,
            deployment["wrk_ratio"],
            deployment.get("cpu_ms_per_answer"),
            flag="failed" if deployment["error"] else "",
        )
    table.notes += [
        f"knee: the highest offered rate whose p99 stays under 2 x D = {2 * delay_ms:.0f} ms",
        "saturates: the most answers per second at any offered rate (open loop)",
        "wrk: closed loop, 4 x saturation x D connections; ratio: saturates / wrk",
        "CPU: the worker's CPU per answer at the busiest rate it carried",
    ]
    return table


def limits(doc: dict[str, Any]) -> tables.Table:
    """What each deployment runs with: worker class and the limits that matter."""
    table = tables.Table(
        "the deployments",
        (tables.Column("deployment", align="left"), tables.Column("limits", align="left")),
    )
    for deployment in doc["deployments"]:
        worker = deployment["worker_class"] + " " + " ".join(deployment["options"])
        table.add(deployment["name"], f"{worker.strip()}; {deployment['limits']}")
    return table


def all_tables(doc: dict[str, Any]) -> list[tables.Table]:
    """Every table of the experiment, in reading order (the report's page too)."""
    delay = doc["plan"]["delay"]
    found = [limits(doc)]
    for deployment in doc["deployments"]:
        found += [steps(deployment, delay), cpu(deployment)]
    return [*found, summary(doc)]


def generator_line(generator: dict[str, Any] | None) -> Text:
    """The generator's own check, in one line."""
    if not generator:
        return Text("the generator was not checked alone", style="yellow")
    lag = generator["lag_ms"].get("p99", 0.0)
    text = (
        f"the generator alone: {generator['rate']:,.0f}/s offered to a trivial server, "
        f"{generator['throughput']:,.0f}/s answered, sent p99 {lag:.1f} ms late, "
        f"{generator['cpu_pct']:.0f}% of a core"
    )
    if generator["trusted"] and not generator["errors"] and not generator["timeouts"]:
        return Text(text + ": it kept its schedule", style="green")
    return Text(text + ": it could NOT keep its schedule", style="bold red")


def markdown(doc: dict[str, Any]) -> str:
    """The summary and the deployments' limits, for the README."""
    return "\n\n".join(tables.markdown(t) for t in (summary(doc), limits(doc)))


def rendered(doc: dict[str, Any]) -> Group:
    """The experiment for the terminal."""
    parts: list[Any] = [generator_line(doc.get("generator"))]
    parts += [tables.rich(table) for table in all_tables(doc)]
    for deployment in doc["deployments"]:
        if deployment["error"]:
            parts.append(Text(f"{deployment['name']}: {deployment['error']}", style="red"))
    return Group(*parts)


def write_json(path: str, doc: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as file:
        json.dump(doc, file, indent=1)
        file.write("\n")


def write_charts(folder: str, doc: dict[str, Any]) -> list[Path]:
    """latency.png (p50 and p99 against offered rate), distribution.png (one rate)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    delay_ms = doc["plan"]["delay"] * 1000
    deployments: Sequence[dict[str, Any]] = [d for d in doc["deployments"] if d["steps"]]
    figure, axes = pyplot.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for axis, key in zip(axes, ("p50", "p99"), strict=True):
        for d in deployments:
            rates = [s["rate"] for s in d["steps"] if key in s["latency_ms"]]
            values = [s["latency_ms"][key] for s in d["steps"] if key in s["latency_ms"]]
            style = "-" if d["config"] == "tuned" else "--"
            axis.plot(rates, values, style, marker="o", markersize=3, label=d["name"])
        axis.axhline(2 * delay_ms, color="grey", linewidth=0.8, linestyle=":")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("offered rate, requests/s")
        axis.set_title(f"{key} latency from the intended send")
    axes[0].set_ylabel("ms")
    axes[1].legend(fontsize=7)
    figure.tight_layout()
    latency = out / "latency.png"
    figure.savefig(latency, dpi=110)
    pyplot.close(figure)

    rate = doc["plan"]["chart_rate"]
    figure, axis = pyplot.subplots(figsize=(7, 4.5))
    for d in deployments:
        found = [s for s in d["steps"] if s["rate"] == rate and s["distribution"]]
        if not found:
            continue
        points = [(p, v) for p, v in found[0]["distribution"] if p < 100]
        nines = [1 / (1 - p / 100) for p, _ in points]  # 1, 2, 10, 100, 1000: the tail opened up
        style = "-" if d["config"] == "tuned" else "--"
        axis.plot(nines, [v for _, v in points], style, marker="o", markersize=3, label=d["name"])
    axis.set_xscale("log")
    axis.set_yscale("log")
    ticks = [1, 2, 10, 100, 1000, 10000]
    axis.set_xticks(ticks, ["0", "50", "90", "99", "99.9", "99.99"])
    axis.set_xlabel("percentile")
    axis.set_ylabel("ms")
    axis.set_title(f"latency distribution at {rate:g} requests/s offered")
    axis.legend(fontsize=7)
    figure.tight_layout()
    distribution = out / "distribution.png"
    figure.savefig(distribution, dpi=110)
    pyplot.close(figure)
    return [latency, distribution]


def main(argv: list[str] | None = None) -> None:
    args, doc = documents.read_back("load", "the README's tables too", argv)
    Console(width=80).print(rendered(doc))
    if args.markdown:
        print(markdown(doc))
    if args.charts:
        for path in write_charts(args.charts, doc):
            print(f"chart written to {path}")


if __name__ == "__main__":
    main()
