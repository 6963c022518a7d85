"""The figures of "What hurts a service": tables (``shared.tables``), charts, JSON.

Everything is drawn from the document (``shared.measure.hurts.document``), so
``python -m shared.present.hurts FILE [--charts DIR] [--markdown]`` remakes the
tables and charts of an earlier run, in the terminal or as the README's Markdown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from rich.console import Console, Group
from rich.text import Text

from shared import documents, tables
from shared.measure.hurts.document import Figure, HurtsDocument, Idle
from shared.measure.load.document import Layout
from shared.measure.load.experiment import saturated
from shared.present import charts
from shared.tables import Column, Table

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

CPU_NOTE = (
    "CPU: % of one core over the run: gen (the generator), up (the upstream), svc (the "
    "service worker(s)), beside (everything else on the worker's own CPUs, when pinned)"
)
#: Appended to a row's first cell when its figure is untrusted: the mark stays in the
#: Markdown and the records, where no colour does.
MARK = " ?"

F = TypeVar("F", bound=Figure)


def _plain(value: float) -> float:
    """A figure of the plan (a C, a rate) as the plan has it: 20, not 20.0."""
    return int(value) if float(value).is_integer() else value


def _failed(figure: Figure) -> bool:
    return bool(figure.load.failed)


def _flag(figure: Figure) -> tables.Flag:
    return "failed" if _failed(figure) or not figure.load.trusted else ""


def _marked(name: str, figures: Iterable[Figure]) -> str:
    """A row's first cell, marked when any of its figures is untrusted."""
    return name + MARK if any(not figure.load.trusted for figure in figures) else name


def p99_all(figure: Figure) -> tables.Value:
    """The p99 with failures and timeouts at the timeout, where there were any ("" where
    none failed: it is the p99 beside it); "≥ T" where it is the timeout."""
    load = figure.load
    if not load.failed:
        return ""
    value = load.latency_all_ms.p99
    return f"≥{tables.number(load.timeout_ms)}" if load.at_timeout(value) else value


def _untrusted(rows: Sequence[Figure]) -> list[str]:
    behind = [figure for figure in rows if not figure.load.trusted]
    failing = sum(_failed(figure) for figure in rows)
    notes = []
    if behind:
        why = next((f.load.notes[0] for f in behind if f.load.notes), "")
        because = f" ({why})" if why else ""
        notes.append(f"{MARK.strip()} after the model: {len(behind)} figure(s) untrusted, "
                     f"not evidence, marked like failures{because}")  # fmt: skip
    if failing:
        notes.append(f"{failing} figure(s) with failed or timed-out requests, marked; "
                     "p99 all: every request counted, a failure at the timeout (≥: the "
                     "timeout)")  # fmt: skip
    return notes


def _add_figures(
    table: Table,
    models: Sequence[tuple[str, Sequence[F]]],
    cells: Callable[[F], tuple[tables.Value, ...]],
) -> list[F]:
    """A row per figure of each model: the model (marked if untrusted), the figure's
    ``cells``, its flag.

    Returns the figures, whose untrusted and failing ones the table's notes count.
    """
    figures = []
    for model, found in models:
        for figure in found:
            figures.append(figure)
            table.add(_marked(model, [figure]), *cells(figure), flag=_flag(figure))
    return figures


def pct(share: float | None) -> tables.Value:
    """A share of a core as the tables write it: 0.6, 7.4, 31 (the kernel counts in
    ticks of 10 ms: a tenth of a per cent is all a short run can tell)."""
    if share is None:
        return None
    return round(share) if share >= 10 else f"{share:.1f}"


def _shares(figure: Figure) -> tuple[tables.Value, ...]:
    """The CPU columns of a figure: gen, up, svc, beside."""
    cpu = figure.cpu_pct
    return tuple(pct(v) for v in (cpu.generator, cpu.upstream, cpu.worker, cpu.core_others))


SHARES = (Column("gen", "%"), Column("up", "%"), Column("svc", "%"), Column("beside", "%"))


def _latency(figure: Figure) -> tuple[tables.Value, ...]:
    """The latency columns of a figure: p50, p99 (answers), p99 all, p99.9."""
    latency = figure.load.latency_ms
    return (latency.p50, latency.p99, p99_all(figure), latency.p99_9)


LATENCY = (Column("p50", "ms"), Column("p99", "ms"), Column("p99 all", "ms"),
           Column("p99.9", "ms"))  # fmt: skip


def cpu_tables(doc: HurtsDocument) -> list[Table]:
    plan = doc.plan
    delay_ms = plan.delay * 1000
    fixed = Table(
        f"CPU in the handler: {plan.cpu_rate:g} requests/s, D = {delay_ms:g} ms, one worker",
        (Column("model", align="left"), Column("C", "ms"), *LATENCY),
        name="hurts-cpu",
    )
    models = doc.cpu or []
    rows = _add_figures(fixed, [(m.model, m.fixed) for m in models],
                        lambda figure: (_plain(figure.cpu_ms), *_latency(figure)))  # fmt: skip
    fixed.notes += [
        "C: ms of pure-Python CPU per request, after the upstream's answer; latency from "
        "each request's intended send time; p99: the answers'",
        f"{plan.seconds:g} s per row: p99.9 of fewer than 1,000 answers is their slowest",
        *_untrusted(rows),
    ]
    used = Table(
        f"CPU in the handler: who used the CPU at {plan.cpu_rate:g} requests/s",
        (Column("model", align="left"), Column("C", "ms"), *SHARES),
        name="hurts-cpu-use",
    )
    _add_figures(used, [(m.model, m.fixed) for m in models],
                 lambda figure: (_plain(figure.cpu_ms), *_shares(figure)))  # fmt: skip
    used.notes.append(CPU_NOTE)
    search = Table(
        f"CPU in the handler: the offered rate where the p99 passes {1000:g} ms",
        (Column("model", align="left"), Column("C", "ms"), Column("workers"),
         Column("passes at", "/s"), Column("p99 before", "ms"), Column("svc", "%"),
         Column("beside", "%")),
        name="hurts-cpu-search",
    )  # fmt: skip
    steps = []
    for model in models:
        for found in model.searches:
            steps += found.steps
            passed = found.passes_at is not None and len(found.steps) > 1
            before = found.steps[-2] if passed else None
            last = found.steps[-1] if found.steps else None
            passes: tables.Value = None if found.passes_at is None else _plain(found.passes_at)
            if passes is None and last is not None:
                passes = f"> {last.load.rate:g}"
            tail: tables.Value = None
            if before is not None:
                tail = p99_all(before) or before.load.latency_ms.p99
            search.add(_marked(model.model, found.steps), _plain(found.cpu_ms), found.workers,
                       passes, tail, pct(last.cpu_pct.worker) if last else None,
                       pct(last.cpu_pct.core_others) if last else None)  # fmt: skip
    search.notes += [
        f"rising rates, {plan.ladder_seconds:g} s each; passes at: the first rate whose "
        "p99 passed 1 s (every request counted, a failure or timeout at the timeout) or "
        "whose requests failed; p99 before: at the rate before it",
        "svc, beside: % of one core at that rate (two workers: both together, of 200%)",
        *dict.fromkeys(note for model in models for note in model.skipped),
        *[note for note in _untrusted(steps) if note.startswith(MARK.strip())],
    ]
    return [fixed, used, search]


def blocking_tables(doc: HurtsDocument) -> list[Table]:
    plan = doc.plan
    spends = f", C = {plan.spend_ms:g} ms" if plan.spend_ms else ""
    table = Table(
        f"A blocking call of {plan.block_ms:g} ms every {plan.block_every}th request, "
        f"{plan.block_rate:g} requests/s{spends}",
        (Column("model", align="left"), Column("call", align="left"), *LATENCY),
        name="hurts-blocking",
    )
    models = doc.blocking or []
    rows = _add_figures(table, [(m.model, m.figures) for m in models],
                        lambda figure: (figure.variant, *_latency(figure)))  # fmt: skip
    table.notes += [
        "call: none; blocking (time.sleep in the coroutine, gevent's unpatched time.sleep, "
        "time.sleep in the thread); fixed (asyncio.to_thread, gevent's threadpool, the same)",
        *_untrusted(rows),
    ]
    used = Table(
        "A blocking call: who used the CPU",
        (Column("model", align="left"), Column("call", align="left"), *SHARES),
        name="hurts-blocking-use",
    )
    _add_figures(used, [(m.model, m.figures) for m in models],
                 lambda figure: (figure.variant, *_shares(figure)))  # fmt: skip
    used.notes.append(CPU_NOTE)
    detected = Table(
        "Who notices the blocking call (asyncio debug mode, gevent's monitor thread on)",
        (Column("model", align="left"), Column("call", align="left"),
         Column("detector", align="left"), Column("reports"), Column("on the call")),
        name="hurts-detectors",
    )  # fmt: skip
    for model in models:
        for call, found in model.detectors.calls():
            if not found:
                detected.add(model.model, call, "none", 0, 0)
            for report in found:
                detected.add(model.model, call, report.detector, report.reports,
                             report.about_the_call)  # fmt: skip
                where = f" (at {report.where})" if report.where else ""
                detected.notes.append(f"{model.model}, {call}: {report.words}{where}")
    detected.notes.insert(
        0,
        f"{plan.detector_seconds:g} s at {plan.detector_rate:g} requests/s, one call in "
        f"{plan.detector_every} blocking; on the call: the reports that point at it "
        "(asyncio: a callback as long as the call; gevent: a stack ending in call_blocking), "
        "the others are callbacks slowed by the busy machine; the detectors' words:",
    )
    return [table, used, detected]


def idle_tables(doc: HurtsDocument) -> list[Table]:
    plan = doc.plan
    memory = Table(
        "Idle keep-alive connections: what holding them costs the worker",
        (Column("model", align="left"), Column("limits", align="left"), Column("idle"),
         Column("served"), Column("kept"), Column("fds"), Column("KiB", "each"),
         Column("CPU", "s")),
        name="hurts-idle",
    )  # fmt: skip
    live = Table(
        f"Idle keep-alive connections: live requests at {plan.idle_rate:g}/s meanwhile",
        (Column("model", align="left"), Column("limits", align="left"), Column("idle"),
         Column("ok", "%"), Column("p50", "ms"), Column("p99", "ms"), Column("p99 all", "ms")),
        name="hurts-idle-live",
    )  # fmt: skip
    used = Table(
        "Idle keep-alive connections: who used the CPU meanwhile",
        (Column("model", align="left"), Column("limits", align="left"), Column("idle"),
         Column("svc", "%"), Column("holder", "%"), Column("beside", "%")),
        name="hurts-idle-use",
    )  # fmt: skip
    rows = doc.idle or []
    for row in rows:
        flag: tables.Flag = "failed" if row.held.answered < row.connections else ""
        memory.add(row.model, row.config, row.connections, row.held.answered,
                   row.released.still_open, row.worker_files, per_connection(row),
                   row.opening_worker_cpu_seconds, flag=flag)  # fmt: skip
        figure = row.live.load
        ok = 100 * figure.ok / figure.sent if figure.sent else None
        model = _marked(row.model, [row.live])
        live.add(model, row.config, row.connections, ok, figure.latency_ms.p50,
                 figure.latency_ms.p99, p99_all(row.live), flag=_flag(row.live))  # fmt: skip
        cpu = row.live.cpu_pct
        used.add(model, row.config, row.connections, pct(cpu.worker), pct(cpu.holder),
                 pct(cpu.core_others), flag=_flag(row.live))  # fmt: skip
    limits = {f"{row.model} {row.config}": row.limits for row in rows}
    memory.notes += [
        "served: connections answered once (then left idle); kept: still open after the "
        "live requests; fds: the worker's open files once they were served; KiB each: the "
        "worker's resident memory grown per connection it holds (none when the server had "
        "closed them by then); CPU s: the worker's, to accept and answer them all",
        *(f"{name}: {text}" for name, text in limits.items()),
    ]
    restarted = [f"{r.model} {r.config} ({r.connections:,})"
                 for r in rows if r.worker_restarted]  # fmt: skip
    if restarted:
        memory.notes.append(f"the worker was restarted by gunicorn: {', '.join(restarted)}")
    spends = f", C = {plan.spend_ms:g} ms" if plan.spend_ms else ""
    live.notes += [
        f"{plan.idle_seconds:g} s of live requests (D = {plan.delay * 1000:g} ms{spends}) "
        "while the idle connections wait; ok: answered of sent",
        *_untrusted([row.live for row in rows]),
    ]
    used.notes.append(
        "CPU: % of one core: svc (the service worker), holder (of the idle connections), "
        "beside (everything else on the worker's own CPUs)"
    )
    return [memory, live, used]


def per_connection(row: Idle) -> float | None:
    """KiB of the worker's memory per idle connection, if it still held nearly all of them."""
    if row.worker_files < 0.9 * row.connections:
        return None  # closed by the server meanwhile: the growth is not per held connection
    grown = float(row.worker_rss_kb.held - row.worker_rss_kb.before)
    return round(grown / row.connections, 2)


def parts(doc: HurtsDocument) -> dict[str, list[Table]]:
    """The tables of each experiment the document holds (``cpu``, ``blocking``, ``idle``)."""
    found: dict[str, list[Table]] = {}
    if doc.cpu:
        found["cpu"] = cpu_tables(doc)
    if doc.blocking:
        found["blocking"] = blocking_tables(doc)
    if doc.idle:
        found["idle"] = idle_tables(doc)
    return found


def all_tables(doc: HurtsDocument) -> list[Table]:
    return [table for made in parts(doc).values() for table in made]


def layout_line(layout: Layout | None) -> str:
    """Where each process ran."""
    if layout is None:
        return "nothing pinned: the service shared every CPU with the generator"
    return (f"CPUs: the service's workers on {_cpus(layout.worker)}; the generator, the "
            f"upstream, the holder and this program on {_cpus(layout.rest)}")  # fmt: skip


def _cpus(found: Sequence[int]) -> str:
    return ("CPU " if len(found) == 1 else "CPUs ") + ",".join(str(c) for c in found)


def untrusted_line(doc: HurtsDocument) -> str:
    """How many figures are not evidence, and why the first is not (exit status 5)."""
    behind = [figure for figure in doc.figures() if not figure.load.trusted]
    why = next((f.load.notes[0] for f in behind if f.load.notes), "")
    return f"figures untrusted: {len(behind)} of {len(doc.figures())}" + (
        f"; the first: {why}" if why else ""
    )


def terminal(doc: HurtsDocument, *, layout: bool = True) -> Group:
    """Every table; ``layout``: the layout's line first (the command prints it as it starts)."""
    first = [Text(layout_line(doc.layout)), Text()] if layout else []
    return Group(*first, *(tables.rich(table) for table in all_tables(doc)))


def markdown(doc: HurtsDocument) -> str:
    return "\n\n".join([layout_line(doc.layout), *(tables.markdown(t) for t in all_tables(doc))])


# -- charts -------------------------------------------------------------------------


def _gaps(values: Iterable[float | None]) -> list[float]:
    """Values to draw, each missing one a gap in its line."""
    return [math.nan if value is None else value for value in values]


def _marks(axes: Axes, points: Iterable[tuple[float, float | None, Figure]]) -> None:
    """Rings round the untrusted figures, crosses on the saturated (the service answered
    under 90% of what it was offered, or over 1% failed), as the tables mark them."""
    drawn = [(x, y, f.load) for x, y, f in points if y is not None and not math.isnan(y)]
    charts.mark_untrusted(
        axes,
        [x for x, _, load in drawn if not load.trusted],
        [y for _, y, load in drawn if not load.trusted],
    )
    behind = [(x, y) for x, y, load in drawn if saturated(load, load.rate)]
    charts.mark_saturated(axes, [x for x, _ in behind], [y for _, y in behind])


def write_charts(folder: str, doc: HurtsDocument, suffix: str = "png") -> list[Path]:
    """hurts-cpu, hurts-blocking, hurts-idle: one chart per experiment in the document."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    return [charts.save(figure, out / f"{name}.{suffix}") for name, figure in figures(doc).items()]


def figures(doc: HurtsDocument) -> dict[str, MplFigure]:
    """The chart of each experiment the document holds, by its file's name, not yet written."""
    found = {}
    if doc.cpu:
        found["hurts-cpu"] = cpu_figure(doc)
    if doc.blocking:
        found["hurts-blocking"] = blocking_figure(doc)
    if doc.idle:
        found["hurts-idle"] = idle_figure(doc)
    return found


def _fixed_panel(fixed: Axes, doc: HurtsDocument) -> None:
    """The CPU chart's left panel: p99 and p50 at the fixed rate against C, and D + C."""
    plan, models = doc.plan, doc.cpu or []
    if all(f.load.latency_ms.p99 is None for m in models for f in m.fixed):
        fixed.set_title(f"At {plan.cpu_rate:g} requests/s")  # D + C alone would read as one
        charts.no_figure(fixed, "No p99: not one request was answered, at any C.")
        return
    for model in models:
        points = sorted(model.fixed, key=lambda f: f.cpu_ms)
        cs = [f.cpu_ms for f in points]
        p99 = _gaps(f.load.latency_ms.p99 for f in points)
        fixed.plot(
            cs,
            p99,
            marker="o",
            markersize=4,
            linewidth=2,
            color=charts.colour(model.model),
            gid=f"{model.model} p99",
        )
        fixed.plot(
            cs,
            _gaps(f.load.latency_ms.p50 for f in points),
            marker=".",
            linewidth=1,
            alpha=0.6,
            color=charts.colour(model.model),
            gid=f"{model.model} p50",
        )
        _marks(fixed, zip(cs, p99, points, strict=True))
    top = max((f.cpu_ms for m in models for f in m.fixed), default=0.0)
    delay_ms = plan.delay * 1000
    fixed.plot([0, top], [delay_ms, delay_ms + top], color=charts.GREY, linestyle=":", linewidth=1)
    fixed.annotate(
        "D + C: the least it can be",
        (top / 2, delay_ms + top / 2),
        xytext=(0, -10),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize="small",
        color=charts.GREY,
    )
    fixed.set_ylim(0, None)
    fixed.set_xticks(sorted({f.cpu_ms for m in models for f in m.fixed}))
    fixed.set(
        xlabel="C, ms of CPU per request",
        ylabel="ms from the intended send",
        title=f"At {plan.cpu_rate:g} requests/s: p99 (thick), p50 (thin)",
    )
    charts.plain_ticks(fixed)
    fixed.grid(True, alpha=0.3)


def cpu_figure(doc: HurtsDocument) -> MplFigure:
    """Left, the latency at the fixed rate against C, beside D + C, the least it can be;
    right, the offered rate where each model's p99 passed 1 s, at each C."""
    models = doc.cpu or []
    figure, (fixed, search) = charts.new_figure(12, 4.8, panels=2)
    _fixed_panel(fixed, doc)

    ladder = sorted({s.cpu_ms for m in models for s in m.searches})
    width = 0.6 / max(1, len(models))
    for index, model in enumerate(models):
        for workers in sorted({s.workers for s in model.searches}):
            found = sorted(
                (s for s in model.searches if s.workers == workers), key=lambda s: s.cpu_ms
            )
            xs = [ladder.index(s.cpu_ms) + (index - (len(models) - 1) / 2) * width for s in found]
            passed = [(x, s.passes_at) for x, s in zip(xs, found, strict=True) if s.passes_at]
            search.scatter(
                [x for x, _ in passed],
                [y for _, y in passed],
                s=90,
                zorder=4,
                marker="o" if workers == 1 else "s",
                color=charts.colour(model.model),
                gid=f"{model.model} {workers} passes",
                label=None if workers == 1 else charts.legend_once(search, "two workers"),
            )
            never = [(x, s.steps[-1].load.rate) for x, s in zip(xs, found, strict=True)
                     if not s.passes_at and s.steps]  # fmt: skip
            search.scatter(
                [x for x, _ in never],
                [y for _, y in never],
                marker="^",
                s=90,
                facecolors="none",
                edgecolors=charts.colour(model.model),
                linewidths=1.6,
                zorder=4,
                label=charts.legend_once(search, "not passed by the ladder's top rate"),
            )
            steps = [(x, step.load.rate, step) for x, s in zip(xs, found, strict=True)
                     for step in s.steps]  # fmt: skip
            _marks(search, steps)
    search.set_title("The offered rate where the p99 passed 1 s")
    if any(s.passes_at or s.steps for m in models for s in m.searches):
        search.set_xticks(range(len(ladder)), [f"C = {_plain(c)} ms" for c in ladder])
        search.set(yscale="log", ylabel="offered, requests/s")
        charts.plain_ticks(search, "y")
        search.grid(True, axis="y", alpha=0.3)
    else:
        charts.no_figure(search, "No search: this run offered no ladder of rates.")
    charts.legend(
        figure,
        [m.model for m in models],
        marks_from=[fixed, search],
        loc="outside lower center",
        ncols=6,
    )
    return figure


def blocking_figure(doc: HurtsDocument) -> MplFigure:
    """The p99 with no blocking call, with the call, with its fix: a bar per model."""
    plan, models = doc.plan, doc.blocking or []
    figure, (axes,) = charts.new_figure(8, 4.8)
    title = (
        f"A {plan.block_ms:g} ms blocking call every {plan.block_every}th request, "
        f"{plan.block_rate:g}/s"
    )
    if all(f.load.latency_ms.p99 is None for m in models for f in m.figures):
        axes.set_title(title)  # bars of nothing would read as a p99 of 0
        charts.no_figure(axes, "No p99: not one request was answered,\nwith or without the call.")
        return figure
    calls = list(dict.fromkeys(f.variant for m in models for f in m.figures))
    width = 0.8 / max(1, len(models))
    for index, model in enumerate(models):
        by_call = {f.variant: f for f in model.figures}
        xs = [c + (index - (len(models) - 1) / 2) * width for c in range(len(calls))]
        shown = [(x, by_call[call]) for x, call in zip(xs, calls, strict=True) if call in by_call]
        tails = [f.load.latency_ms.p99 for _, f in shown]
        bars = axes.bar(
            [x for x, _ in shown],
            [t or 0.0 for t in tails],
            width,
            color=charts.colour(model.model),
            gid=model.model,
        )
        words = [("-" if t is None else tables.number(t)) + ("" if f.load.trusted else MARK)
                 for (_, f), t in zip(shown, tails, strict=True)]  # fmt: skip
        axes.bar_label(bars, words, fontsize="x-small", padding=4)
        _marks(axes, ((x, t, f) for (x, f), t in zip(shown, tails, strict=True)))
    delay_ms = plan.delay * 1000
    charts.hline(axes, delay_ms, f"D = {delay_ms:g} ms", where="outside")
    total = delay_ms + plan.block_ms
    charts.hline(axes, total, f"D + the call\n= {total:g} ms", where="outside")
    axes.set_xticks(range(len(calls)), [CALLS.get(call, call) for call in calls])
    axes.set_ylim(0, None)
    axes.set(ylabel="p99, ms from the intended send", title=title)
    charts.plain_ticks(axes, "y")
    axes.grid(True, axis="y", alpha=0.3)
    charts.legend(axes, [m.model for m in models], marks_from=[axes], loc="center right")
    return figure


#: The blocking chart's groups: what each call was.
CALLS = {
    "none": "no blocking call",
    "blocking": "the call, as written",
    "fixed": "the call, off the loop",
}


def idle_figure(doc: HurtsDocument) -> MplFigure:
    """Memory per idle connection, and the live requests' p99, against how many are held:
    a colour per model, the limits by line style (raised solid, as shipped dashed)."""
    plan, rows = doc.plan, doc.idle or []
    figure, (memory, live) = charts.new_figure(12, 4.8, panels=2)
    keys = list(dict.fromkeys((row.model, row.config) for row in rows))
    closed = []
    for model, config in keys:
        found = sorted(
            (r for r in rows if (r.model, r.config) == (model, config)), key=lambda r: r.connections
        )
        counts = [r.connections for r in found]
        kib = [per_connection(r) for r in found]
        gone = [charts.plain(r.connections) for r, k in zip(found, kib, strict=True) if k is None]
        if gone:
            closed.append(f"{model} {config}: {', '.join(gone)}")
        p99 = _gaps(r.live.load.latency_ms.p99 for r in found)
        line = charts.style(model, config)
        memory.plot(counts, _gaps(kib), marker="o", markersize=4, gid=f"{model} {config}", **line)
        live.plot(counts, p99, marker="o", markersize=4, gid=f"{model} {config}", **line)
        _marks(live, ((c, y, r.live) for c, y, r in zip(counts, p99, found, strict=True)))
    has_memory = any(per_connection(r) is not None for r in rows)
    if closed and has_memory:
        memory.annotate(
            "no figure where the server had\nclosed most of them by then:\n" + "\n".join(closed),
            (0.02, 0.5),
            xycoords="axes fraction",
            va="center",
            fontsize="x-small",
            color=charts.GREY,
        )
    memory.set(
        ylabel="KiB of the worker's memory per idle connection", title="What holding them costs"
    )
    live.set(
        ylabel="p99, ms from the intended send",
        title=f"Live requests at {plan.idle_rate:g}/s meanwhile",
    )
    drawn = []
    if has_memory:
        drawn.append(memory)
    else:
        charts.no_figure(memory, "No figure: at every count the server had\n"
                         "closed most of the idle connections by then.")  # fmt: skip
    if any(r.live.load.latency_ms.p99 is not None for r in rows):
        delay_ms = plan.delay * 1000
        charts.hline(live, delay_ms, f"D = {delay_ms:g} ms", below=True)
        drawn.append(live)
    else:
        charts.no_figure(live, "No p99: not one live request\nwas answered, at any count.")
    for axes in drawn:
        axes.set_xscale("log")
        axes.set_ylim(0, None)
        axes.set_xlabel("idle keep-alive connections")
        charts.plain_ticks(axes)
        axes.grid(True, alpha=0.3)
    models = list(dict.fromkeys(model for model, _ in keys))
    configs = list(dict.fromkeys(config for _, config in keys))
    charts.legend(
        figure,
        models,
        configs,
        marks_from=[live],
        loc="outside lower center",
        ncols=len(models) + len(configs) + 2,
    )
    return figure


def main(argv: list[str] | None = None) -> None:
    args, doc = documents.read_back("hurts", HurtsDocument, "the tables as Markdown", argv)
    if args.markdown:
        print(markdown(doc))
    else:
        Console(width=80).print(terminal(doc))
    if args.charts:
        for path in write_charts(args.charts, doc):
            print(f"chart written to {path}")


if __name__ == "__main__":
    main()
