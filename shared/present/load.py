"""The load experiment's figures: terminal tables (80 columns), JSON, charts.

Everything is drawn from the document (``shared.measure.load.document``), so
``python -m shared.present.load FILE [--charts DIR]`` remakes the tables and
charts of an earlier run.

* The tables mark a figure in its text, so that Markdown and HTML keep what the
  terminal shows: ``!`` a rate some repeat could not carry, ``?`` a figure the
  generator could not vouch for, ``≥`` one at the timeout or a floor.
* ``verdict``: the run in a few sentences, the end of ``load``'s output and the
  top of the report's service page.
* ``figures`` and ``write_charts``: latency, throughput and the latency spectrum
  (``CHARTS``), on the palette and marks of ``shared.present.charts``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from shared.present import charts

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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


#: The mark of a figure the generator could not vouch for, in every form of a table.
MARK = "?"
#: The mark of a rate some repeat could not carry (saturated), in every form of a
#: table: a mark rather than a row's colour, which Markdown would drop (and whose
#: word there, "failed", would say something else).
SATURATED = "!"


def offered(rate: float, found: Sequence[Step]) -> str:
    """A rate offered as its table's first cell: marked ``!`` where some repeat saturated
    there, ``?`` where some repeat's figures were not trusted."""
    marks = (SATURATED if any(s.saturated for s in found) else "") + (
        MARK if any(not s.load.trusted for s in found) else ""
    )
    return f"{tables.text(_whole(rate))} {marks}".strip()


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
            offered(rate, found),
            _spread([load.throughput for load in loads]),
            _spread([load.latency_ms.p50 for load in loads]),
            _spread([load.latency_ms.p99 for load in loads]),
            cell,
            sum(load.failed for load in loads),
        )
    repeats = len({s.repeat for s in deployment.steps})
    table.notes.append(
        f"median (range) over {repeats} repeat(s); p99 all: failures counted at the "
        f"timeout (≥); the knee's bound: p99 all under {plan.budget_ms:.0f} ms; "
        f"{SATURATED}: saturated in some repeat (under 90% answered, or over 1% failed)"
    )
    untrusted = [s for s in deployment.steps if not s.load.trusted]
    if untrusted:
        rates = ", ".join(f"{r:g}" for r in sorted({s.rate for s in untrusted}))
        why = untrusted[0].load.notes
        table.notes.append(
            f"{MARK}: UNTRUSTED figures in some repeat, at {rates}/s"
            + (f": {why[0]}" if why else "")
        )
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
            offered(rate, found),
            _whole(_median([c.generator for c in shares])),
            _whole(_median([c.upstream for c in shares])),
            _whole(_median([c.worker for c in shares])),
            _whole(_median([c.core_others for c in shares])),
            _whole(_median([c.others for c in shares])),
        )
    table.notes.append(
        "medians over the repeats; beside it: everything else on the worker's own CPU; "
        f"others: every other program on the machine, from /proc/stat; {SATURATED} and "
        f"{MARK}: as in the steps' table"
    )
    return table


def _median(values: Sequence[float | None]) -> float | None:
    found = sorted(v for v in values if v is not None)
    return statistics.median(found) if found else None


def untrusted_saturation(deployment: DeploymentFigures) -> bool:
    """Whether some repeat's saturation came from an untrusted step."""
    repeats = {s.repeat for s in deployment.steps}
    for repeat in repeats:
        steps = [s for s in deployment.steps if s.repeat == repeat]
        busiest = max(steps, key=lambda s: s.load.throughput)
        if not busiest.load.trusted:
            return True
    return False


def saturation_cell(deployment: DeploymentFigures) -> tables.Value:
    """A deployment's saturation as a cell: ``≥`` when a ladder never saturated it (a
    floor), ``?`` when some repeat's came from a step the generator could not vouch for."""
    cell = _cell(deployment.saturation, floor=not deployment.reached)
    if untrusted_saturation(deployment):
        return f"{tables.text(cell)} {MARK}"
    return cell


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
        doubtful = doubtful or untrusted_saturation(deployment)
        table.add(
            f"{deployment.name} (failed)" if deployment.error else deployment.name,
            _cell(deployment.knee),
            saturation_cell(deployment),
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
    table.notes += [f"{d.name} failed: {d.error}" for d in doc.deployments if d.error]
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
            saturation_cell(deployed),
            saturation_cell(alone),
        )
    table.notes += [
        "CPU: the worker's per answer (medians); alone: the same model's bare service, "
        "on the same C parser as the other two models' (httptools)",
        "stack's %: the share of the deployed cost that the stack (server, framework, "
        "client) adds to the model's own; ≥ and ?: as in the table above",
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
    steps = sum(not s.load.trusted for s in doc.all_steps())
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
    parts.append(Text("verdict", style="bold"))
    parts += [Text(f"· {line}") for line in verdict(doc)]
    return Group(*parts)


# -- the verdict -----------------------------------------------------------------


def _saturation_words(deployment: DeploymentFigures) -> str:
    """A saturation's median in words, with its marks: "≥3,200", "3,763 ?", "no figure"."""
    median = deployment.saturation.median
    if median is None:
        return "no figure"
    floor = "" if deployment.reached else "≥"
    doubt = f" {MARK}" if untrusted_saturation(deployment) else ""
    return f"{floor}{tables.number(round(median))}{doubt}"


def verdict(doc: LoadDocument) -> list[str]:
    """The run in a few sentences, from its figures: where each deployment saturates,
    how far apart they are, where the knee comes, and whether the figures are evidence.
    The end of ``load``'s output and the top of its report page."""
    plan = doc.plan
    cost = f"D = {plan.delay * 1000:g} ms" + (f", C = {plan.cpu_ms:g} ms" if plan.cpu_ms else "")
    measured = [d for d in doc.deployments if d.saturation.median]
    ranked = sorted(measured, key=lambda d: d.saturation.median or 0.0)
    ranked += [d for d in doc.deployments if not d.saturation.median]
    listed = ", ".join(f"{d.name} {_saturation_words(d)}" for d in ranked)
    said = [
        f"Saturates ({cost}, one worker; answers/s, the median of {plan.repeats} "
        f"repeat(s)): {listed}."
    ]
    said += _spread_sentences(measured)
    knees = [(d, d.knee.median / (d.saturation.median or 1.0)) for d in measured if d.knee.median]
    if knees:
        low, high = min(knees, key=lambda k: k[1]), max(knees, key=lambda k: k[1])
        where = f"{low[1]:.0%} ({low[0].name})"
        if f"{low[1]:.0%}" != f"{high[1]:.0%}":
            where += f" to {high[1]:.0%} ({high[0].name})"
        said.append(
            f"The knee, the most a deployment takes with its p99 under {_bound(plan)}, comes "
            f"at {where} of its saturation."
        )
    said.append(_trust_sentence(doc))
    return said


def _spread_sentences(measured: Sequence[DeploymentFigures]) -> list[str]:
    """How many times the fastest carries the slowest, deployed and alone."""
    said = []
    places = {"gunicorn": "Deployed under gunicorn", "bare": "Alone, on one parser"}
    for server, words in places.items():
        found = [d for d in measured if d.server == server]
        if len(found) < 2:
            continue
        ranked = sorted(found, key=lambda d: d.saturation.median or 0.0)
        slow, fast = ranked[0], ranked[-1]
        times = (fast.saturation.median or 0.0) / (slow.saturation.median or 1.0)
        said.append(
            f"{words}, the fastest ({fast.name}) carries {times:.1f} times what the slowest "
            f"({slow.name}) does."
        )
    return said


def _trust_sentence(doc: LoadDocument) -> str:
    if doc.generator is None or not doc.generator.trusted:
        return "UNTRUSTED: the generator failed its own check, so no figure is evidence."
    every = doc.all_steps()
    doubtful = [s for s in every if not s.load.trusted]
    if not doubtful:
        return (
            "Trusted: the generator passed its own check, kept every step's schedule and "
            "opened every connection it needed."
        )
    past = sum(s.saturated for s in doubtful)
    return (
        f"Not all trusted: the generator could not vouch for {len(doubtful)} of "
        f"{len(every)} steps ({past} of them saturated, where it fell behind or ran out of "
        f"connections); a saturation marked {MARK} came from one, and wrk's closed loop is "
        "then the better figure."
    )


# -- charts -----------------------------------------------------------------------

#: What each chart shows, for an image's alternative text and the report's captions.
CHARTS = {
    "latency": "p50 and p99 against the offered rate, per deployment: the knees, the "
    "2 x (D + C) bound, the saturated and untrusted steps marked",
    "throughput": "answers per second against the rate offered, per deployment: each "
    "one's saturation marked",
    "spectrum": "each deployment's latency at every percentile, at a half and at four "
    "fifths of its saturation",
}

#: The spectrum's percentiles as ticks: at 1 / (1 - p), so that each nine has its room.
SPECTRUM_TICKS = {"50%": 2.0, "90%": 10.0, "99%": 100.0, "99.9%": 1000.0, "99.99%": 10000.0}

#: The words for a spectrum step's share of the saturation.
SHARES = {0.5: "a half", 0.8: "four fifths"}


@dataclass(frozen=True)
class Point:
    """One rate of a deployment's ladder as a chart draws it: the median over the
    repeats, its range, and what marks it."""

    rate: float
    median: float
    low: float
    high: float
    saturated: bool
    trusted: bool


def series(deployment: DeploymentFigures, pick: Callable[[LoadRun], float | None]) -> list[Point]:
    """A figure of each rate the deployment was offered, over its repeats."""
    found = []
    for rate, group in by_rate(deployment).items():
        values = [v for v in (pick(s.load) for s in group) if v is not None]
        if values:
            found.append(Point(rate, statistics.median(values), min(values), max(values),
                               any(s.saturated for s in group),
                               all(s.load.trusted for s in group)))  # fmt: skip
    return found


def _errorbar(axes: Axes, deployment: DeploymentFigures, points: Sequence[Point]) -> None:
    """A deployment's line, its range over the repeats, its saturated and untrusted marks."""
    axes.errorbar(
        [p.rate for p in points],
        [p.median for p in points],
        yerr=[[p.median - p.low for p in points], [p.high - p.median for p in points]],
        marker="o",
        markersize=3,
        capsize=2,
        linewidth=1.4,
        gid=deployment.name,
        **{**charts.style(deployment.name, deployment.config), "label": None},
    )
    saturated = [p for p in points if p.saturated]
    charts.mark_saturated(axes, [p.rate for p in saturated], [p.median for p in saturated],
                          "saturated (some repeat)")  # fmt: skip
    doubtful = [p for p in points if not p.trusted]
    charts.mark_untrusted(axes, [p.rate for p in doubtful], [p.median for p in doubtful],
                          "untrusted (some repeat)")  # fmt: skip


def _mark(axes: Axes, x: float, y: float, name: str, marker: str, label: str, *,
          hollow: bool = False) -> None:  # fmt: skip
    """One point of a deployment pointed out in its colour, its meaning in the legend
    once, in grey: the mark is every deployment's, not the first one's."""
    tint = charts.colour(name)
    axes.scatter([x], [y], s=80, marker=marker, zorder=7, linewidths=1.4, edgecolors=tint,
                 facecolors="white" if hollow else tint, gid=f"{name} {label}")  # fmt: skip
    if shown := charts.legend_once(axes, label):
        axes.scatter([], [], s=80, marker=marker, linewidths=1.4, edgecolors=charts.GREY,
                     facecolors="white" if hollow else charts.GREY, label=shown)  # fmt: skip


def _legend(
    figure: Figure, deployments: Sequence[DeploymentFigures], marks: Sequence[Axes]
) -> None:
    models = list(dict.fromkeys(d.model for d in deployments))
    configs = list(dict.fromkeys(d.config for d in deployments))
    charts.legend(figure, models, configs, marks, loc="outside lower center", ncols=5)


def _bound(plan: Plan) -> str:
    """The knee's bound as its line is labelled: "2 x D = 100 ms"."""
    costs = "2 x D" if not plan.cpu_ms else "2 x (D + C)"
    return f"{costs} = {plan.budget_ms:g} ms"


def latency_figure(doc: LoadDocument) -> Figure:
    """p50 and p99 (failures at the timeout) against the offered rate: a line per
    deployment, median and range over the repeats; the knees, the knee's bound, the
    timeout, the saturated and untrusted steps marked."""
    plan = doc.plan
    deployments = [d for d in doc.deployments if d.steps]
    figure, (p50, p99) = charts.new_figure(12, 5, panels=2)
    picks: list[tuple[Axes, Callable[[LoadRun], float | None], str]] = [
        (p50, lambda load: load.latency_ms.p50, "p50 of the answers"),
        (p99, lambda load: load.latency_all_ms.p99, "p99, failures counted at the timeout"),
    ]
    timed_out = False
    drawn = []
    for axes, pick, title in picks:
        found = [(deployment, series(deployment, pick)) for deployment in deployments]
        if not any(points for _, points in found):
            axes.set_title(title)
            charts.no_figure(axes, "No figure: not one request was answered, at any rate.")
            continue
        drawn.append(axes)
        for deployment, points in found:
            _errorbar(axes, deployment, points)
            timed_out = timed_out or any(
                s.load.at_timeout(s.load.latency_all_ms.p99) for s in deployment.steps
            )
        charts.hline(axes, plan.budget_ms, _bound(plan), where="left")
        axes.set(xscale="log", yscale="log", xlabel="offered, requests/s", title=title)
        axes.grid(True, which="major", alpha=0.3)
    if timed_out and p99 in drawn:
        charts.hline(p99, plan.timeout * 1000, f"the timeout, {plan.timeout:g} s", where="left",
                     below=True)  # fmt: skip
    # The knees on the bound they are defined by, one under the other where they coincide.
    seen: dict[float, int] = {}
    for deployment in deployments if p99 in drawn else []:
        knee = deployment.knee.median
        if knee:
            below = seen[knee] = seen.get(knee, -1) + 1
            label = f"knee (median): p99 under {plan.budget_ms:g} ms up to it"
            _mark(p99, knee, plan.budget_ms * 0.9**below, deployment.name, "D", label,
                  hollow=True)  # fmt: skip
    if drawn == [p50, p99]:
        p50.set_ylim(p99.get_ylim())  # one scale for both: the p50 reads against the p99
    for axes in drawn:
        charts.plain_ticks(axes)
    p50.set_ylabel(f"ms from the intended send\n(median and range over {plan.repeats} repeat(s))")
    figure.suptitle(f"Latency against the offered rate: one worker, D = {plan.delay * 1000:g} ms")
    _legend(figure, deployments, [p99, p50])
    return figure


def throughput_figure(doc: LoadDocument) -> Figure:
    """Answers per second against the rate offered: a line per deployment, median and
    range over the repeats, against answered = offered; each one's saturation marked."""
    plan = doc.plan
    deployments = [d for d in doc.deployments if d.steps]
    figure, (axes,) = charts.new_figure(10, 5.5)
    # From under a third of the least saturation: the rates every deployment carries
    # lie on answered = offered, and would take the chart's room from where they part.
    rates = [s.rate for d in deployments for s in d.steps] or [1.0]
    least = min((d.saturation.median for d in deployments if d.saturation.median), default=0.0)
    low, high = max(min(rates), least / 3) / 1.2, max(rates) * 1.2
    axes.plot([low, high], [low, high], color=charts.GREY, linestyle=":", linewidth=1)
    axes.annotate("answered = offered", (low * 1.5, low * 1.5), xytext=(4, -4),
                  textcoords="offset points", rotation=0, fontsize="small", color=charts.GREY,
                  va="top")  # fmt: skip
    for deployment in deployments:
        points = series(deployment, lambda load: load.throughput)
        _errorbar(axes, deployment, points)
        saturation = deployment.saturation.median
        if saturation and points:
            peak = max(points, key=lambda p: p.median)
            label = "saturation (median)" if deployment.reached else "a floor: never saturated"
            _mark(axes, peak.rate, saturation, deployment.name, "*", label,
                  hollow=not deployment.reached)  # fmt: skip
    axes.set(xscale="log", yscale="log", xlim=(low, high), ylim=(low, high),
             xlabel="offered, requests/s",
             ylabel=f"answered, requests/s (median and range over {plan.repeats} repeat(s))",
             title="What each deployment answered of what it was offered (open loop)")  # fmt: skip
    charts.plain_ticks(axes)
    axes.grid(True, which="major", alpha=0.3)
    _legend(figure, deployments, [axes])
    return figure


def spectrum_figure(doc: LoadDocument) -> Figure:
    """Each deployment's latency at every percentile (failures at the timeout), at each
    share of its saturation the run measured (``SpectrumStep``): a panel per share.
    A document with none says so in the chart's place."""
    from matplotlib.ticker import LogLocator, NullLocator

    plan = doc.plan
    shares = sorted({s.share for d in doc.deployments for s in d.spectrum})
    if not shares:
        figure, (axes,) = charts.new_figure(8, 2.5)
        axes.set_axis_off()
        axes.text(0.5, 0.5, "No latency spectrum in this file: it was made before the load\n"
                  "experiment measured each deployment at a half and four fifths of its\n"
                  "saturation: concurrency-compare load measures them.", ha="center",
                  va="center", transform=axes.transAxes, color=charts.GREY)  # fmt: skip
        return figure
    figure, panels = charts.new_figure(6 * len(shares), 5, panels=len(shares))
    for axes, share in zip(panels, shares, strict=True):
        timed_out = False
        for deployment in doc.deployments:
            step = next((s for s in deployment.spectrum if s.share == share), None)
            if step is None or not step.load.distribution_all:
                continue
            points = [(p, ms) for p, ms in step.load.distribution_all if p < 100]
            xs = [1 / (1 - p / 100) for p, _ in points]
            ys = [ms for _, ms in points]
            shown = charts.style(deployment.name, deployment.config)
            shown["label"] = f"{deployment.name}, {tables.number(int(step.rate))}/s"
            axes.plot(xs, ys, marker="o", markersize=3, linewidth=1.4, gid=deployment.name,
                      **shown)  # fmt: skip
            if not step.load.trusted:
                charts.mark_untrusted(axes, xs[-1:], ys[-1:])
            if step.saturated:
                charts.mark_saturated(axes, xs[-1:], ys[-1:])
            timed_out = timed_out or any(step.load.at_timeout(ms) for ms in ys)
        charts.hline(axes, plan.budget_ms, _bound(plan), where="left")
        if timed_out:
            charts.hline(axes, plan.timeout * 1000, f"the timeout, {plan.timeout:g} s",
                         where="left", below=True)  # fmt: skip
        words = SHARES.get(share, f"{share:.0%}")
        axes.set(xscale="log", yscale="log", xlim=(1, 2e4), xlabel="percentile",
                 title=f"at {words} of each one's saturation")  # fmt: skip
        axes.set_xticks(list(SPECTRUM_TICKS.values()), list(SPECTRUM_TICKS))
        axes.xaxis.set_minor_locator(NullLocator())
        charts.plain_ticks(axes, "y")
        low, high = axes.get_ylim()
        if high < 15 * low:  # a decade or so: ticks at every step of it, not 50 and 100 only
            axes.yaxis.set_major_locator(LogLocator(subs=(1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9)))
        axes.grid(True, which="major", alpha=0.3)
        handles, labels = axes.get_legend_handles_labels()
        # The deployments' lines (a gid each), then the marks.
        ordered = sorted(zip(handles, labels, strict=True), key=lambda h: not h[0].get_gid())
        axes.legend(*zip(*ordered, strict=True), fontsize="x-small", loc="upper center",
                    bbox_to_anchor=(0.5, -0.14), ncols=2)  # fmt: skip
    panels[0].set_ylabel("ms from the intended send, failures at the timeout")
    figure.suptitle("The latency spectrum: every percentile, once per deployment after its "
                    f"repeats ({plan.spectrum_seconds or plan.duration:g} s each)")  # fmt: skip
    return figure


def figures(doc: LoadDocument) -> dict[str, Figure]:
    """The charts of the document, by name (``CHARTS``), not yet written; none for a
    document without a step."""
    if not any(d.steps for d in doc.deployments):
        return {}
    return {
        "latency": latency_figure(doc),
        "throughput": throughput_figure(doc),
        "spectrum": spectrum_figure(doc),
    }


def write_charts(folder: str | Path, doc: LoadDocument, suffix: str = "png") -> list[Path]:
    """latency, throughput and spectrum (``CHARTS``) written into ``folder``."""
    drawn = figures(doc)
    if not drawn:
        return []
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    return [charts.save(figure, out / f"{name}.{suffix}") for name, figure in drawn.items()]


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
