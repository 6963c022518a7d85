"""Keeps the README's generated tables in step with the catalogue.

The tables sit between ``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``
markers. ``python -m shared.readme`` rewrites them; a test fails when the
README on disk differs from what this would write.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from shared import scenarios
from shared.contract import MODELS

README = Path(__file__).resolve().parent.parent / "README.md"


def scenario_table() -> str:
    rows = ["| scenario | article | what it shows |", "|---|---|---|"]
    rows += [f"| `{s.name}` | {s.article} | {s.summary} |" for s in scenarios.CATALOGUE.values()]
    return "\n".join(rows)


def differences_table() -> str:
    rows = [
        "| scenario | where the models differ | " + " | ".join(MODELS) + " | pinned by |",
        "|---|---|" + "---|" * len(MODELS) + "---|",
    ]
    for scenario in scenarios.CATALOGUE.values():
        for difference in scenario.differences:
            cells = " | ".join(difference.per_model[m] for m in MODELS)
            rows.append(
                f"| `{scenario.name}` | {difference.topic} | {cells} | `{difference.pinned_by}` |"
            )
    return "\n".join(rows)


TABLES = {"scenarios": scenario_table, "differences": differences_table}


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
