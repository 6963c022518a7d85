"""The README and docs/ are written from the catalogue and the committed figures."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import aiohttp.client
import pytest

from shared import tables
from shared.contract import HTTP_TIMEOUT, MODELS
from shared.harness import runner
from shared.measure.load.document import DELAY
from shared.present.docs import generate, sources, verdict

ROOT = Path(__file__).resolve().parents[2]


# Every generated block is what the catalogue and the committed figures files make
# now: run `python -m shared.present.docs` if not.
@pytest.mark.parametrize("name", generate.FILES)
def test_generated_blocks_are_current(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert generate.render(text, generate.blocks_of(name), where=name) == text


# A marker with no block, or a block with no marker, is named, not skipped.
def test_markers_and_blocks_agree() -> None:
    blocks = {"one": lambda: "1"}
    assert generate.render("<!-- generated: one -->\n<!-- end: one -->\n", blocks).count("1") == 1
    with pytest.raises(generate.DocsError, match="markers with no block: \\['two'\\]"):
        generate.render("<!-- generated: two -->\nx\n<!-- end: two -->\n", blocks)
    with pytest.raises(generate.DocsError, match="blocks with no marker: \\['one'\\]"):
        generate.render("no markers\n", blocks)


# A cited figure names its file (linked from where the citing file sits), the
# command that remakes it, and the run.
def test_a_citation_names_file_command_and_run() -> None:
    document = sources.load()
    line = sources.cite(sources.LOAD, document.environment, link_from="docs")
    assert "[`docs/load/load.json`](../docs/load/load.json)" in line
    assert "`concurrency-compare figures --only load`" in line
    assert document.environment.commit and document.environment.commit[:7] in line


# CI runs the README's test command, word for word.
def test_ci_runs_the_readme_test_command() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(line for line in text.splitlines() if "pip install tox" in line)
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


# A newcomer reads the README to its end: it stays short, and the verdict comes
# within its first screen, before the set-up.
def test_the_readme_is_short_and_answers_first() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 300
    verdict = lines.index("<!-- generated: verdict -->")
    assert verdict < 40 and verdict < lines.index("## Start")
    assert lines.index("<!-- generated: scenarios -->") > lines.index("## Start")


# The verdict's numbers are the committed files' figures: threads is the model a
# blocking call does not slow, asyncio the one whose deployment saturates last.
def test_the_verdict_reads_the_figures() -> None:
    figures = verdict.figures_table()
    rows = {row.cells[0]: row.cells for row in figures.rows}
    assert list(rows) == list(MODELS)
    load = sources.load()
    tuned = next(d for d in load.deployments if d.model == "asyncio" and d.config == "tuned")
    assert tables.number(tuned.saturation.median or 0) in str(rows["asyncio"][3])
    blocked = {model: str(cells[4]).split(" → ") for model, cells in rows.items()}
    assert float(blocked["asyncio"][1]) > 2 * float(blocked["asyncio"][0])
    assert float(blocked["threads"][1]) < 2 * float(blocked["threads"][0])
    markdown = verdict.markdown()
    for path in (sources.LOAD, sources.HURTS, sources.BENCH):
        assert f"[`{sources.relative(path)}`]" in markdown


# Outside the generated blocks, these files state no measured figure: a number
# with a unit there is one of the spec's or a library's constants, checked here.
CONSTANTS = {
    "50 ms": DELAY * 1000 == 50,  # D, the upstream's delay
    "10 s": HTTP_TIMEOUT == 10,
    "3 s": runner.SERVICES_PATIENCE == 3,
    "300 s": aiohttp.client.DEFAULT_TIMEOUT.total == 300,
}
MEASURED = re.compile(
    r"\d[\d,.]*\s?(?:ms|s|µs|KiB|MiB|GiB|%|/s|x|times|seconds|minutes|tests|requests)\b"
)


@pytest.mark.parametrize("name", ["README.md", "docs/architecture.md", "CONTRIBUTING.md"])
def test_no_measured_figure_outside_the_blocks(name: str) -> None:
    text = generate.MARKER.sub("", (ROOT / name).read_text(encoding="utf-8"))
    found = {match.group() for match in MEASURED.finditer(text)}
    assert found <= set(CONSTANTS), found - set(CONSTANTS)
    assert all(CONSTANTS[figure] for figure in found)
    assert not re.search(r"this (session|busy machine)|on this machine|the last run", text)


# docs/evaluation.md and docs/pythons.md show the tables the present modules make
# of the committed files, not tables of their own, and every block of figures ends
# with the line that cites its file.
def test_the_docs_tables_are_the_figures_files() -> None:
    from shared.present import bench, hurts, load, newer_python
    from shared.present.docs import evaluation, pythons

    text = (ROOT / "docs" / "evaluation.md").read_text(encoding="utf-8")
    assert bench.markdown(sources.bench()) in text
    assert load.markdown(sources.load()) in text
    for table in hurts.all_tables(sources.hurts()):
        assert tables.markdown(table) in text
    versions = tables.markdown(newer_python.changes(*sources.versions()))
    assert versions in (ROOT / "docs" / "pythons.md").read_text(encoding="utf-8")
    for name, make in [*evaluation.BLOCKS.items(), ("newer", pythons.BLOCKS["newer"])]:
        assert make().splitlines()[-1].startswith("<sub>From [`docs/"), name


DOCS = ("docs/scenarios.md", "docs/evaluation.md", "docs/pythons.md")


# Every image and every link to a file of the checkout in docs/ points at a file
# that is there (a chart renamed, a page moved).
@pytest.mark.parametrize("name", DOCS)
def test_the_docs_links_resolve(name: str) -> None:
    path = ROOT / name
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8"))
    local = [t for t in targets if "://" not in t]
    assert local, f"{name}: no link to check"
    for target in local:
        assert (path.parent / target).resolve().is_file(), f"{name}: {target}"


def _docs_constants() -> dict[str, bool]:
    """The numbers with a unit that docs/{scenarios,evaluation,pythons}.md may state
    outside their blocks: the spec's, a library's or an example command's, each
    checked against its source where one can be read."""
    import asyncio
    import inspect
    import sys

    import aiohttp
    from gunicorn.config import Config

    loop = asyncio.new_event_loop()
    slow = loop.slow_callback_duration
    loop.close()
    dns = inspect.signature(aiohttp.TCPConnector).parameters["ttl_dns_cache"].default
    return {
        "50 ms": DELAY * 1000 == 50,  # D
        "5 ms": sys.getswitchinterval() == 0.005,  # the GIL's turns; also --cpu 5's C
        "0.1 s": slow == 0.1,  # asyncio's slow_callback_duration
        "2 s": Config().keepalive == 2,  # gunicorn's --keep-alive
        "10 s": dns == 10,  # aiohttp's cache of lookups
        "1 s": True,  # the p99 the CPU search stops at (hurts' TAIL_MS)
        "2 x": True,  # the knee's bound, 2 x (D + C)
        "20 ms": True,  # the example command's --delay 0.02
        "50 s": True,  # how long inspect's requests are held (introspect.DELAYS)
        "10 ms": True,  # the article's timeout; the blocking scenario's ticker
        "0.2 s": True,  # the blocking scenario's call
        "70 ms": True,  # the queues scenario's task at the demo scale
        "140 ms": True,  # two of those tasks
    }


# Outside the generated blocks, the docs state no measured figure, and no dated
# prose: a number with a unit there is a constant of the spec or of a library.
@pytest.mark.parametrize("name", DOCS)
def test_no_measured_figure_outside_the_docs_blocks(name: str) -> None:
    text = generate.MARKER.sub("", (ROOT / name).read_text(encoding="utf-8"))
    found = {match.group() for match in MEASURED.finditer(text)}
    constants = _docs_constants()
    assert found <= set(constants), found - set(constants)
    assert all(constants[figure] for figure in found)
    assert not re.search(r"this (session|busy machine)|on this machine|the last run", text)


# An installed copy carries the code, not docs/: the report's index keeps the verdict
# in words and says where its figures are, rather than failing on a missing file.
def test_verdict_without_the_committed_files(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "shared", tmp_path / "shared",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    code = (
        "from shared.present.docs import verdict; "
        "print(verdict.__file__); print(verdict.committed(), len(verdict.html_tables())); "
        "print(verdict.html_citations()[0])"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    where, found, line = done.stdout.splitlines()
    assert where.startswith(str(tmp_path))  # the copy, not the checkout
    assert found == "False 1" and "docs/evaluation.md" in line
