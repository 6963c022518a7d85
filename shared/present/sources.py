"""The three implementations of a scenario, cut into sections and aligned.

The impl packages mirror each other: the same modules, the same top-level
functions in the same order. So a module reads as a list of *sections*: its
header (docstring and imports), then one section per top-level definition,
with the comments just above it. Section ``main`` of ``asyncio_impl/fetch.py``
faces section ``main`` of ``gevent_impl/fetch.py``, and within a section a line
is marked when it is not in every other model's section too.

The sources are read by path, never imported: importing ``gevent_impl``
monkey-patches the whole process. ``importlib.util.find_spec`` of a top-level
package locates it without running it.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared import scenarios
from shared.contract import MODELS

HEADER = ""  # the key of the section before the first definition


@dataclass(frozen=True)
class Section:
    """Lines ``start`` to ``end`` (1-based, inclusive) of one module."""

    key: str  # the definition's name; HEADER for the module header
    title: str  # "async def main", "class Runner", "module header"
    start: int
    end: int


@dataclass(frozen=True)
class Source:
    """One model's module for one scenario."""

    model: str
    path: Path
    text: str

    @property
    def name(self) -> str:
        """The path as the reader knows it: ``asyncio_impl/fetch.py``."""
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


@dataclass(frozen=True)
class Cell:
    """One model's side of an aligned section."""

    source: Source
    section: Section
    differing: frozenset[int]  # line numbers not found in every other model's section

    @property
    def numbers(self) -> range:
        return range(self.section.start, self.section.end + 1)


@dataclass(frozen=True)
class Row:
    """One section, across the models; ``None`` where a model lacks it."""

    key: str
    title: str
    cells: dict[str, Cell | None]


@dataclass(frozen=True)
class SideBySide:
    scenario: str
    models: tuple[str, ...]
    sources: dict[str, Source]
    rows: list[Row]

    @property
    def differing_lines(self) -> int:
        return sum(len(c.differing) for row in self.rows for c in row.cells.values() if c)


def package_folder(model: str) -> Path:
    """Where ``<model>_impl`` lives, found without importing it."""
    if model not in MODELS:
        raise LookupError(f"unknown model {model!r} (known: {', '.join(MODELS)})")
    package = f"{model}_impl"
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / package  # beside shared/


#: Modules that read side by side as a scenario's do, beside the catalogue: the
#: service alone (``<model>_impl/bare.py``).
BESIDE = ("bare",)


def read_source(model: str, scenario: str) -> Source:
    if scenario not in BESIDE:
        scenarios.get(scenario)  # LookupError with the known names
    path = package_folder(model) / f"{scenario}.py"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LookupError(f"no {model} implementation of {scenario}: {exc.strerror}") from None
    return Source(model, path, text)


def _title(node: ast.stmt) -> str:
    if isinstance(node, ast.AsyncFunctionDef):
        return f"async def {node.name}"
    if isinstance(node, ast.FunctionDef):
        return f"def {node.name}"
    assert isinstance(node, ast.ClassDef)
    return f"class {node.name}"


def sections(source: Source) -> list[Section]:
    """The module header, then one section per top-level definition."""
    lines = source.lines
    tree = ast.parse(source.text, filename=str(source.path))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    starts: list[tuple[int, ast.stmt]] = []
    for node in tree.body:
        if not isinstance(node, kinds):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        # The comments right above a definition belong to it.
        while first > 1 and lines[first - 2].lstrip().startswith("#"):
            first -= 1
        starts.append((first, node))

    found: list[Section] = []

    def add(key: str, title: str, start: int, end: int) -> None:
        while end >= start and not lines[end - 1].strip():
            end -= 1  # blank lines between sections belong to none
        if end >= start:
            found.append(Section(key, title, start, end))

    add(HEADER, "module header", 1, starts[0][0] - 1 if starts else len(lines))
    for index, (start, node) in enumerate(starts):
        end = starts[index + 1][0] - 1 if index + 1 < len(starts) else len(lines)
        assert isinstance(node, kinds)
        add(node.name, _title(node), start, end)
    return found


def _matched(mine: list[str], theirs: list[str]) -> set[int]:
    """Indexes of ``mine`` that a line-by-line diff pairs with a line of ``theirs``."""
    matcher = difflib.SequenceMatcher(None, mine, theirs, autojunk=False)
    return {block.a + i for block in matcher.get_matching_blocks() for i in range(block.size)}


def _order(per_model: Sequence[list[Section]]) -> list[str]:
    """Every section key once, in the first model's order, strays after their predecessor."""
    order: list[str] = []
    for found in per_model:
        previous = -1
        for section in found:
            if section.key in order:
                previous = order.index(section.key)
            else:
                previous += 1
                order.insert(previous, section.key)
    return order


def side_by_side(scenario: str, models: Sequence[str] = MODELS) -> SideBySide:
    """The scenario's modules, aligned section by section, differing lines marked."""
    models = tuple(dict.fromkeys(models))
    sources = {model: read_source(model, scenario) for model in models}
    by_model = {model: sections(source) for model, source in sources.items()}
    keyed = {model: {s.key: s for s in found} for model, found in by_model.items()}
    rows = []
    for key in _order(list(by_model.values())):
        texts = {
            model: [line.rstrip() for line in sources[model].lines[s.start - 1 : s.end]]
            for model, s in ((m, keyed[m].get(key)) for m in models)
            if s is not None
        }
        cells: dict[str, Cell | None] = {}
        title = ""
        for model in models:
            section = keyed[model].get(key)
            if section is None:
                cells[model] = None
                continue
            title = title or section.title
            mine = texts[model]
            shared = set(range(len(mine)))
            for other in models:
                if other != model:
                    shared &= _matched(mine, texts[other]) if other in texts else set()
            differing = frozenset(
                section.start + i
                for i, line in enumerate(mine)
                if i not in shared and line.strip()  # a blank line differs from nothing
            )
            cells[model] = Cell(sources[model], section, differing)
        rows.append(Row(key, title, cells))
    return SideBySide(scenario, models, sources, rows)
