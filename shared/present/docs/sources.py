"""The committed figures files the docs are written from, read once, and cited.

A figure in the docs names where it comes from: the file, the command that
remakes it, and the run (when it started, on which commit, interpreter and
CPU), as ``cite`` writes it under each generated table.
"""

from __future__ import annotations

import functools
from pathlib import Path

from shared import documents
from shared.measure.bench.figures import BenchDocument
from shared.measure.hurts.document import HurtsDocument
from shared.measure.load.document import LoadDocument

ROOT = Path(__file__).resolve().parents[3]  # the checkout: shared/present/docs/ is three below
DOCS = ROOT / "docs"

BENCH = DOCS / "bench" / "bench.json"
LOAD = DOCS / "load" / "load.json"
HURTS = DOCS / "hurts" / "hurts.json"
#: The same bench on the oldest and the newest CPython the project runs on.
VERSIONS = (DOCS / "bench" / "versions" / "3.11.json", DOCS / "bench" / "versions" / "3.15.json")

#: The part of ``concurrency-compare figures`` that remakes each file.
PARTS = {
    BENCH: "bench",
    LOAD: "load",
    HURTS: "hurts",
    VERSIONS[0]: "versions",
    VERSIONS[1]: "versions",
}

# Read once per process: several blocks of several files quote the same file.


@functools.cache
def bench() -> BenchDocument:
    return documents.read(BENCH, BenchDocument)


@functools.cache
def load() -> LoadDocument:
    return documents.read(LOAD, LoadDocument)


@functools.cache
def hurts() -> HurtsDocument:
    return documents.read(HURTS, HurtsDocument)


@functools.cache
def versions() -> tuple[BenchDocument, BenchDocument]:
    older, newer = (documents.read(path, BenchDocument) for path in VERSIONS)
    return older, newer


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def cite(path: Path, environment: documents.Environment, *, link_from: str = "") -> str:
    """The line under a generated block: which file, which command remakes it, which run.

    ``link_from``: the folder of the Markdown file the line goes in, relative to
    the checkout ("" for the README, "docs" for docs/*.md), so that the file's
    link works on GitHub and in a checkout alike.
    """
    name = relative(path)
    depth = len(Path(link_from).parts) if link_from else 0
    target = "../" * depth + name
    run = []
    if environment.date:
        run.append(environment.date.replace("T", " ").removesuffix("Z") + " UTC")
    if environment.commit:
        dirty = " (with changes)" if environment.dirty else ""
        run.append(f"commit {environment.commit[:7]}{dirty}")
    machine = f"{environment.implementation} {environment.python}"
    if environment.cpus:
        cpu = f" on {environment.cpus} x {environment.cpu_model}" if environment.cpu_model else ""
        machine += cpu or f" on {environment.cpus} CPUs"
    run.append(machine)
    return (
        f"<sub>From [`{name}`]({target}), remade by "
        f"`concurrency-compare figures --only {PARTS.get(path, 'all')}`; "
        f"run: {', '.join(run)}.</sub>"
    )
