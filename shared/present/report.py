"""``concurrency-compare report``: a static site to read the three models side by side.

The site is plain files that work offline, opened straight from the disk: HTML
from Jinja2 templates, one local stylesheet, code highlighted by Pygments at
build time, charts as SVG files beside the pages. No script, no font, nothing
fetched, and no path of the machine that made it.

* ``index.html``: the verdict per model from the committed figures
  (``shared.present.docs.verdict``), the scenarios with their verdicts, and where
  the models differ;
* ``<scenario>.html``: the idea, the three modules aligned section by section
  (``shared.present.sources``), what each model printed in a fresh run, and the verdict;
* ``bare.html``: the service alone (``<model>_impl/bare.py``), aligned as a scenario's
  modules are: how each model serves HTTP connections, on one parser;
* ``bench.html``: a ``bench --json`` file's tables and charts, as the README
  shows them (``shared.present.bench``), each workload's figures folded away.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from shared import documents, scenarios, tables
from shared.contract import MODELS
from shared.errors import UsageError
from shared.harness import runner
from shared.measure.bench.figures import BenchDocument
from shared.measure.hurts.document import HurtsDocument
from shared.measure.load.document import LoadDocument
from shared.present import bench as bench_tables
from shared.present import charts, hurts, show
from shared.present import load as load_tables
from shared.present.docs import catalogue, verdict

TEMPLATES = Path(__file__).resolve().parent / "templates"
LIGHT_STYLE, DARK_STYLE = "friendly", "github-dark"  # Pygments styles


class ReportError(UsageError):
    """A report cannot be written from what it was given."""


# -- the runs -----------------------------------------------------------------


def load_runs(path: Path) -> list[runner.Run]:
    """The runs written by ``concurrency-compare run --json FILE``; ``DocumentError`` (one
    line, exit status 2) for a file without runs or of another kind, version or shape."""
    return runner.read_runs(path)


def load_bench(path: Path) -> BenchDocument:
    """The document of ``concurrency-compare bench --json``; ``DocumentError`` as for the runs."""
    return documents.read(path, BenchDocument)


def load_load(path: Path) -> LoadDocument:
    """The document of ``concurrency-compare load --json`` (the experiment, not one --target
    run); ``DocumentError`` as for the runs."""
    return documents.read(path, LoadDocument)


#: What each of the load page's charts shows (its alternative text and caption).
LOAD_CHARTS = load_tables.CHARTS


def load_hurts(path: Path) -> HurtsDocument:
    """The document of ``concurrency-compare hurts --json``; ``DocumentError`` as for the runs."""
    return documents.read(path, HurtsDocument)


# -- code -----------------------------------------------------------------------


def highlighted_lines(text: str) -> list[Markup]:
    """The file as HTML, one self-contained string per line (Pygments closes its spans)."""
    lexer = PythonLexer(stripnl=False, ensurenl=True)
    formatted = highlight(text, lexer, HtmlFormatter(nowrap=True))
    return [Markup(line) for line in formatted.split("\n")]  # Pygments escaped the text


@dataclass
class CodeLine:
    number: int
    html: Markup
    differs: bool


@dataclass
class CodeCell:
    model: str
    file: str
    start: int
    end: int
    lines: list[CodeLine]


@dataclass
class CodeRow:
    title: str
    cells: dict[str, CodeCell | None]


def code_rows(scenario: str) -> list[CodeRow]:
    """A scenario's modules (or with ``show.BARE`` the service alone's), section by section."""
    view = show.side_by_side(scenario, MODELS)
    html_lines = {model: highlighted_lines(source.text) for model, source in view.sources.items()}
    rows = []
    for row in view.rows:
        cells: dict[str, CodeCell | None] = {}
        for model, cell in row.cells.items():
            if cell is None:
                cells[model] = None
                continue
            lines = [
                CodeLine(n, html_lines[model][n - 1], n in cell.differing) for n in cell.numbers
            ]
            cells[model] = CodeCell(
                model, cell.source.name, cell.section.start, cell.section.end, lines
            )
        rows.append(CodeRow(row.title, cells))
    return rows


# -- outputs --------------------------------------------------------------------


PHASES = {"run": "while it ran", "collect": "at garbage collection", "exit": "at exit"}

ROOT = Path(__file__).resolve().parents[2]  # the checkout: shared/present/ is two below it
#: Where installed packages and the standard library live, in a traceback's paths.
SITE_PACKAGES = re.compile(r"""[^\s"'()]*/(site-packages|dist-packages)/""")
STANDARD_LIBRARY = re.compile(r"""[^\s"'()]*/lib/(python3\.\d+t?)/""")


def without_machine_paths(text: str) -> str:
    """``text`` with its absolute paths made relative: to the project, to
    site-packages, to the standard library (``python3.11/asyncio/...``), so that
    the pages do not say where the machine that made them keeps its files."""
    text = SITE_PACKAGES.sub(r"\1/", text)
    text = STANDARD_LIBRARY.sub(r"\1/", text)
    return text.replace(f"{ROOT}/", "")


@dataclass
class Output:
    model: str
    ok: bool
    wall: float
    transcript: list[str]
    problems: list[str]
    stderr: list[tuple[str, str]]  # (when, text): what a model says besides its transcript
    notes: list[str]  # the other diagnostics: warnings, work left running, open sockets


def output(run: runner.Run) -> Output:
    found = run.diagnostics
    clean = without_machine_paths
    stderr = [
        (PHASES.get(phase, phase), clean(text.rstrip())) for phase, text in found.stderr.items()
    ]
    notes = [f"warning: {warning}" for warning in found.warnings]
    notes += [f"left running: {pending}" for pending in found.pending]
    if found.sockets > 0:
        notes.append(f"sockets left open: {found.sockets}")
    return Output(run.job.model, run.ok, run.wall, [clean(line) for line in run.transcript],
                  [clean(p) for p in run.problems], stderr, [clean(n) for n in notes])  # fmt: skip


@dataclass
class Page:
    name: str
    article: str
    summary: str
    idea: str
    href: str
    verdict: str
    ok: bool
    scale: float | None
    outputs: list[Output]
    rows: list[CodeRow] = field(default_factory=list)
    unreadable: str = ""  # why the code cannot be shown
    differences: list[dict[str, Any]] = field(default_factory=list)


BARE_PAGE = f"{show.BARE}.html"


def href(name: str) -> str:
    return f"{name}.html"


def pages(runs: Sequence[runner.Run]) -> list[Page]:
    by_scenario: dict[str, dict[str, runner.Run]] = {}
    for run in runs:
        by_scenario.setdefault(run.job.scenario, {})[run.job.model] = run
    found = []
    for scenario in scenarios.CATALOGUE.values():
        mine = by_scenario.get(scenario.name, {})
        ordered = [mine[m] for m in MODELS if m in mine]
        if ordered:
            verdict, ok = runner.verdict(ordered), all(r.ok for r in ordered)
        else:
            verdict, ok = "not run", False
        differences = [
            {"topic": d.topic, "per_model": d.per_model, "pinned_by": d.pinned_by}
            for d in scenario.differences
        ]
        found.append(
            Page(
                name=scenario.name,
                article=scenario.article,
                summary=scenario.summary,
                idea=scenario.idea,
                href=href(scenario.name),
                verdict=verdict,
                ok=ok,
                scale=ordered[0].job.spec.scale if ordered else None,
                outputs=[output(r) for r in ordered],
                differences=differences,
            )
        )
    return found


# -- benchmarks -----------------------------------------------------------------


@dataclass
class BenchPage:
    """The bench page: the README's tables and charts, the rest folded away."""

    summary: list[Markup]  # the README's tables
    charts: list[tuple[str, str]]  # (file, what it shows)
    facts: Markup  # where it was measured
    details: list[Markup]  # each workload's table, folded


def bench_page(document: BenchDocument, out: Path) -> BenchPage:
    """The bench page's parts, its charts drawn into ``out`` as SVG."""
    drawn = charts.write_charts(out, document, suffix="svg")
    return BenchPage(
        summary=[tables.html(table) for table in bench_tables.summary(document)],
        charts=[(path.name, charts.CHARTS[path.stem]) for path in drawn],
        facts=tables.html(bench_tables.facts(document)),
        details=[tables.html(table) for table in bench_tables.details(document)],
    )


# -- the site -------------------------------------------------------------------


INLINE_CODE = re.compile(r"``(.+?)``|`([^`]+)`")


def code_spans(text: str) -> Markup:
    """``text`` escaped, with its `backquoted` parts (the README's markup) as code."""
    parts, last = [], 0
    for found in INLINE_CODE.finditer(text):
        parts += [html.escape(text[last : found.start()]), "<code>"]
        parts += [html.escape(found.group(1) or found.group(2)), "</code>"]
        last = found.end()
    parts.append(html.escape(text[last:]))
    return Markup("".join(parts))  # every piece of the text is escaped above


def environment_of_templates() -> jinja2.Environment:
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    templates.filters["code_spans"] = code_spans
    templates.filters["models"] = charts.mark_models  # each model's name with its colour
    return templates


def token_colours(style: str) -> str:
    """Pygments' CSS for ``style``, scoped to ``.hl``; only its token rules."""
    rules: str = HtmlFormatter(style=style).get_style_defs(".hl")  # type: ignore[no-untyped-call]
    # Its unscoped rules (pre, line numbers) are for its own markup, not this site's.
    return "\n".join(line for line in rules.splitlines() if line.startswith(".hl"))


def stylesheet() -> str:
    """The site's CSS, with Pygments' colours for light and dark screens."""
    own = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    light, dark = (token_colours(style) for style in (LIGHT_STYLE, DARK_STYLE))
    indented = "\n".join(f"  {line}" for line in dark.splitlines())
    return (
        f"{own}\n{charts.css()}/* Pygments: {LIGHT_STYLE} */\n{light}\n"
        f"/* Pygments: {DARK_STYLE}, for dark screens */\n"
        f"@media (prefers-color-scheme: dark) {{\n{indented}\n}}\n"
    )


def differences_by_scenario() -> list[tuple[str, list[dict[str, Any]]]]:
    """The README's differences, grouped by scenario in the catalogue's order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in catalogue.difference_rows():
        groups.setdefault(row["scenario"], []).append(row)
    return list(groups.items())


def make_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ReportError(f"cannot write the report in {out}: not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot write the report in {out}: {exc.strerror}") from None


def build(
    out: Path,
    runs: Sequence[runner.Run],
    *,
    bench: BenchDocument | None = None,
    load: LoadDocument | None = None,
    hurts: HurtsDocument | None = None,
    environment: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write the site into ``out`` (created if need be); returns the files written."""
    make_folder(out)
    templates = environment_of_templates()
    site_pages = pages(runs)
    for page in site_pages:
        try:
            page.rows = code_rows(page.name)
        except LookupError as exc:  # a module missing: the page says so, the others stand
            page.unreadable = str(exc.args[0])
    context: dict[str, Any] = {
        "pages": site_pages,
        "models": MODELS,
        "scenario_rows": catalogue.scenario_rows(),
        "difference_groups": differences_by_scenario(),
        "has_bench": bench is not None,
        "has_load": load is not None,
        "has_hurts": hurts is not None,
        "environment": dict(environment or {}),
        "made": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "runs": len(runs),
        "as_expected": sum(run.ok for run in runs),
        "href": href,
        "bare_page": BARE_PAGE,
        # The index opens with the verdict of the committed figures, whatever this
        # report was given: the answer a reader comes for, and where it comes from.
        "verdict_tables": verdict.html_tables(),
        "verdict_citations": verdict.html_citations(),
    }
    written: list[Path] = []

    def write(name: str, text: str) -> None:
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write("style.css", stylesheet())
    write("index.html", templates.get_template("index.html.j2").render(context, title=None))
    for index, page in enumerate(site_pages):
        neighbours = {
            "previous": site_pages[index - 1] if index > 0 else None,
            "next": site_pages[index + 1] if index + 1 < len(site_pages) else None,
        }
        text = templates.get_template("scenario.html.j2").render(
            context, page=page, title=page.name, **neighbours
        )
        write(page.href, text)
    text = templates.get_template("bare.html.j2").render(
        context,
        title="the service alone",
        summary=show.BARE_SUMMARY,
        idea=show.BARE_IDEA,
        rows=code_rows(show.BARE),
    )
    write(BARE_PAGE, text)
    stale = [out / "bench.html", *(out / f"{name}.svg" for name in ("fanout", "memory"))]
    stale += [out / "load.html", out / "hurts.html"]
    stale += [*out.glob("latency.png"), *out.glob("distribution.png"), *out.glob("hurts-*.svg")]
    stale += [out / f"{name}.svg" for name in LOAD_CHARTS]
    for path in stale:
        path.unlink(missing_ok=True)  # from an earlier report: they would not match these runs
    if bench is not None:
        costs = bench_page(bench, out)
        written += [out / name for name, _ in costs.charts]
        text = templates.get_template("bench.html.j2").render(
            context, bench=costs, title="benchmarks"
        )
        write("bench.html", text)
    if load is not None:
        drawn = load_tables.write_charts(str(out), load, suffix="svg")
        written += drawn
        shown = [(path.name, LOAD_CHARTS.get(path.stem, path.stem)) for path in drawn]
        text = templates.get_template("load.html.j2").render(
            context,
            title="as a service",
            verdict=load_tables.verdict(load),
            main_chart=shown[0] if shown else None,
            tables=[tables.html(table) for table in load_tables.all_tables(load)],
            charts=shown[1:],
        )
        write("load.html", text)
    if hurts is not None:
        written += write_hurts_page(out, hurts, context)
    return written


# -- the page of "What hurts a service" ----------------------------------------------

HURTS_SECTIONS = {
    "cpu": ("CPU in the handler", "hurts-cpu", "p50 and p99 against C; where the p99 passed 1 s"),
    "blocking": ("A blocking call", "hurts-blocking", "p99: no call, the call, its fix"),
    "idle": ("Idle connections", "hurts-idle", "memory per idle connection, live p99"),
}


def write_hurts_page(
    out: Path, doc: HurtsDocument, context: dict[str, Any] | None = None
) -> list[Path]:
    """``hurts.html`` and its charts (SVG) in the report's folder ``out``; the files written.

    ``context`` is the report's own (``shared.present.report.build``'s), for the page's
    header and footer; without it, a minimal one.
    """
    out.mkdir(parents=True, exist_ok=True)
    drawn = hurts.write_charts(str(out), doc, suffix="svg")
    found = {path.stem: path.name for path in drawn}
    sections = []
    for key, made in hurts.parts(doc).items():
        title, chart, what = HURTS_SECTIONS[key]
        parts = {
            "tables": [tables.html(table) for table in made],
            "charts": [(found[chart], what)] if chart in found else [],
        }
        sections.append(({"anchor": chart, "title": title}, parts))
    base = {
        "has_bench": False,
        "has_load": False,
        "has_hurts": True,
        "bare_page": BARE_PAGE,
        "environment": documents.to_json(doc.environment),
        "made": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }
    page = (
        environment_of_templates()
        .get_template("hurts.html.j2")
        .render(
            {**base, **(context or {})},
            title="what hurts a service",
            sections=sections,
            delay_ms=f"{doc.plan.delay * 1000:g}",
            load=f"{doc.environment.load or 0:.1f}",
        )
    )
    path = out / "hurts.html"
    path.write_text(page, encoding="utf-8")
    return [*drawn, path]
