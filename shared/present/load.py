"""The load experiment's figures: terminal tables (80 columns), JSON, charts.

Everything is drawn from the document (``shared.measure.load.document``), so
``python -m shared.present.load FILE [--charts DIR]`` remakes the tables and
charts of an earlier run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from shared import documents, tables
from shared.measure.load.document import DeploymentFigures, LoadDocument, LoadRun, Percentiles


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value / 1000:.1f} s"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def run_table(load: LoadRun) -> Table:
    """One generator run (``load --target``): its figures in a few rows."""
    table = Table(title=f"{load.target} at {load.rate:g}/s", title_justify="left",
                  box=None, show_header=False)  # fmt: skip
    table.add_column(style="bold")
    table.add_column()
    latency = load.latency_ms.named()
    percentiles = "  ".join(f"{k} {_ms(v)}" for k, v in latency) or "no answer"
    table.add_row("latency, ms", percentiles)
    table.add_row(
        "requests",
        f"{load.sent:,} sent, {load.ok:,} ok, {load.timeouts:,} timed out, "
        f"{sum(load.errors.values()):,} errors",
    )
    if load.errors:
        table.add_row("errors", ", ".join(f"{k}: {v:,}" for k, v in load.errors.items()))
    table.add_row("achieved", f"{load.throughput:,.0f} answers/s of {load.rate:g} offered")
    lag = load.lag_ms
    if lag.p99 is not None and lag.max is not None:
        table.add_row("schedule", f"sent p99 {lag.p99:.1f} ms late, max {lag.max:.1f} ms")
    table.add_row("generator", f"{load.cpu_pct:.0f}% of a core")
    for note in load.notes:
        table.add_row("note", Text(note, style="yellow"))
    table.add_row(
        "verdict",
        Text("trusted", style="green")
        if load.trusted
        else Text("UNTRUSTED: the generator fell behind its schedule", style="bold red"),
    )
    return table


def _whole(value: float | None) -> float | int | None:
    """A figure that is a whole number (a rate offered, a CPU share) written as one."""
    if value is None:
        return None
    return round(value) if abs(value) >= 10 or float(value).is_integer() else value


def steps(deployment: DeploymentFigures, delay: float) -> tables.Table:
    """A deployment's steps: offered rate, answers, percentiles, failures."""
    knee = deployment.knee
    table = tables.Table(
        f"{deployment.name}: {deployment.limits}",
        (
            tables.Column("offered", "/s"),
            tables.Column("done", "/s"),
            *(tables.Column(name, "ms") for name in Percentiles.NAMES),
            tables.Column("fail"),
        ),
        name=deployment.name.replace(" ", "-").replace("+", "-"),
    )
    for step in deployment.steps:
        table.add(
            _whole(step.rate),
            _whole(step.load.throughput),
            *step.load.latency_ms.values(),
            step.load.failed,
            flag="failed" if step.saturated else "",
        )
    knee_text = f"up to {knee:g}/s offered" if knee else "at no rate offered"
    table.notes.append(
        f"p99 under 2 x D = {2 * delay * 1000:.0f} ms {knee_text}; in red: saturated "
        "(under 90% answered, or over 1% failed)"
    )
    untrusted = [s.rate for s in deployment.steps if not s.load.trusted]
    if untrusted:
        rates = ", ".join(f"{r:g}" for r in untrusted)
        table.notes.append(f"untrusted, the generator fell behind its schedule: {rates}/s")
    return table


def cpu(deployment: DeploymentFigures) -> tables.Table:
    """Who used the CPU at each step: the generator, the upstream, the worker, the rest."""
    table = tables.Table(
        f"{deployment.name}: CPU, % of one core",
        (
            tables.Column("offered", "/s"),
            tables.Column("generator"),
            tables.Column("upstream"),
            tables.Column("worker"),
            tables.Column("others"),
        ),
    )
    for step in deployment.steps:
        shares = step.cpu_pct
        table.add(
            _whole(step.rate),
            *(_whole(share) for share in (shares.generator, shares.upstream, shares.worker,
                                          shares.others)),
            flag="failed" if step.saturated else "",
        )  # fmt: skip
    table.notes.append("others: every other program on the machine, from /proc/stat")
    return table


def summary(doc: LoadDocument) -> tables.Table:
    """One row per deployment: its knee, its saturation, wrk's cross-check."""
    delay_ms = doc.plan.delay * 1000
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
    for deployment in doc.deployments:
        wrk = deployment.wrk
        table.add(
            deployment.name,
            _whole(deployment.knee),
            _whole(deployment.saturation),
            _whole(wrk.requests_per_s) if wrk else None,
            deployment.wrk_ratio,
            deployment.cpu_ms_per_answer,
            flag="failed" if deployment.error else "",
        )
    table.notes += [
        f"knee: the highest offered rate whose p99 stays under 2 x D = {2 * delay_ms:.0f} ms",
        "saturates: the most answers per second at any offered rate (open loop)",
        "wrk: closed loop, 4 x saturation x D connections; ratio: saturates / wrk",
        "CPU: the worker's CPU per answer at the busiest rate it carried",
    ]
    return table


def limits(doc: LoadDocument) -> tables.Table:
    """What each deployment runs with: worker class and the limits that matter."""
    table = tables.Table(
        "the deployments",
        (tables.Column("deployment", align="left"), tables.Column("limits", align="left")),
    )
    for deployment in doc.deployments:
        worker = deployment.worker_class + " " + " ".join(deployment.options)
        table.add(deployment.name, f"{worker.strip()}; {deployment.limits}")
    return table


def all_tables(doc: LoadDocument) -> list[tables.Table]:
    """Every table of the experiment, in reading order (the report's page too)."""
    found = [limits(doc)]
    for deployment in doc.deployments:
        found += [steps(deployment, doc.plan.delay), cpu(deployment)]
    return [*found, summary(doc)]


def generator_line(generator: LoadRun | None) -> Text:
    """The generator's own check, in one line."""
    if not generator:
        return Text("the generator was not checked alone", style="yellow")
    lag = generator.lag_ms.p99 or 0.0
    text = (
        f"the generator alone: {generator.rate:,.0f}/s offered to a trivial server, "
        f"{generator.throughput:,.0f}/s answered, sent p99 {lag:.1f} ms late, "
        f"{generator.cpu_pct:.0f}% of a core"
    )
    if generator.trusted and not generator.errors and not generator.timeouts:
        return Text(text + ": it kept its schedule", style="green")
    return Text(text + ": it could NOT keep its schedule", style="bold red")


def markdown(doc: LoadDocument) -> str:
    """The summary and the deployments' limits, for the README."""
    return "\n\n".join(tables.markdown(t) for t in (summary(doc), limits(doc)))


def rendered(doc: LoadDocument) -> Group:
    """The experiment for the terminal."""
    parts: list[Any] = [generator_line(doc.generator)]
    parts += [tables.rich(table) for table in all_tables(doc)]
    for deployment in doc.deployments:
        if deployment.error:
            parts.append(Text(f"{deployment.name}: {deployment.error}", style="red"))
    return Group(*parts)


def write_charts(folder: str, doc: LoadDocument) -> list[Path]:
    """latency.png (p50 and p99 against offered rate), distribution.png (one rate)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    delay_ms = doc.plan.delay * 1000
    deployments = [d for d in doc.deployments if d.steps]
    figure, axes = pyplot.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    picks: list[tuple[str, Callable[[Percentiles], float | None]]] = [
        ("p50", lambda latency: latency.p50),
        ("p99", lambda latency: latency.p99),
    ]
    for axis, (key, pick) in zip(axes, picks, strict=True):
        for d in deployments:
            at = [(s.rate, pick(s.load.latency_ms)) for s in d.steps]
            rates = [rate for rate, value in at if value is not None]
            values = [value for _, value in at if value is not None]
            style = "-" if d.config == "tuned" else "--"
            axis.plot(rates, values, style, marker="o", markersize=3, label=d.name)
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

    rate = doc.plan.chart_rate
    figure, axis = pyplot.subplots(figsize=(7, 4.5))
    for d in deployments:
        found = [s for s in d.steps if s.rate == rate and s.load.distribution]
        if not found:
            continue
        points = [(p, v) for p, v in found[0].load.distribution if p < 100]
        nines = [1 / (1 - p / 100) for p, _ in points]  # 1, 2, 10, 100, 1000: the tail opened up
        style = "-" if d.config == "tuned" else "--"
        axis.plot(nines, [v for _, v in points], style, marker="o", markersize=3, label=d.name)
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
    args, doc = documents.read_back("load", LoadDocument, "the README's tables too", argv)
    Console(width=80).print(rendered(doc))
    if args.markdown:
        print(markdown(doc))
    if args.charts:
        for path in write_charts(args.charts, doc):
            print(f"chart written to {path}")


if __name__ == "__main__":
    main()
