"""The README says what the project does."""

from __future__ import annotations

from pathlib import Path

from shared.present import readme

ROOT = Path(__file__).resolve().parents[2]


# The generated tables match the catalogue: run `python -m shared.present.readme` if not.
def test_generated_tables_are_current() -> None:
    text = readme.README.read_text(encoding="utf-8")
    assert readme.render(text) == text


# CI runs the README's test command, word for word.
def test_ci_runs_the_readme_test_command() -> None:
    text = readme.README.read_text(encoding="utf-8")
    command = next(line for line in text.splitlines() if "pip install tox" in line)
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
