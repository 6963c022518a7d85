"""Every committed figures file reads with the current schema.

A document class that changes (a field renamed, a version bumped) fails
here, naming the file, until the file is remade (``concurrency-compare
figures``) or the change given a default that old files satisfy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared import documents
from shared.cli.figures import committed
from shared.harness.runner import RunsDocument
from shared.measure.bench.figures import BenchDocument
from shared.measure.hurts.document import HurtsDocument
from shared.measure.load.document import LoadDocument, TargetDocument

DOCS = Path(__file__).resolve().parents[2] / "docs"
CLASSES = (RunsDocument, BenchDocument, LoadDocument, TargetDocument, HurtsDocument)
#: Each document class by the kind its files carry under "format".
BY_KIND: dict[str, type[Any]] = {cls.FORMAT.kind: cls for cls in CLASSES}
FILES = [path for path in committed(DOCS) if path.endswith(".json")]


# The walk finds the files the README shows.
def test_the_files_are_found() -> None:
    expected = {"bench/bench.json", "load/load.json", "hurts/hurts.json"}
    assert expected <= set(FILES)
    assert len(BY_KIND) == len(CLASSES)  # no two classes claim one kind


# Each file reads as the document its format names, with every part checked.
@pytest.mark.parametrize("name", FILES)
def test_committed_document_reads(name: str) -> None:
    path = DOCS / name
    form = json.loads(path.read_text(encoding="utf-8")).get("format")
    kind = form.get("kind") if isinstance(form, dict) else None
    if kind not in BY_KIND:
        pytest.fail(f"docs/{name}: format kind {kind!r} is none of {sorted(BY_KIND)}")
    try:
        document = documents.read(path, BY_KIND[kind])
    except documents.DocumentError as exc:
        pytest.fail(f"docs/{name} no longer reads: {exc}")
    assert isinstance(document.environment, documents.Environment)
