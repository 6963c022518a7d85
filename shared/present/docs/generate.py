"""Rewrites the generated blocks of the README and docs/, or says which are stale.

``FILES`` maps each Markdown file to its blocks: ``{name: make}``, where
``make()`` returns the block's Markdown. A file's every marker must have a
block and every block a marker, so that neither can be forgotten.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from shared.present.docs.sources import ROOT

Blocks = Mapping[str, Callable[[], str]]

#: Each generated file, relative to the checkout, and the module of its blocks
#: (``BLOCKS`` in ``shared.present.docs.<module>``).
FILES = {
    "README.md": "readme",
    "docs/scenarios.md": "catalogue",
    "docs/evaluation.md": "evaluation",
    "docs/pythons.md": "pythons",
    "docs/architecture.md": "architecture",
}

MARKER = re.compile(r"<!-- generated: ([\w-]+) -->\n(?:.*?\n)?<!-- end: \1 -->", flags=re.DOTALL)


class DocsError(Exception):
    """A file's markers and its blocks disagree: a bug in the docs, not in the figures."""


def blocks_of(name: str) -> Blocks:
    module = importlib.import_module(f"shared.present.docs.{FILES[name]}")
    blocks: Blocks = module.BLOCKS
    return blocks


def render(text: str, blocks: Blocks, *, where: str = "") -> str:
    """``text`` with every generated block written anew."""
    found = [match.group(1) for match in MARKER.finditer(text)]
    missing = [name for name in found if name not in blocks]
    unused = [name for name in blocks if name not in found]
    if missing or unused:
        raise DocsError(
            f"{where}: markers with no block: {missing or 'none'}; blocks with no marker: "
            f"{unused or 'none'}"
        )

    def written(match: re.Match[str]) -> str:
        name = match.group(1)
        body = blocks[name]().rstrip("\n")
        return f"<!-- generated: {name} -->\n{body}\n<!-- end: {name} -->"

    return MARKER.sub(written, text)


def stale(root: Path = ROOT) -> dict[Path, str]:
    """Each file whose blocks are out of date, with what it should read."""
    out: dict[Path, str] = {}
    for name in FILES:
        path = root / name
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        updated = render(text, blocks_of(name), where=name)
        if updated != text:
            out[path] = updated
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.present.docs",
        description="Rewrite the generated blocks of README.md and docs/*.md from the "
        "catalogue and the committed figures files (a second or two).",
        epilog="example: python -m shared.present.docs --check",
    )
    parser.add_argument(
        "--check", action="store_true", help="only list the files out of date (exit 1 if any)"
    )
    args = parser.parse_args(argv)
    out = stale()
    for path, text in out.items():
        name = path.relative_to(ROOT)
        if args.check:
            print(f"out of date: {name}", file=sys.stderr)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"updated {name}", file=sys.stderr)
    return 1 if args.check and out else 0
