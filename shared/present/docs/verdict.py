"""The verdict per model: what it suits, what it punishes, and the figures that show it.

The words are fixed here; every number is read from the committed figures files
(``sources``) each time the README or the report is written, so that the verdict
and its evidence cannot drift apart. The README shows it as Markdown, the
report's first page as HTML, each followed by the files and runs it comes from.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from shared import tables
from shared.contract import MODELS
from shared.documents import Environment
from shared.measure.bench.figures import BenchDocument
from shared.measure.hurts.document import IDLE_RAISED, HurtsDocument
from shared.measure.load.document import DeploymentFigures, LoadDocument
from shared.present import hurts as hurts_output
from shared.present import load as load_output
from shared.present.docs import sources

#: What each model suits and what it punishes, in words: what the figures below
#: show, and what no figure shows (who notices a blocking call, how code reads).
WORDS: dict[str, tuple[str, str]] = {
    "asyncio": (
        "a service that mostly waits: many requests in flight and many idle connections "
        "for little CPU per answer",
        "every millisecond of CPU and every synchronous call in a handler, which every "
        "request in flight waits for; its detector (debug mode) names the slow callback "
        "only afterwards",
    ),
    "gevent": (
        "the same waiting-bound service written as plain synchronous code (WSGI, "
        "requests), once the standard library is patched",
        "what asyncio punishes, more quietly: a C library doing its own I/O blocks the "
        "hub with nothing in the code to show it; its monitor thread names the line "
        "while it blocks",
    ),
    "threads": (
        "handlers that compute or call libraries that block: a blocking call holds only "
        "its own thread, and the CPU is shared out between threads",
        "a small pool (gunicorn's default is one thread: one request at a time); each "
        "waiting task costs a thread's stack, and nothing notices a thread that is stuck",
    ),
}

#: What a figure shows when its run could not vouch for it.
MARK = load_output.MARK


@dataclass(frozen=True)
class Sizes:
    """The plan's constants a heading or a note needs: fixed by the files, not here."""

    blocking_ms: float
    blocking_every: int
    blocking_rate: float
    idle: int
    parked: int


def _deployed(load: LoadDocument, model: str) -> DeploymentFigures | None:
    """The model's tuned deployment under gunicorn (its plain flavour: asyncio, not uvloop)."""
    found = [d for d in load.deployments if d.model == model and d.server != "bare"]
    tuned = [d for d in found if d.config == "tuned"]
    return next(iter(tuned or found), None)


def _alone(load: LoadDocument, model: str) -> DeploymentFigures | None:
    return next((d for d in load.deployments if d.model == model and d.server == "bare"), None)


def _number(value: float | None, *, doubtful: bool = False, floor: bool = False) -> str:
    if value is None:
        return "-"
    return ("≥" if floor else "") + tables.number(value) + (f" {MARK}" if doubtful else "")


def parked_size(bench: BenchDocument) -> int | None:
    """The most tasks parked at which every model gave its memory (threads stop first)."""
    sizes = {r.size for r in bench.results.get("memory", [])}
    complete = [
        size
        for size in sizes
        if all(
            any(r.figure("resident_kib_per_task") for r in bench.of("memory", size) if r.model == m)
            for m in MODELS
        )
    ]
    return max(complete, default=None)


def idle_size(hurts: HurtsDocument) -> int | None:
    rows = [row for row in hurts.idle or [] if row.config == IDLE_RAISED]
    return max((row.connections for row in rows), default=None)


def sizes(load: LoadDocument, hurts: HurtsDocument, bench: BenchDocument) -> Sizes:
    plan = hurts.plan
    return Sizes(
        blocking_ms=plan.block_ms,
        blocking_every=plan.block_every,
        blocking_rate=plan.block_rate,
        idle=idle_size(hurts) or 0,
        parked=parked_size(bench) or 0,
    )


def _cpu(deployment: DeploymentFigures | None) -> str:
    return _number(deployment.cpu_ms_per_answer.median if deployment else None)


def _saturation(deployment: DeploymentFigures | None) -> str:
    if deployment is None:
        return "-"
    return _number(
        deployment.saturation.median,
        doubtful=load_output.untrusted_saturation(deployment),
        floor=not deployment.reached,
    )


def _blocking(hurts: HurtsDocument, model: str) -> str:
    """The p99 without the blocking call, then with it: every request counted."""
    found = next((b for b in hurts.blocking or [] if b.model == model), None)
    if found is None:
        return "-"
    cells = []
    for variant in ("none", "blocking"):
        figure = next((f for f in found.figures if f.variant == variant), None)
        if figure is None:
            cells.append("-")
            continue
        load = figure.load
        p99 = load.latency_all_ms.p99 if load.failed else load.latency_ms.p99
        if load.at_timeout(p99):
            cells.append(f"≥{tables.number(load.timeout_ms)}")
        else:
            cells.append(_number(p99, doubtful=not load.trusted))
    return " → ".join(cells)


def _idle(hurts: HurtsDocument, model: str, size: int | None) -> str:
    row = next(
        (r for r in hurts.idle or []
         if r.model == model and r.config == IDLE_RAISED and r.connections == size),
        None,
    )  # fmt: skip
    if row is None:
        return "-"
    return _number(hurts_output.per_connection(row), doubtful=not row.live.load.trusted)


def _parked(bench: BenchDocument, model: str, size: int | None) -> str:
    if size is None:
        return "-"
    found = next((r for r in bench.of("memory", size) if r.model == model), None)
    figure = found.figure("resident_kib_per_task") if found else None
    return _number(figure.median if figure else None)


def words_table() -> tables.Table:
    """What each model suits and what it punishes, in words."""
    table = tables.Table(
        "What each model suits, and what it punishes",
        (
            tables.Column("model", align="left"),
            tables.Column("suits", align="left"),
            tables.Column("punishes", align="left"),
        ),
        name="verdict-words",
    )
    for model in MODELS:
        suits, punishes = WORDS[model]
        table.add(model, suits, punishes)
    return table


def figures_table() -> tables.Table:
    """The figures behind the words, one row per model, from the committed files."""
    load, hurts, bench = sources.load(), sources.hurts(), sources.bench()
    plan = sizes(load, hurts, bench)
    table = tables.Table(
        "The figures that show it",
        (
            tables.Column("model", align="left"),
            tables.Column("CPU deployed", "ms/answer"),
            tables.Column("CPU alone", "ms/answer"),
            tables.Column("saturates", "answers/s"),
            tables.Column("p99 blocked", "ms"),
            tables.Column("idle conn.", "KiB"),
            tables.Column("parked task", "KiB"),
        ),
        name="verdict-figures",
    )
    for model in MODELS:
        deployed = _deployed(load, model)
        table.add(
            model,
            _cpu(deployed),
            _cpu(_alone(load, model)),
            _saturation(deployed),
            _blocking(hurts, model),
            _idle(hurts, model, plan.idle),
            _parked(bench, model, plan.parked),
        )
    names = ", ".join(d.name for m in MODELS if (d := _deployed(load, m)))
    delay = f"D = {load.plan.delay * 1000:g} ms"
    table.notes += [
        f"CPU: the service worker's per answer at the busiest rate it carried, deployed "
        f"under gunicorn ({names}) and alone (the model's bare service, on the same C "
        f"parser as the others): what lies between is the stack's",
        f"saturates: the most answers per second of the deployed service, one worker, "
        f"each answer waiting {delay} upstream (≥: never saturated)",
        f"p99 blocked: without → with a blocking call of {plan.blocking_ms:g} ms in one "
        f"request of {plan.blocking_every}, at {plan.blocking_rate:g} requests/s, every "
        f"request counted",
        f"idle conn.: the worker's memory per keep-alive connection held idle, "
        f"{plan.idle:,} held, limits raised",
        f"parked task: resident memory per task waiting on one event, {plan.parked:,} parked",
    ]
    if any(MARK in cell for row in table.texts() for cell in row):
        table.notes.append(f"{MARK}: a figure whose run could not vouch for it (see the file)")
    return table


def cited() -> list[tuple[Path, Environment]]:
    """The files the figures come from, each with the run that wrote it."""
    return [
        (sources.LOAD, sources.load().environment),
        (sources.HURTS, sources.hurts().environment),
        (sources.BENCH, sources.bench().environment),
    ]


def markdown(*, link_from: str = "") -> str:
    """The verdict and its figures, then where they come from, as Markdown."""
    parts = [
        tables.markdown(words_table(), title=False),
        tables.markdown(figures_table()),
        "\n".join(
            sources.cite(path, env, link_from=link_from) + "<br>" for path, env in cited()
        ).removesuffix("<br>"),
    ]
    return "\n\n".join(parts)


_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[(<code>[^<]+</code>)\]\([^)]+\)")


def inline_html(text: str) -> Markup:
    """The little Markdown of a citation (code, links), as HTML, escaped.

    A link becomes its text: the report is read away from the checkout, where
    a path of the repository leads nowhere.
    """
    out = _CODE.sub(r"<code>\1</code>", html.escape(text, quote=False))
    out = _LINK.sub(r"\1", out)
    return Markup(out)  # escaped above


def committed() -> bool:
    """Whether the committed figures files are here: a checkout, not an installed copy
    (the wheel carries the code, not docs/)."""
    return all(path.is_file() for path in (sources.LOAD, sources.HURTS, sources.BENCH))


def html_tables() -> list[Markup]:
    """The verdict and its figures as the report's tables (the words alone where the
    committed figures files are not at hand)."""
    shown = (words_table(), figures_table()) if committed() else (words_table(),)
    return [tables.html(table) for table in shown]


def html_citations() -> list[Markup]:
    """The lines that say which file, which command and which run, for the report."""
    if not committed():
        return [inline_html(
            "The figures behind it are in the project's docs/evaluation.md, beside the "
            "committed figures files, which an installed copy does not carry."
        )]  # fmt: skip
    found = []
    for path, env in cited():
        line = sources.cite(path, env).removeprefix("<sub>").removesuffix("</sub>")
        found.append(inline_html(line))
    return found
