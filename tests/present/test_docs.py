"""The README and docs/ are written from the catalogue and the committed figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.present.docs import generate, sources

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
