"""The README's blocks: the verdict, the catalogue, the exit statuses."""

from __future__ import annotations

import ast

from shared import errors
from shared.present.docs import catalogue, verdict
from shared.present.docs.generate import DocsError
from shared.present.docs.sources import ROOT

#: The map of the tree: each path, in reading order, and what it holds where no
#: docstring says it (None: the first line of the module's or package's docstring).
TREE: tuple[tuple[str, str | None], ...] = (
    ("asyncio_impl/", None),
    ("gevent_impl/", None),
    ("threads_impl/", None),
    (
        "shared/",
        "The project's package, in layers, lowest first: a module imports only "
        "from its own layer or a lower one.",
    ),
    ("shared/errors.py", None),
    ("shared/args.py", None),
    ("shared/tables.py", None),
    ("shared/documents.py", None),
    ("shared/contract/", None),
    ("shared/scenarios/", None),
    ("shared/harness/", None),
    ("shared/measure/", None),
    ("shared/present/", None),
    ("shared/cli/", None),
    ("tests/", "The tests, a folder per layer of `shared/`; `support/` holds what they share."),
    ("docs/", "The reference pages, and the committed figures files and charts."),
    ("scripts/", "`tox` with every CPython found, the soak, the Debian sid root."),
)


def statuses() -> list[tuple[str, str]]:
    """The exit statuses and their meanings, as ``shared.errors`` documents them.

    Its docstring holds the table in reStructuredText's simple form: a row begins
    at the left edge, a line indented under it continues its meaning.
    """
    lines = (errors.__doc__ or "").splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("=") and set(line) <= {"=", " "}]
    if len(rules) != 3:
        raise DocsError("shared/errors.py: its docstring has no table of exit statuses")
    width = lines[rules[0]].index(" ")
    rows: list[tuple[str, str]] = []
    for line in lines[rules[1] + 1 : rules[2]]:
        if line[:width].strip():
            rows.append((line[:width].strip(), line[width:].strip()))
        elif rows and line.strip():
            status, meaning = rows[-1]
            rows[-1] = (status, f"{meaning} {line.strip()}")
    return rows


def statuses_table() -> str:
    rows = ["| status | meaning |", "|---|---|"]
    rows += [f"| {status} | {meaning.replace('``', '`')} |" for status, meaning in statuses()]
    return "\n".join(rows)


def described(path: str) -> str:
    """The first line of the docstring of ``path`` (a module, or a package's ``__init__``),
    read without importing it: importing gevent_impl would patch this process."""
    file = ROOT / path / "__init__.py" if path.endswith("/") else ROOT / path
    try:
        docstring = ast.get_docstring(ast.parse(file.read_text(encoding="utf-8")))
    except OSError as exc:
        raise DocsError(f"the README's map names {path}, which is not there") from exc
    if not docstring:
        raise DocsError(f"the README's map names {path}, which says nothing of itself")
    return docstring.splitlines()[0].replace("``", "`")


def tree_table() -> str:
    rows = ["| path | what it holds |", "|---|---|"]
    for path, words in TREE:
        *folders, name = path.rstrip("/").split("/")
        indent = "&nbsp;&nbsp;&nbsp;&nbsp;" * len(folders)
        shown = name + ("/" if path.endswith("/") else "")
        rows.append(f"| {indent}`{shown}` | {words or described(path)} |")
    return "\n".join(rows)


BLOCKS = {
    "verdict": verdict.markdown,
    "scenarios": catalogue.scenario_table,
    "statuses": statuses_table,
    "tree": tree_table,
}
