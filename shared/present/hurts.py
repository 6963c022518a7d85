"""The figures of "What hurts a service": tables (``shared.tables``), charts, JSON.

Everything is drawn from the document (``shared.measure.hurts.document``), so
``python -m shared.present.hurts FILE [--charts DIR] [--markdown]`` remakes the
tables and charts of an earlier run, in the terminal or as the README's Markdown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from rich.console import Console, Group
from rich.text import Text

from shared import documents, tables
from shared.measure.hurts.document import Figure, HurtsDocument, Idle
from shared.measure.load.document import Layout, Percentiles
from shared.tables import Column, Table

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


#: The CPU chart's lines: each percentile, its style.
TAILS: tuple[tuple[str, str, Callable[[Percentiles], float | None]], ...] = (
    ("p50", ":", lambda latency: latency.p50),
    ("p99", "-", lambda latency: latency.p99),
    ("p99.9", "--", lambda latency: latency.p99_9),
)


def write_charts(folder: str, doc: HurtsDocument, suffix: str = "png") -> list[Path]:
    """cpu, blocking, idle: one chart per experiment in the document."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if doc.cpu:
        figure, axis = pyplot.subplots(figsize=(7, 4.5))
        for model in doc.cpu:
            points = [f for f in model.fixed if f.load.latency_ms.p50 is not None]
            cs = [f.cpu_ms for f in points]
            for key, style, pick in TAILS:
                axis.plot(cs, _gaps(pick(f.load.latency_ms) for f in points), style,
                          marker="o", markersize=3, label=f"{model.model} {key}")  # fmt: skip
        axis.set_yscale("log")
        axis.set_xlabel("C, ms of CPU per request")
        axis.set_ylabel("ms from the intended send")
        axis.set_title(f"CPU in the handler at {doc.plan.cpu_rate:g} requests/s")
        axis.legend(fontsize=7, ncol=3)
        figure.tight_layout()
        written.append(out / f"hurts-cpu.{suffix}")
        figure.savefig(written[-1], dpi=110)
        pyplot.close(figure)
    if doc.blocking:
        figure, axis = pyplot.subplots(figsize=(7, 4.5))
        models = doc.blocking
        calls = [f.variant for f in models[0].figures]
        width = 0.8 / len(calls)
        for index, call in enumerate(calls):
            tails = [next(f for f in model.figures if f.variant == call).load.latency_ms.p99
                     for model in models]  # fmt: skip
            values = [0.0 if tail is None else tail for tail in tails]
            xs = [m + (index - (len(calls) - 1) / 2) * width for m in range(len(models))]
            axis.bar(xs, values, width, label=call)
        axis.set_xticks(range(len(models)), [model.model for model in models])
        axis.set_yscale("log")
        axis.set_ylabel("p99, ms from the intended send")
        plan = doc.plan
        axis.set_title(f"A {plan.block_ms:g} ms blocking call every {plan.block_every}th "
                       "request: p99")  # fmt: skip
        axis.legend(fontsize=8)
        figure.tight_layout()
        written.append(out / f"hurts-blocking.{suffix}")
        figure.savefig(written[-1], dpi=110)
        pyplot.close(figure)
    if doc.idle:
        figure, axes = pyplot.subplots(1, 2, figsize=(11, 4.5))
        keys = sorted({(row.model, row.config) for row in doc.idle})
        for model_name, config in keys:
            rows = [r for r in doc.idle if r.model == model_name and r.config == config]
            counts = [r.connections for r in rows]
            style = "-" if config != "defaults" else "--"
            kib = _gaps(per_connection(r) for r in rows)
            live_p99 = _gaps(r.live.load.latency_ms.p99 for r in rows)
            for axis, drawn in zip(axes, (kib, live_p99), strict=True):
                axis.plot(counts, drawn, style, marker="o", markersize=3,
                          label=f"{model_name} {config}")  # fmt: skip
        axes[0].set_ylabel("KiB of the worker's memory per idle connection")
        axes[1].set_ylabel("live requests' p99, ms")
        axes[1].set_yscale("log")
        for axis in axes:
            axis.set_xscale("log")
            axis.set_xlabel("idle keep-alive connections")
        axes[1].legend(fontsize=7)
        figure.tight_layout()
        written.append(out / f"hurts-idle.{suffix}")
        figure.savefig(written[-1], dpi=110)
        pyplot.close(figure)
    return written


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
