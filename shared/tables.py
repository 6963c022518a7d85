"""One shape for a table of figures, drawn three ways: terminal, Markdown, HTML.

A :class:`Table` is a title, its columns (a name, a unit, an alignment), its
rows of values, and notes that belong under it rather than in a column. The
values stay values (a number, a :class:`Spread`, a string, ``None`` for "no
figure") until a renderer writes them, always through :func:`text`, so that a
figure reads the same everywhere:

* :func:`rich` for the terminal: the title above, the notes below, and the
  rows as records (``column: value`` lines) when the console is too narrow for
  the columns, so that no cell is ever cut short with ``…``;
* :func:`markdown` for the README;
* :func:`html` for the report, where each row becomes a card on a phone.

Adding a table is a few lines: build it from the typed figures document, then
hand it to the renderer of the place it goes::

    from shared import tables

    latency = tables.Table(
        "latency at 200 requests / s",
        (tables.Column("model", align="left"), tables.Column("p99", "ms"),
         tables.Column("errors")),
    )
    for result in document.results:
        latency.add(result.model, result.p99_ms, result.errors)
    latency.notes.append("latency from each request's intended send time")
    console.print(tables.rich(latency))           # or tables.markdown / tables.html

Keep a terminal table to five or six short columns: with four models' names and
``median (min-max)`` figures that reads at 80 columns; more goes into a second
table (one per size, per model) or into the notes.
"""

from __future__ import annotations

import html as html_module
import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from markupsafe import Markup
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table as RichTable
from rich.text import Text

Align = Literal["left", "right"]
Flag = Literal["", "failed", "skipped"]


@dataclass(frozen=True)
class Spread:
    """Several measurements of one figure: their median, least and greatest."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values))


Value = str | int | float | Spread | None


def number(value: float) -> str:
    """Three significant figures or so, thousands separated, never an exponent.

    1,234 · 12.5 · 3.46 · 0.104 · 0.00231; a whole number (an ``int``) in full.
    """
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    if size < 1e-9:
        return "0"
    return f"{value:.{2 - math.floor(math.log10(size))}f}"


def text(value: Value) -> str:
    """A value as every renderer writes it: ``median (min-max)`` for a spread."""
    if value is None:
        return "-"
    if isinstance(value, Spread):
        median, low, high = (number(v) for v in (value.median, value.low, value.high))
        return median if low == high else f"{median} ({low}-{high})"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number(value)
    return value


@dataclass(frozen=True)
class Column:
    """A column: what it holds, in which unit, and which side its values keep to."""

    name: str
    unit: str = ""
    align: Align = "right"

    @property
    def heading(self) -> str:
        return f"{self.name} {self.unit}".strip()


@dataclass(frozen=True)
class Row:
    cells: tuple[Value, ...]
    flag: Flag = ""  # failed: a measurement gave no figure; skipped: not measured on purpose


@dataclass
class Table:
    """A titled table of figures, with the notes that go under it."""

    title: str
    columns: tuple[Column, ...]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    name: str = ""  # a short identifier: the HTML anchor

    def add(self, *cells: Value, flag: Flag = "") -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.title}: {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(Row(tuple(cells), flag))

    def texts(self) -> list[list[str]]:
        """Every cell as text, row by row."""
        return [[text(cell) for cell in row.cells] for row in self.rows]


# -- the terminal ---------------------------------------------------------------

STYLES: dict[Flag, str] = {"": "", "failed": "red", "skipped": "dim"}
#: What a flagged row's colour says, in words, for Markdown, which has no colour.
FLAG_WORDS: dict[Flag, str] = {"": "", "failed": "failed", "skipped": "not run"}


def grid(table: Table, widths: Sequence[int] | None = None) -> RichTable:
    """The rows in columns, as rich draws them; ``widths``: each column's, padding aside."""
    headed = any(column.heading for column in table.columns)
    drawn = RichTable(show_edge=False, pad_edge=False, header_style="bold", show_header=headed)
    for index, column in enumerate(table.columns):
        drawn.add_column(column.heading, justify=column.align,
                         width=widths[index] if widths else None)  # fmt: skip
    for row, cells in zip(table.rows, table.texts(), strict=True):
        drawn.add_row(*cells, style=STYLES[row.flag])
    return drawn


def widths(table: Table, room: int) -> list[int] | None:
    """Each column's width so that the table fits in ``room`` characters, no word cut;
    None when it cannot.

    Every column starts as wide as its longest cell; while the table is too wide,
    the widest column that can still wrap gives up a character. (rich's own
    shrinking may cut a column below its longest word, which shows as ``…``.)
    """
    columns = list(zip(*([c.heading for c in table.columns], *table.texts()), strict=True))
    longest = [max(cell_len(cell) for cell in column) for column in columns]
    words = [max(cell_len(word) for cell in column for word in cell.split() or [""])
             for column in columns]  # fmt: skip
    found = list(longest)
    room -= 3 * len(found) - 3  # a space each side of a column rule, the edges bare
    while sum(found) > room:
        shrinkable = [i for i, width in enumerate(found) if width > words[i]]
        if not shrinkable:
            return None
        found[max(shrinkable, key=lambda i: found[i])] -= 1
    return found


def records(table: Table) -> Group:
    """The rows one under the other, a ``column: value`` line each: for narrow consoles."""
    parts: list[RenderableType] = []
    for row, cells in zip(table.rows, table.texts(), strict=True):
        head = Text(cells[0], style=f"bold {STYLES[row.flag]}".strip())
        lines = [
            Text(f"  {column.heading}: {cell}", style=STYLES[row.flag])
            for column, cell in zip(table.columns[1:], cells[1:], strict=True)
        ]
        parts += [head, *lines]
    return Group(*parts)


@dataclass
class Fitted:
    """A table in columns if the console is wide enough for every word, else as records."""

    table: Table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        fitted = widths(self.table, options.max_width)
        yield grid(self.table, fitted) if fitted else records(self.table)


def rich(table: Table) -> Group:
    """The table for a terminal: its title, its rows, its notes, at any width."""
    parts: list[RenderableType] = [Text(table.title, style="bold"), Fitted(table)]
    parts += [Text(f"· {note}", style="dim") for note in table.notes]
    return Group(*parts, Text())


# -- Markdown ---------------------------------------------------------------------


def said(row: Row, cells: list[str]) -> list[str]:
    """A row's cells with its flag in words after the first ("threads (not run)"): the
    terminal's red or dim, where there is no colour. Not when a cell says it already,
    nor when the first cell ends in a mark of its own ("asyncio ?", which the table's
    notes explain)."""
    word = FLAG_WORDS[row.flag]
    last = cells[0].split()[-1:] if cells else []
    own_mark = bool(last) and len(last[0]) == 1 and not last[0].isalnum()  # "asyncio ?"
    if not word or own_mark or any(word in cell for cell in cells):
        return cells
    return [f"{cells[0]} ({word})", *cells[1:]]


def markdown(table: Table, *, title: bool = True) -> str:
    """The table in GitHub's Markdown: the title as a paragraph, notes as a list, a
    flagged row's flag in words (``said``)."""

    def line(cells: Iterable[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    rules = ["---:" if column.align == "right" else "---" for column in table.columns]
    lines = [table.title, ""] if title and table.title else []
    lines += [line(c.heading for c in table.columns), "|" + "|".join(rules) + "|"]
    lines += [line(said(row, cells)) for row, cells in zip(table.rows, table.texts(), strict=True)]
    if table.notes:
        lines += ["", *(f"- {note}" for note in table.notes)]
    return "\n".join(lines)


# -- HTML -----------------------------------------------------------------------


#: A spread's ``(min-max)``: kept on one line, where a browser would break after the dash.
RANGE = re.compile(r"(\([-\d.,]+-[-\d.,]+\))")
UNBROKEN = r'<span class="range">\1</span>'


def html(table: Table) -> Markup:
    """The table for the report: it scrolls sideways on a narrow screen, or becomes
    cards on a phone (each cell labelled with its column, see ``style.css``)."""
    escape = html_module.escape
    head = "".join(
        f'<th class="{column.align}">{escape(column.name)}'
        + (f' <span class="unit">{escape(column.unit)}</span>' if column.unit else "")
        + "</th>"
        for column in table.columns
    )
    body = []
    for row, cells in zip(table.rows, table.texts(), strict=True):
        tds = "".join(
            f'<td class="{column.align}" data-label="{escape(column.heading)}">'
            f"{RANGE.sub(UNBROKEN, escape(cell))}</td>"
            for column, cell in zip(table.columns, cells, strict=True)
        )
        body.append(f'<tr class="{row.flag}">{tds}</tr>' if row.flag else f"<tr>{tds}</tr>")
    anchor = f' id="{escape(table.name)}"' if table.name else ""
    parts = [
        f'<figure class="figures"{anchor}><figcaption>{escape(table.title)}</figcaption>',
        '<div class="table-wrap"><table class="figures">',
        f"<thead><tr>{head}</tr></thead>" if any(c.heading for c in table.columns) else "",
        f"<tbody>{''.join(body)}</tbody></table></div>",
    ]
    if table.notes:
        notes = "".join(f"<li>{escape(note)}</li>" for note in table.notes)
        parts.append(f'<ul class="table-notes">{notes}</ul>')
    parts.append("</figure>")
    return Markup("".join(parts))  # every text in it is escaped above
