"""Keeps the README's generated tables in step with the catalogue.

The tables sit between ``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``
markers. ``python -m shared.present.readme`` rewrites them; a test fails when the
README on disk differs from what this would write.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from shared import documents, scenarios
from shared.contract import MODELS, pythons
from shared.measure.load.document import LoadDocument
from shared.present import load as load_output

README = Path(__file__).resolve().parents[2] / "README.md"


def scenario_rows() -> list[dict[str, str]]:
    """The scenarios, in the catalogue's order: for this README and for the report."""
    return [
        {"scenario": s.name, "article": s.article, "summary": s.summary}
        for s in scenarios.CATALOGUE.values()
    ]


def difference_rows() -> list[dict[str, Any]]:
    """Every pinned difference, scenario by scenario: for this README and for the report."""
    return [
        {
            "scenario": scenario.name,
            "topic": difference.topic,
            "per_model": {m: difference.per_model[m] for m in MODELS},
            "pinned_by": difference.pinned_by,
        }
        for scenario in scenarios.CATALOGUE.values()
        for difference in scenario.differences
    ]


def scenario_table() -> str:
    rows = ["| scenario | article | what it shows |", "|---|---|---|"]
    rows += [f"| `{r['scenario']}` | {r['article']} | {r['summary']} |" for r in scenario_rows()]
    return "\n".join(rows)


def differences_table() -> str:
    rows = [
        "| scenario | where the models differ | " + " | ".join(MODELS) + " | pinned by |",
        "|---|---|" + "---|" * len(MODELS) + "---|",
    ]
    for row in difference_rows():
        cells = " | ".join(row["per_model"][m] for m in MODELS)
        rows.append(f"| `{row['scenario']}` | {row['topic']} | {cells} | `{row['pinned_by']}` |")
    return "\n".join(rows)


def versions_table() -> str:
    """What a newer CPython changes, per model, with the version it changes in."""
    rows = ["| model | what | before | from | since then | pinned by |", "|---" * 6 + "|"]
    rows += [
        f"| {c.model} | {c.topic} | {c.before} | {c.since} | {c.after} | `{c.pinned_by}` |"
        for c in pythons.CHANGES
    ]
    return "\n".join(rows)


def load_table() -> str:
    """The committed load figures' summary and cross-check (docs/load/load.json)."""
    path = README.parent / "docs" / "load" / "load.json"
    doc = documents.read(path, LoadDocument)
    return load_output.markdown(doc)


TABLES = {
    "scenarios": scenario_table,
    "load": load_table,
    "differences": differences_table,
    "versions": versions_table,
}


def render(text: str) -> str:
    """``text`` with every generated table brought up to date."""
    for name, make in TABLES.items():
        pattern = re.compile(
            rf"(<!-- generated: {name} -->\n)(?:.*?\n)?(<!-- end: {name} -->)", flags=re.DOTALL
        )
        found = pattern.search(text)
        if found:
            text = f"{text[: found.end(1)]}{make()}\n{text[found.start(2) :]}"
    return text


def main() -> int:
    text = README.read_text(encoding="utf-8")
    updated = render(text)
    if updated != text:
        README.write_text(updated, encoding="utf-8")
        print(f"updated {README.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
