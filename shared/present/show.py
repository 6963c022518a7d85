"""``concurrency-compare show``: a scenario's implementations side by side in the terminal.

``show bare`` does the same for the service alone (``<model>_impl/bare.py``, no scenario
has that name): the three models serving HTTP connections on one parser.

Section by section (see ``shared.present.sources``): a rule names the section, then each
model's lines of it, syntax-highlighted, with their line numbers in the file.
A ``❱`` in the gutter marks a line that is not in every other model's section.
When the terminal is too narrow for the columns, the models are stacked: by
default as soon as the code would wrap much; with ``--layout columns`` only
when a column would be narrower than a word of the code, which it would cut.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pygments.lexers import PythonLexer
from pygments.token import _TokenType
from rich.console import Console, Group, RenderableType
from rich.constrain import Constrain
from rich.padding import Padding
from rich.rule import Rule
from rich.style import Style
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from shared import scenarios
from shared.contract import MODELS
from shared.present import sources

THEME = "ansi_dark"  # the terminal's own colours, on its own background
GUTTER = 7  # "❱ 123 " and a space
MIN_COLUMN = 48  # below this many characters a column of code is more wrap than code
MARK = Style(bgcolor="grey19")  # differing lines, besides the ❱ in the gutter
LAYOUTS = ("auto", "columns", "stacked")
PROSE = 100  # characters: the idea reads as a paragraph, not as one line across the screen

BARE = "bare"  # the module of the service alone in each model, which no scenario is called
BARE_SUMMARY = "the service alone, one HTTP parser under three models"
BARE_IDEA = (
    "The deployed service's endpoint (`GET /?delay=D&cpu=C`: call the upstream, spend C ms of "
    "CPU, answer a small JSON) on each model's own sockets, with no framework: asyncio's "
    "protocols on one event loop, gevent's `StreamServer` with a greenlet per connection, a "
    "thread per connection on blocking sockets. All three parse with httptools through "
    "`shared/measure/http1.py`, so what differs below is how each model accepts, waits and "
    "answers, not the HTTP stack. `concurrency-compare load` measures them beside the "
    "deployed services (`<model>_impl/service.py`, under gunicorn)."
)


def side_by_side(name: str, models: Sequence[str] = MODELS) -> sources.SideBySide:
    """A scenario's modules aligned (``sources.side_by_side``), or with ``BARE`` the
    service alone's; ``LookupError`` for another name."""
    return bare(models) if name == BARE else sources.side_by_side(name, models)


def bare(models: Sequence[str] = MODELS) -> sources.SideBySide:
    """The ``bare.py`` of each model, aligned and marked as a scenario's modules are."""
    return sources.side_by_side(BARE, models)


def column_width(view: sources.SideBySide, width: int) -> int:
    """How wide each model's column is in a terminal ``width`` characters wide."""
    return (width - 3 * (len(view.models) - 1)) // len(view.models)


def fits_in_columns(view: sources.SideBySide, width: int) -> bool:
    """Whether ``width`` leaves each model a column wide enough to read."""
    longest = max((len(line) for s in view.sources.values() for line in s.lines), default=0)
    return column_width(view, width) >= min(longest + GUTTER, MIN_COLUMN + GUTTER)


def columns_needed(view: sources.SideBySide) -> int:
    """The narrowest terminal in which columns cut nothing: each as wide as the longest
    word of the code after its line's indentation (lines wrap, but at spaces), and
    the longest file name."""
    words = [len(line) - len(line.lstrip()) + max(len(w) for w in line.split())
             for s in view.sources.values() for line in s.lines if line.strip()]  # fmt: skip
    names = [len(s.name) for s in view.sources.values()]
    column = max([*words, *names, 0]) + GUTTER
    return column * len(view.models) + 3 * (len(view.models) - 1)


class _LexedOnce(PythonLexer):  # type: ignore[misc]  # pygments' lexers are untyped
    """Python's lexer, remembering each text's tokens.

    A section's ``Syntax`` gets its whole file, so that a line's colours know
    what came before it (a string opened lines above), and rich lexes that file
    whenever it measures or draws the section: twice per section, which would
    be most of ``show``'s time.
    """

    def __init__(self) -> None:
        super().__init__(stripnl=False, ensurenl=True, tabsize=4)  # as rich makes its own
        self._lexed: dict[str, list[tuple[_TokenType, str]]] = {}

    def get_tokens(self, text: str, unfiltered: bool = False) -> Iterator[tuple[_TokenType, str]]:
        if unfiltered:
            return iter(super().get_tokens(text, unfiltered))
        if text not in self._lexed:
            self._lexed[text] = list(super().get_tokens(text))
        return iter(self._lexed[text])


_LEXER = _LexedOnce()


def code(cell: sources.Cell) -> Syntax:
    """One model's lines of one section, highlighted, numbered as in the file."""
    syntax = Syntax(
        cell.source.text,
        _LEXER,
        theme=THEME,
        line_numbers=True,
        line_range=(cell.section.start, cell.section.end),
        highlight_lines=set(cell.differing),
        word_wrap=True,
    )
    for number in cell.differing:
        syntax.stylize_range(MARK, (number, 0), (number + 1, 0))
    return syntax


def missing(model: str, title: str) -> Text:
    return Text(f"(no {title} in {model})", style="dim italic")


def heading(view: sources.SideBySide) -> Group:
    if view.scenario == BARE:
        title, idea = Text.assemble((BARE, "bold"), ": ", BARE_SUMMARY), BARE_IDEA
    else:
        scenario = scenarios.get(view.scenario)
        title = Text.assemble(
            (view.scenario, "bold"), f" (article {scenario.article}): ", scenario.summary
        )
        idea = scenario.idea
    return Group(
        title,
        Constrain(Padding(Text(idea, style="italic"), (0, 0, 0, 2)), width=PROSE),
        Text.assemble(
            ("❱", "red"),
            f" marks a line that is not in every other model's version "
            f"({view.differing_lines} lines in all).",
            style="dim",
        ),
    )


def grid(columns: int) -> Table:
    table = Table.grid(padding=(0, 3), expand=True)
    for _ in range(columns):
        table.add_column(ratio=1)
    return table


def in_columns(view: sources.SideBySide) -> Iterator[RenderableType]:
    yield Text()
    header = grid(len(view.models))
    header.add_row(*(Text(view.sources[m].name, style="bold cyan") for m in view.models))
    yield header
    for row in view.rows:
        yield Text()
        yield Rule(row.title, style="dim", align="left")
        row_grid = grid(len(view.models))
        cells: list[RenderableType] = []
        for model in view.models:
            cell = row.cells[model]
            cells.append(code(cell) if cell else missing(model, row.title))
        row_grid.add_row(*cells)
        yield row_grid


def stacked(view: sources.SideBySide) -> Iterator[RenderableType]:
    for row in view.rows:
        yield Text()
        yield Rule(row.title, style="dim", align="left")
        for model in view.models:
            cell = row.cells[model]
            if cell is None:
                yield missing(model, row.title)
                continue
            where = f"{cell.source.name}, lines {cell.section.start}-{cell.section.end}"
            yield Text(where, style="bold cyan")
            yield code(cell)


def render(
    scenario: str, models: Sequence[str] = MODELS, *, width: int, layout: str = "auto"
) -> Group:
    """Everything ``show`` prints, for a terminal ``width`` characters wide."""
    view = side_by_side(scenario, models)
    notes: list[Text] = []
    if layout == "auto":
        layout = "columns" if len(view.models) > 1 and fits_in_columns(view, width) else "stacked"
    elif layout == "columns" and width < (needed := columns_needed(view)):
        # Columns this narrow would cut words short (with `…`): stacked reads whole.
        layout = "stacked"
        notes.append(Text(f"(stacked: columns need a terminal {needed} characters wide, "
                          f"not {width})", style="dim"))  # fmt: skip
    body = in_columns(view) if layout == "columns" else stacked(view)
    return Group(heading(view), *notes, *body)


def show(console: Console, scenario: str, models: Sequence[str], layout: str) -> None:
    console.print(render(scenario, models, width=console.width, layout=layout))
