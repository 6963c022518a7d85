"""shared.tables: one table of figures, the same in the terminal, Markdown and HTML."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest
from rich.console import Console

from shared import tables
from shared.tables import Column, Spread, Table

MODELS = ("asyncio", "asyncio+uvloop", "gevent", "threads")


def sample() -> Table:
    table = Table(
        "fan-out of 10,000 GETs at once, each answered after 0.1 s",
        (Column("model", align="left"), Column("limits", align="left"), Column("wall", "s"),
         Column("in flight"), Column("errors")),
        name="fanout-10000",
    )  # fmt: skip
    for index, model in enumerate(MODELS):
        wall = Spread(20.08 + index, 19.5 + index, 21.34 + index)
        table.add(model, "defaults", wall, 1_428.0, 0, flag="failed" if index == 3 else "")
    table.notes.append("threads, defaults: stopped at the 20 s deadline, 8,830 <unanswered>")
    return table


def rendered(table: Table, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(tables.rich(table))
    return out.getvalue()


# Three significant figures or so, thousands separated, and never an exponent.
@pytest.mark.parametrize(
    ("value", "shown"),
    [(1234.4, "1,234"), (12.54, "12.5"), (3.456, "3.46"), (0.1042, "0.104"), (0.00231, "0.00231"),
     (1.62e-12, "0"), (0.0, "0"), (-0.5, "-0.500"), (10_000, "10,000"), (7, "7")],
)  # fmt: skip
def test_number(value: float, shown: str) -> None:
    assert tables.number(value) == shown


# A spread reads median (min-max), or one value when they round alike; None is "-".
def test_text() -> None:
    assert tables.text(Spread(4.36, 4.2, 4.97)) == "4.36 (4.20-4.97)"
    assert tables.text(Spread(1.3101, 1.31, 1.3102)) == "1.31"
    assert tables.text(None) == "-"
    assert tables.text("not run") == "not run"
    assert Spread.of([3.0, 1.0, 2.0]) == Spread(2.0, 1.0, 3.0)


# A row with the wrong number of cells is a bug in the code that builds the table.
def test_row_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="2 cells for 5 columns"):
        sample().add("asyncio", 1.0)


# At 80 columns every cell is whole: no `…`; the title above, the notes below.
def test_terminal_at_80_columns() -> None:
    shown = rendered(sample(), 80)
    assert "…" not in shown
    assert all(len(line) <= 80 for line in shown.splitlines())
    lines = shown.splitlines()
    assert lines[0].startswith("fan-out of 10,000")
    assert "23.1 (22.5-24.3)" in shown
    assert "asyncio+uvloop" in shown
    assert lines[-2].startswith("· threads, defaults: stopped")


# Too narrow for the columns, the rows become records rather than cut cells.
def test_terminal_too_narrow_gives_records() -> None:
    shown = rendered(sample(), 30)
    assert "…" not in shown
    assert "  wall s: 20.1 (19.5-21.3)" in shown
    assert shown.count("  limits: defaults") == len(MODELS)


# Markdown: the title, a header with right-aligned figures, a row each, the notes.
def test_markdown() -> None:
    lines = tables.markdown(sample()).splitlines()
    assert lines[0] == sample().title
    assert lines[2] == "| model | limits | wall s | in flight | errors |"
    assert lines[3] == "|---|---|---:|---:|---:|"
    assert lines[4] == "| asyncio | defaults | 20.1 (19.5-21.3) | 1,428 | 0 |"
    assert lines[-1].startswith("- threads, defaults")


class Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str]] = []  # (data-label, text)
        self.label: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "td":
            self.label = dict(attrs).get("data-label") or ""
            self.cells.append((self.label, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self.label = None

    def handle_data(self, data: str) -> None:
        if self.label is not None:
            label, text = self.cells.pop()
            self.cells.append((label, text + data))


# HTML: every cell labelled with its column (the cards on a phone), all text escaped.
def test_html() -> None:
    markup = str(tables.html(sample()))
    parser = Cells()
    parser.feed(markup)
    assert parser.cells[:3] == [("model", "asyncio"), ("limits", "defaults"),
                                ("wall s", "20.1 (19.5-21.3)")]  # fmt: skip
    assert 'id="fanout-10000"' in markup and '<tr class="failed">' in markup
    assert "&lt;unanswered&gt;" in markup and "<unanswered>" not in markup
    # A spread's range stays on one line: a browser would break it after the dash.
    assert '20.1 <span class="range">(19.5-21.3)</span>' in markup
