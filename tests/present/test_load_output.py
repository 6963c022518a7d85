"""The load experiment's output, drawn from the committed docs/load/load.json.

The tables' marks in the terminal, Markdown and HTML; the verdict; the charts as
matplotlib figures (colours, line styles, the marks and reference lines with
their labels, plain tick labels, the spectrum's percentiles); the report's page,
which opens with the verdict and its chart. A copy of the committed file with
some figures spoilt (untrusted, never saturated) and one with spectrum steps
(the committed run may predate them) cover what the run itself did not need.
"""

from __future__ import annotations

import dataclasses
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from shared import documents, tables
from shared.measure.load.document import DeploymentFigures, LoadDocument, SpectrumStep
from shared.present import charts, report
from shared.present import load as output

LOAD_FILE = Path(__file__).resolve().parents[2] / "docs" / "load" / "load.json"
COMMITTED = documents.read(LOAD_FILE, LoadDocument)


def spoiled(doc: LoadDocument) -> LoadDocument:
    """The committed figures with the first deployment's busiest step untrusted (a
    saturation marked ?) and the second's ladders never saturated (a floor, ≥)."""
    first, second, *rest = doc.deployments
    busiest = max(first.steps, key=lambda s: s.load.throughput)
    untrusted = dataclasses.replace(busiest, load=dataclasses.replace(busiest.load, trusted=False))
    first = dataclasses.replace(
        first, steps=[untrusted if s is busiest else s for s in first.steps]
    )
    second = dataclasses.replace(second, reached=False)
    return dataclasses.replace(doc, deployments=[first, second, *rest])


def with_spectrum(doc: LoadDocument) -> LoadDocument:
    """The document with spectrum steps: its own if it has them, else two steps of each
    deployment's first repeat standing in for a half and four fifths of its saturation."""
    if any(d.spectrum for d in doc.deployments):
        return doc

    def spectrum(deployment: DeploymentFigures) -> list[SpectrumStep]:
        carried = [s for s in deployment.steps if s.repeat == 1 and not s.saturated]
        found = []
        for share, step in zip((0.5, 0.8), carried[-2:], strict=False):
            fields = {f.name: getattr(step, f.name) for f in dataclasses.fields(step)}
            found.append(SpectrumStep(**fields, share=share))
        return found

    deployments = [dataclasses.replace(d, spectrum=spectrum(d)) for d in doc.deployments]
    return dataclasses.replace(doc, deployments=deployments)


# -- the tables' marks ------------------------------------------------------------------


class Rows(HTMLParser):
    """Each body row of an HTML table, its text cell by cell."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None:
            self.rows[-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


MARKS = (output.MARK, output.SATURATED, "≥")


def marks(text: str) -> list[str]:
    """The marks in a row's text, each as often as it appears."""
    return sorted(c for c in text if c in MARKS)


# Every mark of a table's row in the terminal (? untrusted, ! saturated, ≥ at the
# timeout or never saturated) is in its Markdown and HTML rows too, as often. The
# committed file and its spoilt copy have rows of each mark.
@pytest.mark.parametrize("doc", [COMMITTED, spoiled(COMMITTED)], ids=["committed", "spoiled"])
def test_marks_kept_in_markdown_and_html(doc: LoadDocument) -> None:
    seen: set[str] = set()
    for table in output.all_tables(doc):
        out = io.StringIO()
        Console(file=out, width=400, color_system=None).print(tables.grid(table))
        terminal = out.getvalue().splitlines()[-len(table.rows) :] if table.rows else []
        markdown = tables.markdown(table, title=False).splitlines()[2 : 2 + len(table.rows)]
        parser = Rows()
        parser.feed(str(tables.html(table)))
        html = [" ".join(cells) for cells in parser.rows if cells]
        assert len(terminal) == len(markdown) == len(html) == len(table.rows), table.title
        for shown, md, page in zip(terminal, markdown, html, strict=True):
            assert marks(shown) == marks(md) == marks(page), (table.title, shown, md, page)
            seen |= set(marks(shown))
    assert seen == set(MARKS)


# A steps table marks a rate ! where some repeat saturated there and ? where some
# repeat's figures were untrusted, and nowhere else; the summary marks a saturation
# taken from an untrusted step ?, one that is a floor ≥, the same in the layers table.
def test_where_the_marks_go() -> None:
    doc = spoiled(COMMITTED)
    for deployment in doc.deployments:
        table = output.steps(deployment, doc.plan)
        for row, (rate, found) in zip(table.rows, output.by_rate(deployment).items(), strict=True):
            cell = str(row.cells[0])
            assert (output.SATURATED in cell) == any(s.saturated for s in found), cell
            assert (output.MARK in cell) == any(not s.load.trusted for s in found), cell
            assert cell.startswith(tables.number(int(rate)))
    summary = {row.cells[0]: tables.text(row.cells[2]) for row in output.summary(doc).rows}
    first, second = doc.deployments[:2]
    assert summary[first.name].endswith(f" {output.MARK}")
    assert summary[second.name].startswith("≥")
    layers = output.layers(doc)
    assert layers is not None
    alone = {row.cells[0]: tables.text(row.cells[4]) for row in layers.rows}
    if first.name in alone:
        assert alone[first.name] == summary[first.name]


# -- the verdict -------------------------------------------------------------------------


# The verdict names every deployment once, by saturation, each with its table's marks;
# then how far apart they are, where the knee comes, and whether it is all evidence.
@pytest.mark.parametrize("doc", [COMMITTED, spoiled(COMMITTED)], ids=["committed", "spoiled"])
def test_verdict(doc: LoadDocument) -> None:
    said = output.verdict(doc)
    first = said[0]
    ranked = sorted(doc.deployments, key=lambda d: d.saturation.median or 0.0)
    where = [first.index(f" {d.name} ") for d in ranked]
    assert where == sorted(where)
    for deployment in doc.deployments:
        words = output._saturation_words(deployment)
        assert f"{deployment.name} {words}" in first
        assert words.startswith("≥") == (not deployment.reached)
        assert words.endswith(output.MARK) == output.untrusted_saturation(deployment)
    assert any(line.startswith("Deployed under gunicorn, the fastest") for line in said)
    assert any(line.startswith("Alone, on one parser, the fastest") for line in said)
    assert any("2 x D = 100 ms" in line for line in said)
    untrusted = sum(not s.load.trusted for s in doc.all_steps())
    if doc.trusted:
        assert said[-1].startswith("Trusted")
    else:
        assert said[-1].startswith("Not all trusted") and f" {untrusted} of " in said[-1]
    checkless = dataclasses.replace(doc, generator=None)
    assert output.verdict(checkless)[-1].startswith("UNTRUSTED")
    alone = dataclasses.replace(doc, deployments=doc.deployments[:1])
    name = doc.deployments[0].name
    knee = next(line for line in output.verdict(alone) if line.startswith("The knee"))
    assert knee.endswith(f"% ({name}) of its saturation.") and " to " not in knee


# The terminal form, verdict included, reads at 80 columns.
def test_rendered_at_80_columns() -> None:
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(output.rendered(COMMITTED))
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "verdict" in text and "Saturates" in text


# -- the charts --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def drawn() -> dict[str, Any]:
    """The charts of the committed file, of its spoilt copy (the two its spoiling
    touches) and of one with spectrum steps, drawn (tick labels as they would be) but
    not written: each once for the module."""
    found: dict[str, Any] = dict(output.figures(COMMITTED))
    worse = spoiled(COMMITTED)
    found["spoiled latency"] = output.latency_figure(worse)
    found["spoiled throughput"] = output.throughput_figure(worse)
    bare = dataclasses.replace(
        COMMITTED, deployments=[dataclasses.replace(d, spectrum=[]) for d in COMMITTED.deployments]
    )
    found["no spectrum"] = output.spectrum_figure(bare)
    found["spectrum"] = output.spectrum_figure(with_spectrum(COMMITTED))
    for figure in found.values():
        figure.draw_without_rendering()
    return found


def legend_labels(figure: Any) -> list[str]:
    legends = [*figure.legends, *(a.get_legend() for a in figure.axes if a.get_legend())]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def texts(figure: Any) -> list[str]:
    return [t.get_text() for axes in figure.axes for t in axes.texts]


# Each deployment's line in its model's colour (uvloop and uvicorn shades of asyncio)
# and its configuration's line style, in every chart.
def test_colours_and_line_styles(drawn: dict[str, Any]) -> None:
    configs = {d.name: d.config for d in COMMITTED.deployments}
    for name in ("latency", "throughput", "spectrum"):
        lines = [line for axes in drawn[name].axes for line in axes.lines if line.get_gid()]
        assert {line.get_gid() for line in lines} == set(configs), name
        for line in lines:
            gid = line.get_gid()
            assert line.get_color().upper() == charts.colour(gid).upper(), (name, gid)
            if line.get_linestyle() != "None":  # an error bar's caps have none
                assert line.get_linestyle() == charts.line_style(configs[gid]), (name, gid)


# No tick label is a power of ten, on any axis of any chart.
def test_plain_tick_labels(drawn: dict[str, Any]) -> None:
    for name, figure in drawn.items():
        for axes in figure.axes:
            if not axes.axison:
                continue
            labels = [t.get_text() for t in (*axes.get_xticklabels(), *axes.get_yticklabels())]
            labels = [label for label in labels if label]
            assert labels, name
            for label in labels:
                assert not re.search(r"[\u00d7^$]|\de[+-]?\d", label), (name, label)


# The latency chart: the 2 x D line labelled in both panels, the timeout where p99s
# reach it, knees, saturated and untrusted steps in the legend, with each model's
# colour and each configuration's style.
def test_latency_chart(drawn: dict[str, Any]) -> None:
    figure = drawn["latency"]
    p50, p99 = figure.axes
    assert [t.get_text() for t in p50.texts] == ["2 x D = 100 ms"]
    assert "2 x D = 100 ms" in [t.get_text() for t in p99.texts]
    timed_out = any(s.load.at_timeout(s.load.latency_all_ms.p99)
                    for d in COMMITTED.deployments for s in d.steps)  # fmt: skip
    assert ("the timeout, 5 s" in [t.get_text() for t in p99.texts]) == timed_out
    labels = legend_labels(figure)
    models = list(dict.fromkeys(d.model for d in COMMITTED.deployments))
    assert labels[: len(models) + 2] == [*models, "tuned", "bare"]
    assert "knee (median): p99 under 100 ms up to it" in labels
    assert "saturated (some repeat)" in labels
    assert ("untrusted (some repeat)" in labels) == (not COMMITTED.trusted)
    assert "untrusted (some repeat)" in legend_labels(drawn["spoiled latency"])
    knees = [c.get_gid() for c in p99.collections if (c.get_gid() or "").endswith("up to it")]
    assert knees == [f"{d.name} knee (median): p99 under 100 ms up to it"
                     for d in COMMITTED.deployments if d.knee.median]  # fmt: skip
    assert p99.get_xscale() == p99.get_yscale() == "log"


# Achieved against offered: answered = offered drawn and labelled, each deployment's
# saturation starred; a floor (never saturated) hollow and named so.
def test_throughput_chart(drawn: dict[str, Any]) -> None:
    figure = drawn["throughput"]
    (axes,) = figure.axes
    diagonal = [line for line in axes.lines if not line.get_gid()]
    assert any(list(line.get_xdata()) == list(line.get_ydata()) for line in diagonal)
    assert "answered = offered" in texts(figure)
    assert "saturation (median)" in legend_labels(figure)
    stars = [c.get_gid() for c in axes.collections if (c.get_gid() or "").endswith("(median)")]
    assert stars == [f"{d.name} saturation (median)" for d in COMMITTED.deployments if d.reached]
    assert "a floor: never saturated" in legend_labels(drawn["spoiled throughput"])
    assert "a floor: never saturated" not in legend_labels(figure)


# The spectrum: a panel per share, percentiles 50% to 99.99% on a log scale of
# 1 / (1 - p), a line per deployment labelled with its rate; without spectrum steps,
# the chart says so in its place.
def test_spectrum_chart(drawn: dict[str, Any]) -> None:
    figure = drawn["spectrum"]
    doc = with_spectrum(COMMITTED)
    half, four_fifths = figure.axes
    assert half.get_title() == "at a half of each one's saturation"
    assert four_fifths.get_title() == "at four fifths of each one's saturation"
    for axes in (half, four_fifths):
        assert axes.get_xscale() == "log"
        assert [t.get_text() for t in axes.get_xticklabels()] == [
            "50%", "90%", "99%", "99.9%", "99.99%",
        ]  # fmt: skip
        assert list(axes.get_xticks()) == [2, 10, 100, 1000, 10000]
        assert "2 x D = 100 ms" in [t.get_text() for t in axes.texts]
    labels = legend_labels(figure)
    for deployment in doc.deployments:
        for step in deployment.spectrum:
            assert f"{deployment.name}, {tables.number(int(step.rate))}/s" in labels
    assert figure.axes[0].lines[0].get_xdata()[0] == 1  # p0 at 1 / (1 - 0)
    assert any("No latency spectrum" in t for t in texts(drawn["no spectrum"]))


# The files: the three charts, PNG by default; none for a document without a step. The
# committed figures are drawn in the fixture: three steps of one deployment will do here.
def test_charts_written(tmp_path: Path) -> None:
    first = COMMITTED.deployments[0]
    few = dataclasses.replace(COMMITTED, deployments=[
        dataclasses.replace(first, steps=first.steps[:3])])  # fmt: skip
    written = output.write_charts(tmp_path / "charts", few)
    assert [p.name for p in written] == ["latency.png", "throughput.png", "spectrum.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written)
    empty = dataclasses.replace(COMMITTED, deployments=[])
    assert output.write_charts(tmp_path / "none", empty) == []


# -- the report's page -------------------------------------------------------------------


# The service's page opens with the verdict, then its main chart (latency against the
# offered rate), then the tables, the other charts after them.
def test_report_page_opens_with_the_verdict(tmp_path: Path) -> None:
    report.build(tmp_path, [], load=COMMITTED)
    page = (tmp_path / "load.html").read_text(encoding="utf-8")
    verdict = page.index('id="verdict"')
    main_chart = page.index('src="latency.svg"')
    first_table = page.index('<figure class="figures"')
    assert verdict < main_chart < first_table < page.index('src="throughput.svg"')
    for line in output.verdict(COMMITTED):
        assert line.replace("'", "&#39;") in page
    assert {"latency.svg", "throughput.svg", "spectrum.svg"} <= {p.name for p in tmp_path.iterdir()}
