"""``concurrency-compare report``: a static site to read the three models side by side.

The site is plain files that work offline, opened straight from the disk: HTML
from Jinja2 templates, one local stylesheet, code highlighted by Pygments at
build time, charts drawn as inline SVG. No script, no font, nothing fetched.

* ``index.html``: the scenarios with their verdicts, and where the models differ;
* ``<scenario>.html``: the idea, the three modules aligned section by section
  (``shared.sources``), what each model printed in a fresh run, and the verdict;
* ``bench.html``: the tables (and bar charts) of a ``bench --json`` file, if given.
"""

from __future__ import annotations

import datetime
import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import jinja2
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from shared import readme, runner, scenarios, sources
from shared.contract import MODELS, Expected

TEMPLATES = Path(__file__).resolve().parent / "templates"
LIGHT_STYLE, DARK_STYLE = "friendly", "github-dark"  # Pygments styles


class ReportError(Exception):
    """A report cannot be written from what it was given."""


# -- the runs -----------------------------------------------------------------


def load_runs(path: Path) -> list[runner.Run]:
    """The runs written by ``concurrency-compare run --json FILE``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return [_run_from_json(data) for data in document["runs"]]
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, LookupError) as exc:
        raise ReportError(f"{path} is not the JSON of `run --json`: {exc!r}") from None


def _run_from_json(data: dict[str, Any]) -> runner.Run:
    scenario = scenarios.get(data["scenario"])
    spec = scenario.spec_type.from_json(data["spec"])
    outcome = scenario.outcome_type.from_json(data["outcome"]) if data["outcome"] else None
    expected: Expected = scenario.expect(spec, data["model"])
    problems = data.get("problems") or []
    return runner.Run(
        job=runner.Job(data["model"], data["scenario"], spec),
        outcome=outcome,
        expected=expected,
        transcript=list(data["transcript"]),
        diagnostics=runner.Diagnostics(**data["diagnostics"]),
        returncode=data["returncode"],
        wall=data["wall"],
        error="" if outcome else (problems[0] if problems else ""),
    )


def load_bench(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ReportError(f"{path} is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ReportError(f"{path} is not the JSON of `bench --json`: not an object")
    return document


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
    view = sources.side_by_side(scenario, MODELS)
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
    stderr = [(PHASES.get(phase, phase), text.rstrip()) for phase, text in found.stderr.items()]
    notes = [f"warning: {warning}" for warning in found.warnings]
    notes += [f"left running: {pending}" for pending in found.pending]
    if found.sockets > 0:
        notes.append(f"sockets left open: {found.sockets}")
    return Output(run.job.model, run.ok, run.wall, run.transcript, run.problems, stderr, notes)


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
#
# The bench JSON's exact shape belongs to ``shared.bench``: an object whose lists
# of records are tables (``results`` holds one per workload), a figure being a
# number or a summary ``{"min", "median", "max"}``. This renders whatever tables
# it finds, at any depth, so that a new workload or column needs no change here.

BIG_TABLE = 40  # rows: a table longer than this is folded away, and not charted


@dataclass
class Chart:
    """A horizontal bar chart of one column, as inline SVG."""

    title: str
    svg: Markup


@dataclass
class BenchTable:
    title: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    charts: list[Chart] = field(default_factory=list)

    @property
    def folded(self) -> bool:
        return len(self.rows) > BIG_TABLE


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _summary(value: Any) -> tuple[float, float, float] | None:
    """(median, min, max) of a summary figure, or None if ``value`` is not one."""
    if isinstance(value, dict) and _is_number(value.get("median")):
        low, high = value.get("min", value["median"]), value.get("max", value["median"])
        if _is_number(low) and _is_number(high):
            return float(value["median"]), float(low), float(high)
    return None


def _figure(value: Any) -> float | None:
    """The number to chart for a cell: itself, or a summary's median."""
    if _is_number(value):
        return float(value)
    found = _summary(value)
    return found[0] if found else None


def number(value: float) -> str:
    """Three significant figures or so, thousands separated."""
    if isinstance(value, int):
        return f"{value:,}"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _cell(value: Any) -> str:
    if _is_number(value):
        return number(value)
    found = _summary(value)
    if found is not None:
        median, low, high = found
        return number(median) if low == high else f"{number(median)} ({number(low)}-{number(high)})"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return "-" if value is None or value == "" else str(value)


def _records(value: Any) -> list[dict[str, Any]] | None:
    """``value`` as a list of flat records (a table), or None if it is not one."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_flatten(v) for v in value]
    return None


def _flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and _summary(value) is None and len(value) <= 12:
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def bar_chart(title: str, bars: Sequence[tuple[str, float, str]]) -> Chart:
    """Bars (label, value, model) with their values at their ends; the longest is the largest."""
    bar, gap, label_width, plot_width = 18, 6, 170, 220  # a small viewBox: legible on a phone
    height = len(bars) * (bar + gap) + gap
    top = max(value for _, value, _ in bars) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {label_width + plot_width + 60} {height}" '
        f'aria-label="{html.escape(title)}">'
    ]
    for index, (label, value, model) in enumerate(bars):
        y = gap + index * (bar + gap)
        length = max(1.0, plot_width * value / top) if value > 0 else 0.0
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar * 0.72:.1f}" text-anchor="end">'
            f"{html.escape(label[:27])}</text>"
            f'<rect class="{html.escape(model)}" x="{label_width}" y="{y}" '
            f'width="{length:.1f}" height="{bar}" rx="3"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + bar * 0.72:.1f}">'
            f"{html.escape(number(value))}</text>"
        )
    parts.append("</svg>")
    return Chart(title, Markup("".join(parts)))  # every text in it is escaped above


def bench_tables(document: Mapping[str, Any]) -> tuple[list[BenchTable], dict[str, str]]:
    """Every table found in a bench JSON, and its other values (the environment...)."""
    tables: list[BenchTable] = []
    facts: dict[str, str] = {}

    def walk(value: Any, path: list[str]) -> None:
        records = _records(value)
        if records is not None:
            tables.append(table(" / ".join(path) or "results", records))
        elif isinstance(value, dict) and _summary(value) is None:
            for key, item in value.items():
                walk(item, [*path, str(key)])
        elif path:
            facts[".".join(path)] = _cell(value)

    walk(document, [])
    return sorted(tables, key=lambda t: t.folded), facts  # the long raw ones last


def table(title: str, records: list[dict[str, Any]]) -> BenchTable:
    """One table; its measured columns charted, each bar named by the columns before them.

    A measured column holds summaries, or fractional numbers; the columns before
    the first of them (model, variant, size...) say what each row measured.
    """
    columns = list(dict.fromkeys(key for record in records for key in record))
    numeric = [
        any(_figure(r.get(c)) is not None for r in records)
        and all(_figure(r.get(c)) is not None or r.get(c) in (None, "") for r in records)
        for c in columns
    ]
    rows = [[_cell(record.get(column)) for column in columns] for record in records]

    def measured(column: str) -> bool:
        values = [r.get(column) for r in records]
        return any(_summary(v) for v in values) or any(isinstance(v, float) for v in values)

    first = next((i for i, c in enumerate(columns) if measured(c)), len(columns))
    summaries = [c for c in columns if any(_summary(r.get(c)) for r in records)]
    charted = summaries or [c for c in columns[first:] if measured(c)]
    charts = []
    if len(records) <= BIG_TABLE:
        for column in charted:
            bars = [
                (" · ".join(_cell(r.get(c)) for c in columns[:first] if r.get(c) not in (None, "")),
                 figure, str(r.get("model", "")))
                for r in records
                if (figure := _figure(r.get(column))) is not None and figure >= 0
            ]  # fmt: skip
            if bars and any(value for _, value, _ in bars):
                charts.append(bar_chart(column, bars))
    return BenchTable(title, columns, rows, numeric, charts)


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
        f"{own}\n/* Pygments: {LIGHT_STYLE} */\n{light}\n"
        f"/* Pygments: {DARK_STYLE}, for dark screens */\n"
        f"@media (prefers-color-scheme: dark) {{\n{indented}\n}}\n"
    )


def differences_by_scenario() -> list[tuple[str, list[dict[str, Any]]]]:
    """The README's differences, grouped by scenario in the catalogue's order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in readme.difference_rows():
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
    bench: Mapping[str, Any] | None = None,
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
        "scenario_rows": readme.scenario_rows(),
        "difference_groups": differences_by_scenario(),
        "has_bench": bench is not None,
        "environment": dict(environment or {}),
        "made": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "runs": len(runs),
        "as_expected": sum(run.ok for run in runs),
        "href": href,
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
    stale = out / "bench.html"
    if bench is not None:
        tables, facts = bench_tables(bench)
        text = templates.get_template("bench.html.j2").render(
            context, tables=tables, facts=facts, title="benchmarks"
        )
        write("bench.html", text)
    elif stale.exists():
        stale.unlink()  # a bench page from an earlier report would not match these runs
    return written
