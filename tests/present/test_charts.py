"""The charts' one look (shared.present.charts), drawn from the committed figures files.

The palette and the line styles are plain functions; the charts are drawn once
from docs/bench/bench.json and docs/hurts/hurts.json (and from a copy of the
hurts file with figures made untrusted, saturated or failed, for the marks the
committed run did not need) into matplotlib figures that the tests read: the
colour of each model's lines and bars, the scales, the tick labels as drawn,
the reference lines' labels, the legends; copies of the three files with every
figure blanked must still draw. The tables' marks are compared in
the three renderings: what the terminal shows, Markdown and HTML must show too.
"""

from __future__ import annotations

import colorsys
import dataclasses
import io
import json
import re
import types
import typing
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from shared import documents, tables
from shared.measure.bench.figures import BenchDocument
from shared.measure.hurts.document import HurtsDocument
from shared.measure.load.document import LoadDocument
from shared.present import bench, charts, hurts
from shared.present import load as load_output

DOCS = Path(__file__).resolve().parents[2] / "docs"
MODELS = ("asyncio", "gevent", "threads")
# Read once for the module: the fixture draws from them, the tables' tests lay them out.
BENCH = documents.read(DOCS / "bench" / "bench.json", BenchDocument)
HURTS = documents.read(DOCS / "hurts" / "hurts.json", HurtsDocument)


def hue(hex_colour: str) -> float:
    red, green, blue = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hls(red, green, blue)[0]


# -- the palette ----------------------------------------------------------------------


# A colour per model, distinct; a variant a shade of its model's (the same hue, give or
# take), distinct from the model and from the other variant; a deployment's label takes
# its model part's colour; anything else grey.
def test_palette() -> None:
    colours = [charts.colour(model) for model in MODELS]
    assert len(set(colours)) == len(MODELS)
    assert colours == [charts.MODEL_COLOURS[model] for model in MODELS]
    variants = [charts.colour("asyncio+uvloop"), charts.colour("asyncio+uvicorn")]
    assert len({charts.colour("asyncio"), *variants}) == 3
    for variant in variants:
        assert abs(hue(variant) - hue(charts.colour("asyncio"))) < 0.05  # still blue
        assert all(abs(hue(variant) - hue(charts.colour(m))) > 0.1 for m in MODELS[1:])
    assert charts.colour("asyncio+uvloop tuned") == charts.colour("asyncio+uvloop")
    assert charts.colour("gevent bare") == charts.colour("gevent")
    assert charts.colour("threads, defaults") == charts.colour("threads")
    assert charts.colour("asyncio+other") == charts.colour("asyncio")  # an unnamed variant
    assert charts.colour("trio") == charts.colour("") == charts.GREY


# Configurations by line style, an unknown one dash-dot; style() reads a label's own.
def test_line_styles() -> None:
    assert [charts.line_style(c) for c in ("tuned", "defaults", "bare", "raised", "what")] == [
        "-",
        "--",
        ":",
        "-",
        "-.",
    ]
    assert charts.style("gevent bare") == {
        "color": charts.colour("gevent"),
        "linestyle": ":",
        "label": "gevent bare",
    }
    assert charts.style("asyncio")["linestyle"] == "-"
    assert charts.style("asyncio", "defaults")["linestyle"] == "--"


# A tick's number as a reader writes it: never an exponent for the figures charted here.
@pytest.mark.parametrize(
    ("value", "shown"),
    [(0, "0"), (0.05, "0.05"), (0.5, "0.5"), (20, "20"), (400, "400"), (1000, "1k"),
     (1500, "1.5k"), (20_000, "20k"), (3e6, "3M"), (-200, "-200")],
)  # fmt: skip
def test_plain(value: float, shown: str) -> None:
    assert charts.plain(value) == shown


# The report's CSS comes from the same palette; each model's name that opens a cell or a
# heading gets its swatch, and nothing else is touched.
def test_css_and_names_in_html() -> None:
    css = charts.css()
    for name, hex_colour in (charts.MODEL_COLOURS | charts.VARIANT_COLOURS).items():
        assert f".{charts.css_class(name)} {{ --model: {hex_colour}; }}" in css
    assert f"--gevent: {charts.colour('gevent')};" in css
    table = tables.Table("t", (tables.Column("model", align="left"), tables.Column("n")))
    table.add("asyncio+uvloop ?", 1)
    table.add("gevented", 2)
    table.add("threads", 3)
    marked = str(charts.mark_models(tables.html(table)))
    assert (
        '<span class="model-name model-asyncio model-asyncio-uvloop">asyncio+uvloop</span> ?'
        in marked
    )
    assert '<span class="model-name model-threads">threads</span></td>' in marked
    assert ">gevented</td>" in marked  # a longer word is no model's name
    assert 'data-label="model"' in marked  # attributes left alone


# -- the charts, drawn from the committed files ---------------------------------------


def spoiled(doc: HurtsDocument) -> HurtsDocument:
    """The committed hurts figures with some made untrusted, saturated or failed."""

    def load(figure: Any, **changes: Any) -> Any:
        return dataclasses.replace(figure, load=dataclasses.replace(figure.load, **changes))

    assert doc.blocking and doc.idle and doc.cpu
    first = doc.blocking[0]
    timeout = first.figures[2].load.timeout_ms
    failing = load(
        first.figures[2],
        timeouts=5,
        latency_all_ms=dataclasses.replace(first.figures[2].load.latency_all_ms, p99=timeout),
    )
    blocking = [
        dataclasses.replace(
            first,
            figures=[
                load(first.figures[0], trusted=False),
                load(first.figures[1], throughput=first.figures[1].load.rate / 2),
                failing,
            ],
        ),
        *doc.blocking[1:],
    ]
    idle = list(doc.idle)
    idle[0] = dataclasses.replace(idle[0], live=load(idle[0].live, trusted=False))
    idle[-1] = dataclasses.replace(idle[-1], live=load(idle[-1].live, throughput=1.0))
    return dataclasses.replace(doc, blocking=blocking, idle=idle)


@pytest.fixture(scope="module")
def hurts_svgs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The committed hurts file's charts, written as SVG (which draws them, tick labels
    and all), and the folder they were written to."""
    folder = tmp_path_factory.mktemp("hurts")
    found = hurts.figures(HURTS)
    for name, figure in found.items():
        charts.save(figure, folder / f"{name}.svg")
    return folder, found


@pytest.fixture(scope="module")
def drawn(hurts_svgs: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    """Every chart of the committed files, and of the spoiled hurts file (the two charts
    its spoiling touches), by name: each drawn once for the module."""
    found: dict[str, Any] = dict(charts.figures(BENCH))
    worse = spoiled(HURTS)
    found["spoiled hurts-blocking"] = hurts.blocking_figure(worse)
    found["spoiled hurts-idle"] = hurts.idle_figure(worse)
    for figure in found.values():
        figure.draw_without_rendering()  # the tick labels, as they would be drawn
    return found | hurts_svgs[1]


def artists(figure: Any) -> list[Any]:
    return [a for axes in figure.axes for a in (*axes.lines, *axes.patches, *axes.collections)]


def by_gid(figure: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for artist in artists(figure):
        if artist.get_gid():
            found.setdefault(artist.get_gid(), []).append(artist)
    return found


def colour_of(artist: Any) -> str:
    from matplotlib.colors import to_hex

    picked = artist.get_color() if hasattr(artist, "get_color") else artist.get_facecolor()
    if not isinstance(picked, str) and len(picked) and not isinstance(picked[0], float):
        picked = picked[0]  # a collection's first colour
    return str(to_hex(picked)).upper()


# Each chart draws a model's lines, bars and points in the model's colour, the same in
# every chart: the fan-out and memory (uvloop a shade of asyncio), CPU, blocking, idle.
def test_same_colour_for_a_model_in_every_chart(drawn: dict[str, Any]) -> None:
    seen: dict[str, set[str]] = {}
    for name in ("fanout", "memory", "hurts-cpu", "hurts-blocking", "hurts-idle"):
        gids = by_gid(drawn[name])
        assert gids, name
        for gid, found in gids.items():
            model = gid.split()[0]
            for artist in found:
                seen.setdefault(model, set()).add(colour_of(artist))
    assert set(seen) == {*MODELS, "asyncio+uvloop"}
    for model, colours in seen.items():
        assert colours == {charts.colour(model).upper()}, model


# Configurations by line style: the fan-out's defaults dashed beside the tuned solid;
# the idle chart's limits as shipped dashed, raised solid.
def test_configurations_by_line_style(drawn: dict[str, Any]) -> None:
    fanout, idle = by_gid(drawn["fanout"]), by_gid(drawn["hurts-idle"])
    assert fanout["gevent tuned"][0].get_linestyle() == "-"
    assert fanout["gevent defaults"][0].get_linestyle() == "--"
    assert idle["threads raised"][0].get_linestyle() == "-"
    assert idle["threads defaults"][0].get_linestyle() == "--"


# Plain tick labels everywhere: no 4 times 10 squared, no 10^4, no 1e3, on log axes too.
def test_plain_tick_labels(drawn: dict[str, Any]) -> None:
    for name, figure in drawn.items():
        for axes in figure.axes:
            labels = [t.get_text() for t in (*axes.get_xticklabels(), *axes.get_yticklabels())]
            labels = [label for label in labels if label]
            assert labels, name
            for label in labels:
                assert not re.search(r"[\u00d7^$]|\de[+-]?\d", label), (name, label)
    fanout_x = [t.get_text() for t in drawn["fanout"].axes[0].get_xticklabels()]
    assert {"10", "100", "1k", "10k"} <= set(fanout_x)


# The blocking chart's bars stand on a linear axis from 0, D and D + the call labelled.
def test_blocking_chart(drawn: dict[str, Any]) -> None:
    axes = drawn["hurts-blocking"].axes[0]
    assert axes.get_yscale() == "linear" and axes.get_ylim()[0] == 0
    texts = [t.get_text() for t in axes.texts]
    assert "D = 50 ms" in texts and "D + the call\n= 250 ms" in texts
    assert len(axes.patches) == 9  # three calls of three models


# Reference lines carry their label: D in the fan-out, D + C in the CPU chart, D in idle.
def test_reference_lines_labelled(drawn: dict[str, Any]) -> None:
    def texts(name: str) -> str:
        return " | ".join(t.get_text() for axes in drawn[name].axes for t in axes.texts)

    assert "D = 0.1 s: every request at once" in texts("fanout")
    assert "the defaults' deadline, 20 s" in texts("fanout")  # threads stopped there
    assert "D + C: the least it can be" in texts("hurts-cpu")
    assert "D = 50 ms" in texts("hurts-idle")


def legend_labels(figure: Any) -> list[str]:
    legends = [*figure.legends, *(a.get_legend() for a in figure.axes if a.get_legend())]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


# Saturated steps are crossed (the committed CPU search has some), untrusted figures
# ringed, each named once in the legend; nothing is marked where nothing is wrong.
def test_marks(drawn: dict[str, Any]) -> None:
    assert legend_labels(drawn["hurts-cpu"]).count("saturated") == 1
    assert "untrusted" not in legend_labels(drawn["hurts-cpu"])
    for name in ("hurts-blocking", "hurts-idle"):
        assert not {"untrusted", "saturated"} & set(legend_labels(drawn[name]))
        spoilt = legend_labels(drawn[f"spoiled {name}"])
        assert spoilt.count("untrusted") == 1 and spoilt.count("saturated") == 1, name
    bars = drawn["spoiled hurts-blocking"].axes[0].texts
    assert any(t.get_text().endswith(hurts.MARK) for t in bars)  # "54.2 ?", as the tables
    assert legend_labels(drawn["memory"]) == ["asyncio", "asyncio+uvloop", "gevent", "threads"]


# The files: PNG by default, SVG for the report; the same bytes for the same figures
# (those the fixture wrote from the same file are the "again").
def test_files_the_same_each_time(tmp_path: Path, hurts_svgs: tuple[Path, dict[str, Any]]) -> None:
    first = hurts.write_charts(str(tmp_path / "one"), HURTS, suffix="svg")
    assert [p.name for p in first] == ["hurts-cpu.svg", "hurts-blocking.svg", "hurts-idle.svg"]
    again = [hurts_svgs[0] / p.name for p in first]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    assert b"dc:date" not in first[0].read_bytes()


# -- files with no figures ------------------------------------------------------------


def blank(hint: Any, data: Any) -> Any:
    """A document's JSON with every figure its type lets be missing gone: None where a
    figure may be None, no distribution, no summary (bench's figures by metric), and
    every run untrusted. The file of a run where every request failed, and worse."""
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        return {k: False if k == "trusted" else blank(hints.get(k), v) for k, v in data.items()}
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and data is not None:
        if type(None) in args and isinstance(data, (int, float)) and not isinstance(data, bool):
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return blank(inner, data)
    if origin is list:
        if typing.get_origin(args[0]) is tuple:
            return []  # a distribution: (percentile, ms) pairs
        return [blank(args[0], item) for item in data]
    if origin is dict:
        if dataclasses.is_dataclass(args[1]):
            return {}
        return {k: blank(args[1], v) for k, v in data.items()}
    return data


def blanked(path: Path, cls: Any) -> Any:
    return documents.from_json(cls, blank(cls, json.loads(path.read_text(encoding="utf-8"))))


def notes(figure: Any) -> list[str]:
    """What the panels with nothing to draw say in their place."""
    return [t.get_text() for axes in figure.axes if not axes.axison for t in axes.texts]


# Each chart of a file with no figures draws (an empty log axis cannot: "Data cannot be
# log-scaled", as hurts' idle chart said when every live request failed), each panel
# with nothing to draw saying so in its place; what a panel can still draw (the
# ladder's steps, the memory held, what was answered) it draws.
@pytest.mark.parametrize(
    ("kind", "cls", "draw", "expected"),
    [
        ("hurts", HurtsDocument, hurts.figures,
         {"hurts-cpu": ["No p99"], "hurts-blocking": ["No p99"], "hurts-idle": ["No p99"]}),
        ("load", LoadDocument, load_output.figures,
         {"latency": ["No figure"] * 2, "throughput": [],
          "spectrum": ["No latency spectrum in this file"]}),  # the committed file has none
        ("bench", BenchDocument, charts.figures,
         {"fanout": ["No wall time"], "memory": ["No figure"] * 2}),
    ],
)  # fmt: skip
def test_charts_of_a_file_with_no_figures(
    kind: str, cls: Any, draw: Any, expected: dict[str, list[str]]
) -> None:
    doc = blanked(DOCS / kind / f"{kind}.json", cls)
    found = draw(doc)
    assert list(found) == list(expected)
    for name, figure in found.items():
        figure.draw_without_rendering()
        assert [note.split(":")[0] for note in notes(figure)] == expected[name], name
        for axes in figure.axes:
            assert not axes.axison or axes.lines or axes.patches or axes.collections, name
        if name != "spectrum":  # whose note says all, untitled: the rest keep their title
            assert all(axes.get_title() for axes in figure.axes if not axes.axison), name


# -- the tables' marks, in the three renderings ----------------------------------------


class Rows(HTMLParser):
    """Each body row of an HTML table: its class and its text, cell by cell."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append((dict(attrs).get("class") or "", []))
        elif tag == "td":
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None:
            self.rows[-1][1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def marks(text: str) -> set[str]:
    """The marks in a row: every sign that is not a letter, a digit or a rule."""
    return {c for c in text if not c.isalnum() and not c.isspace() and c not in "│|"}


def every_table() -> list[tuple[str, tables.Table]]:
    found = [*bench.details(BENCH), *bench.summary(BENCH)]
    found += [*hurts.all_tables(HURTS), *hurts.all_tables(spoiled(HURTS))]
    return [(table.name or table.title, table) for table in found]


# Every mark the terminal shows in a row (?, ≥, -, "not run", its red or dim) is in the
# row's Markdown and HTML too: the red or dim as a class in HTML, in words in Markdown
# ("(failed)") unless the row's first cell carries a mark of its own ("asyncio ?").
def test_marks_kept_in_markdown_and_html() -> None:
    checked = {"?", "≥", "flag"}
    for name, table in every_table():
        out = io.StringIO()
        console = Console(file=out, width=400, color_system="standard", force_terminal=True)
        console.print(tables.grid(table))
        lines = out.getvalue().splitlines()
        body = lines[len(lines) - len(table.rows) :]
        markdown = tables.markdown(table, title=False).splitlines()[2 : 2 + len(table.rows)]
        parser = Rows()
        parser.feed(str(tables.html(table)))
        html_rows = [row for row in parser.rows if row[1]]
        assert len(body) == len(markdown) == len(html_rows) == len(table.rows), name
        rendered = zip(body, markdown, html_rows, table.rows, strict=True)
        for shown, md, (kind, cells), row in rendered:
            plain = re.sub(r"\x1b\[[\d;]*m", "", shown)
            assert marks(plain) <= marks(md), (name, plain, md)
            assert marks(plain) <= marks(" ".join(cells)), (name, plain, cells)
            checked -= marks(plain)
            if plain != shown:  # coloured in the terminal: red (failed) or dim (skipped)
                word = {"failed": "(failed)", "skipped": "(not run)"}[row.flag]
                first = md.split(" | ")[0].removeprefix("| ")
                assert word in md or not first[-1].isalnum(), (name, md)  # "asyncio ?"
                assert kind == row.flag, (name, cells)
                checked.discard("flag")
    assert not checked  # the files had rows of each mark to compare
