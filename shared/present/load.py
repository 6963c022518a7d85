"""The load experiment's figures: terminal tables (80 columns), JSON, charts.

Everything is drawn from the document (``shared.measure.load.document``), so
``python -m shared.present.load FILE [--charts DIR]`` remakes the tables and
charts of an earlier run.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from shared import documents, tables
from shared.measure.load.document import (
    DeploymentFigures,
    LoadDocument,
    LoadRun,
    Plan,
    Spread,
    Step,
)


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value / 1000:.1f} s"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _all(load: LoadRun) -> str:
    """The percentiles of every request that counts, failures at the timeout as "≥ T"."""
    parts = []
    for name, value in load.latency_all_ms.named():
        shown = f"≥{_ms(load.timeout_ms)}" if load.at_timeout(value) else _ms(value)
        parts.append(f"{name} {shown}")
    return "  ".join(parts) or "nothing sent"


def run_table(load: LoadRun) -> Table:
    """One generator run (``load --target``): its figures in a few rows."""
    table = Table(title=f"{load.target} at {load.rate:g}/s", title_justify="left",
                  box=None, show_header=False)  # fmt: skip
    table.add_column(style="bold")
    table.add_column()
    latency = load.latency_ms.named()
    percentiles = "  ".join(f"{k} {_ms(v)}" for k, v in latency) or "no answer"
    table.add_row("answered, ms", percentiles)
    if load.failed:
        table.add_row("all, ms", _all(load))
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
    pool = load.connections.pool
    policy = f"a pool of {pool}" if pool else "one per waiting request"
    table.add_row("connections", f"{policy}: {load.connections.opened:,} opened, "
                  f"{load.connections.peak:,} at most at once")  # fmt: skip
    table.add_row("generator", f"{load.cpu_pct:.0f}% of a core")
    for note in load.notes:
        table.add_row("note", Text(note, style="yellow"))
    table.add_row(
        "verdict",
        Text("trusted", style="green")
        if load.trusted
        else Text("UNTRUSTED: see the notes", style="bold red"),
    )
    return table


def _whole(value: float | None) -> float | int | None:
    """A figure that is a whole number (a rate offered, a CPU share) written as one."""
    if value is None:
        return None
    return round(value) if abs(value) >= 10 or float(value).is_integer() else value


def _spread(values: Sequence[float | None]) -> tables.Value:
    """Several repeats' values of one figure as one cell: ``median (min-max)``."""
    found = [v for v in values if v is not None]
    if not found:
        return None
    spread = tables.Spread.of(found)
    if all(float(v).is_integer() or abs(v) >= 10 for v in found):
        return tables.Spread(*(round(v) for v in (spread.median, spread.low, spread.high)))
    return spread


def _cell(spread: Spread, *, floor: bool = False) -> tables.Value:
    """A document's spread as a cell; ``floor``: the ladder never saturated ("≥")."""
    if spread.median is None or spread.low is None or spread.high is None:
        return None
    cell = _spread([v for v in spread.values if v is not None])
    return f"≥{tables.text(cell)}" if floor else cell


def by_rate(deployment: DeploymentFigures) -> dict[float, list[Step]]:
    """The deployment's steps grouped by rate offered, each group one step per repeat."""
    found: dict[float, list[Step]] = {}
    for step in deployment.steps:
        found.setdefault(step.rate, []).append(step)
    return dict(sorted(found.items()))


def steps(deployment: DeploymentFigures, plan: Plan) -> tables.Table:
    """A deployment's steps: per rate offered, the median and range over the repeats."""
    table = tables.Table(
        f"{deployment.name}: {deployment.limits}",
        (
            tables.Column("offered", "/s"),
            tables.Column("done", "/s"),
            tables.Column("p50", "ms"),
            tables.Column("p99", "ms"),
            tables.Column("p99 all", "ms"),
            tables.Column("fail"),
        ),
        name=deployment.name.replace(" ", "-").replace("+", "-"),
    )
    for rate, found in by_rate(deployment).items():
        loads = [s.load for s in found]
        all_p99 = [load.latency_all_ms.p99 for load in loads]
        cell = _spread(all_p99)
        if any(load.at_timeout(v) for load, v in zip(loads, all_p99, strict=True)):
            cell = f"≥{tables.text(cell)}"
        table.add(
            _whole(rate),
            _spread([load.throughput for load in loads]),
            _spread([load.latency_ms.p50 for load in loads]),
            _spread([load.latency_ms.p99 for load in loads]),
            cell,
            sum(load.failed for load in loads),
            flag="failed" if any(s.saturated for s in found) else "",
        )
    repeats = len({s.repeat for s in deployment.steps})
    table.notes.append(
        f"median (range) over {repeats} repeat(s); p99 all: failures counted at the "
        f"timeout (≥); the knee's bound: p99 all under {plan.budget_ms:.0f} ms; in red: "
        "saturated (under 90% answered, or over 1% failed)"
    )
    untrusted = [s for s in deployment.steps if not s.load.trusted]
    if untrusted:
        rates = ", ".join(sorted({f"{s.rate:g}" for s in untrusted}))
        why = untrusted[0].load.notes
        table.notes.append(f"UNTRUSTED figures at {rates}/s" + (f": {why[0]}" if why else ""))
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
            tables.Column("beside it"),
            tables.Column("others"),
        ),
    )
    for rate, found in by_rate(deployment).items():
        shares = [s.cpu_pct for s in found]
        table.add(
            _whole(rate),
            _whole(_median([c.generator for c in shares])),
            _whole(_median([c.upstream for c in shares])),
            _whole(_median([c.worker for c in shares])),
            _whole(_median([c.core_others for c in shares])),
            _whole(_median([c.others for c in shares])),
            flag="failed" if any(s.saturated for s in found) else "",
        )
    table.notes.append(
        "medians over the repeats; beside it: everything else on the worker's own CPU; "
        "others: every other program on the machine, from /proc/stat"
    )
    return table


def _median(values: Sequence[float | None]) -> float | None:
    found = sorted(v for v in values if v is not None)
    return statistics.median(found) if found else None


#: The mark of a figure the generator could not vouch for, in every form of a table.
MARK = "?"


def untrusted_saturation(deployment: DeploymentFigures) -> bool:
    """Whether some repeat's saturation came from an untrusted step."""
    repeats = {s.repeat for s in deployment.steps}
    for repeat in repeats:
        steps = [s for s in deployment.steps if s.repeat == repeat]
        busiest = max(steps, key=lambda s: s.load.throughput)
        if not busiest.load.trusted:
            return True
    return False


def summary(doc: LoadDocument) -> tables.Table:
    """One row per deployment: its knee, its saturation, wrk's cross-check, CPU per answer."""
    plan = doc.plan
    cost = f"D = {plan.delay * 1000:g} ms" + (f", C = {plan.cpu_ms:g} ms" if plan.cpu_ms else "")
    table = tables.Table(
        f"As a service: {cost}, one worker",
        (
            tables.Column("deployment", align="left"),
            tables.Column("knee", "/s"),
            tables.Column("saturates", "/s"),
            tables.Column("wrk", "/s"),
            tables.Column("CPU", "ms/req"),
        ),
        name="as-a-service",
    )
    doubtful = False
    for deployment in doc.deployments:
        saturation = _cell(deployment.saturation, floor=not deployment.reached)
        if untrusted_saturation(deployment):
            saturation, doubtful = f"{tables.text(saturation)} {MARK}", True
        table.add(
            deployment.name,
            _cell(deployment.knee),
            saturation,
            _spread([w.requests_per_s for w in deployment.wrk]),
            _cell(deployment.cpu_ms_per_answer),
            flag="failed" if deployment.error else "",
        )
    if doubtful:
        table.notes.append(
            f"{MARK}: in some repeat the most answers came at a step whose figures the "
            "generator could not vouch for (it fell behind or ran out of connections): "
            "wrk's closed loop is then the better figure"
        )
    table.notes += [
        f"median (range) over {plan.repeats} repeat(s), deployments interleaved",
        f"knee: the highest offered rate whose p99 (failures at the timeout) stays under "
        f"2 x (D + C) = {plan.budget_ms:.0f} ms",
        "saturates: the most answers per second at any rate (open loop); ≥: the ladder "
        "never saturated it",
        "wrk: closed loop, 4 x saturation x (D + C) connections",
        "CPU: the worker's CPU per answer at the busiest rate it carried",
    ]
    return table


def layers(doc: LoadDocument) -> tables.Table | None:
    """Each deployed stack beside its model alone: what the stack adds to the cost.

    The bare services share one C parser, so a model's bare figures are the model's
    cost; what its deployed stacks cost beyond that is theirs. None when the run had
    no pair to set side by side.
    """
    bare = {d.model: d for d in doc.deployments if d.server == "bare"}
    pairs = [(d, bare[d.model.split("+")[0]]) for d in doc.deployments
             if d.server != "bare" and d.model.split("+")[0] in bare]  # fmt: skip
    if not pairs:
        return None
    table = tables.Table(
        "the model alone, and the stack deployed",
        (
            tables.Column("deployment", align="left"),
            tables.Column("CPU", "ms/req"),
            tables.Column("alone"),
            tables.Column("stack's", "%"),
            tables.Column("saturates", "/s"),
            tables.Column("alone", "/s"),
        ),
        name="layers",
    )
    for deployed, alone in pairs:
        cost, own = deployed.cpu_ms_per_answer.median, alone.cpu_ms_per_answer.median
        share = None
        if cost and own is not None:
            share = round(100 * (cost - own) / cost)
        table.add(
            deployed.name,
            cost,
            own,
            share,
            _cell(deployed.saturation, floor=not deployed.reached),
            _cell(alone.saturation, floor=not alone.reached),
        )
    table.notes += [
        "CPU: the worker's per answer (medians); alone: the same model's bare service, "
        "on the same C parser as the other two models' (httptools)",
        "stack's %: the share of the deployed cost that the stack (server, framework, "
        "client) adds to the model's own",
    ]
    return table


def cross_checks(doc: LoadDocument) -> tables.Table:
    """k6 beside the generator at one rate under each deployment's knee."""
    table = tables.Table(
        "k6 beside the generator, under the knee",
        (
            tables.Column("deployment", align="left"),
            tables.Column("rate", "/s"),
            tables.Column("p50", "ms"),
            tables.Column("k6 p50", "ms"),
            tables.Column("p99", "ms"),
            tables.Column("k6 p99", "ms"),
        ),
        name="k6",
    )
    for deployment in doc.deployments:
        check = deployment.cross_check
        if check is None:
            continue
        k6 = check.k6.latency_ms if check.k6 else None
        table.add(
            deployment.name,
            _whole(check.rate),
            check.generator.p50,
            k6.p50 if k6 else None,
            check.generator.p99,
            k6.p99 if k6 else None,
        )
    table.notes.append(
        "the generator times each request from its intended send, k6 from its actual "
        "send (constant-arrival-rate): under the knee they should agree"
    )
    for deployment in doc.deployments:
        check = deployment.cross_check
        if check and check.k6 and (check.k6.dropped or check.k6.failed):
            table.notes.append(
                f"{deployment.name}: k6 dropped {check.k6.dropped:,} and failed "
                f"{check.k6.failed:,} of its requests, so its p99 is too low"
            )
    return table


def limits(doc: LoadDocument) -> tables.Table:
    """What each deployment runs with: what serves it and the limits that matter."""
    table = tables.Table(
        "the deployments",
        (tables.Column("deployment", align="left"), tables.Column("limits", align="left")),
    )
    for deployment in doc.deployments:
        if deployment.server == "gunicorn":
            how = f"gunicorn {deployment.worker_class} {' '.join(deployment.options)}".strip()
        else:
            how = "the model alone"
        table.add(deployment.name, f"{how}; {deployment.limits}")
    return table


def all_tables(doc: LoadDocument) -> list[tables.Table]:
    """Every table of the experiment, in reading order (the report's page too)."""
    found = [limits(doc)]
    for deployment in doc.deployments:
        found += [steps(deployment, doc.plan), cpu(deployment)]
    found.append(summary(doc))
    both = layers(doc)
    if both is not None:
        found.append(both)
    if any(d.cross_check for d in doc.deployments):
        found.append(cross_checks(doc))
    return found


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
    return Text(
        text + ": it could NOT keep its schedule (every figure untrusted)", style="bold red"
    )


def layout_line(doc: LoadDocument) -> Text:
    """Where each process ran."""
    layout = doc.layout
    if layout is None:
        return Text("nothing pinned: the service shared every CPU with the generator",
                    style="yellow")  # fmt: skip
    worker = ",".join(str(c) for c in layout.worker)
    rest = ",".join(str(c) for c in layout.rest)
    return Text(f"CPUs: the service's worker on {worker}, the generator and the rest on {rest}")


def untrusted_line(doc: LoadDocument) -> str:
    """Why the run's figures are not evidence, in one line (exit status 5)."""
    if doc.generator is None or not doc.generator.trusted:
        return "figures untrusted: the generator failed its own check"
    steps = sum(not s.load.trusted for d in doc.deployments for s in d.steps)
    return f"figures untrusted: {steps} step(s) where the generator's figures are not evidence"


def markdown(doc: LoadDocument) -> str:
    """The summary, the cross-check and the deployments' limits, for the docs."""
    found = [summary(doc)]
    both = layers(doc)
    if both is not None:
        found.append(both)
    if any(d.cross_check for d in doc.deployments):
        found.append(cross_checks(doc))
    return "\n\n".join(tables.markdown(t) for t in (*found, limits(doc)))


def rendered(doc: LoadDocument) -> Group:
    """The experiment for the terminal."""
    parts: list[Any] = [generator_line(doc.generator), layout_line(doc)]
    parts += [tables.rich(table) for table in all_tables(doc)]
    for deployment in doc.deployments:
        if deployment.error:
            parts.append(Text(f"{deployment.name}: {deployment.error}", style="red"))
    return Group(*parts)


#: One colour per model in every chart (asyncio's stacks in shades of blue), one line
#: style per configuration.
COLOURS = {
    "asyncio": "#1f5fa8",
    "asyncio+uvloop": "#4f9be0",
    "asyncio+uvicorn": "#8cc2f0",
    "gevent": "#2e8b3a",
    "threads": "#d9731a",
}
STYLES = {"tuned": "-", "bare": "-.", "defaults": ":"}


def _line(deployment: DeploymentFigures) -> dict[str, Any]:
    return {
        "color": COLOURS.get(deployment.model, "grey"),
        "linestyle": STYLES.get(deployment.config, "--"),
        "label": deployment.name,
    }


def write_charts(folder: str, doc: LoadDocument) -> list[Path]:
    """latency.png (p50 and p99 against offered rate, median and range over the
    repeats), throughput.png (answered against offered), distribution.png (one rate)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot
    from matplotlib.ticker import ScalarFormatter

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    budget = doc.plan.budget_ms
    deployments = [d for d in doc.deployments if d.steps]

    def plain(axis: Any) -> None:
        for which in (axis.xaxis, axis.yaxis):
            formatter = ScalarFormatter()
            formatter.set_scientific(False)
            which.set_major_formatter(formatter)

    figure, axes = pyplot.subplots(1, 2, figsize=(11, 4.8), sharey=True)
    picks: list[tuple[str, Callable[[LoadRun], float | None]]] = [
        ("p50", lambda load: load.latency_ms.p50),
        ("p99, failures at the timeout", lambda load: load.latency_all_ms.p99),
    ]
    for axis, (key, pick) in zip(axes, picks, strict=True):
        for d in deployments:
            rates, medians, lows, highs = [], [], [], []
            for rate, found in by_rate(d).items():
                values = [v for v in (pick(s.load) for s in found) if v is not None]
                if values:
                    median = statistics.median(values)
                    rates.append(rate)
                    medians.append(median)
                    lows.append(median - min(values))
                    highs.append(max(values) - median)
            axis.errorbar(rates, medians, yerr=[lows, highs], marker="o", markersize=3,
                          capsize=2, linewidth=1.2, **_line(d))  # fmt: skip
        axis.axhline(budget, color="grey", linewidth=0.8, linestyle=":")
        axis.annotate(f"knee's bound, {budget:.0f} ms", (0.01, budget), xycoords=("axes fraction",
                      "data"), fontsize=7, color="grey", va="bottom")  # fmt: skip
        axis.set_xscale("log")
        axis.set_yscale("log")
        plain(axis)
        axis.set_xlabel("offered rate, requests/s")
        axis.set_title(f"{key}, from the intended send", fontsize=10)
    axes[0].set_ylabel("ms (median and range over the repeats)")
    axes[1].legend(fontsize=7)
    figure.tight_layout()
    latency = out / "latency.png"
    figure.savefig(latency, dpi=110)
    pyplot.close(figure)

    figure, axis = pyplot.subplots(figsize=(7, 4.8))
    top = max((s.rate for d in deployments for s in d.steps), default=1.0)
    axis.plot([1, top], [1, top], color="grey", linewidth=0.8, linestyle=":")
    axis.annotate("answered = offered", (top, top), fontsize=7, color="grey", ha="right")
    for d in deployments:
        points = [(rate, statistics.median(s.load.throughput for s in found))
                  for rate, found in by_rate(d).items()]  # fmt: skip
        axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3,
                  **_line(d))  # fmt: skip
    axis.set_xscale("log")
    axis.set_yscale("log")
    plain(axis)
    axis.set_xlabel("offered, requests/s")
    axis.set_ylabel("answered, requests/s (median over the repeats)")
    axis.set_title("what each deployment carried of what it was offered", fontsize=10)
    axis.legend(fontsize=7)
    figure.tight_layout()
    throughput = out / "throughput.png"
    figure.savefig(throughput, dpi=110)
    pyplot.close(figure)

    rate = doc.plan.chart_rate
    figure, axis = pyplot.subplots(figsize=(7, 4.8))
    for d in deployments:
        found = [s for s in d.steps if s.rate == rate and s.load.distribution_all]
        if not found:
            continue
        points = [(p, v) for p, v in found[0].load.distribution_all if p < 100]
        nines = [1 / (1 - p / 100) for p, _ in points]  # 1, 2, 10, 100, 1000: the tail opened up
        axis.plot(nines, [v for _, v in points], marker="o", markersize=3, **_line(d))
    axis.set_xscale("log")
    axis.set_yscale("log")
    ticks = [1, 2, 10, 100, 1000, 10000]
    axis.set_xticks(ticks, ["0", "50", "90", "99", "99.9", "99.99"])
    formatter = ScalarFormatter()
    formatter.set_scientific(False)
    axis.yaxis.set_major_formatter(formatter)
    axis.set_xlabel("percentile")
    axis.set_ylabel("ms, failures at the timeout")
    axis.set_title(f"latency distribution at {rate:g} requests/s offered (first repeat)",
                   fontsize=10)  # fmt: skip
    axis.legend(fontsize=7)
    figure.tight_layout()
    distribution = out / "distribution.png"
    figure.savefig(distribution, dpi=110)
    pyplot.close(figure)
    return [latency, throughput, distribution]


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
