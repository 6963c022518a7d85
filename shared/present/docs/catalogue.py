"""The catalogue's blocks: the scenarios, and where the models differ in them.

The rows serve the README, docs/scenarios.md and the report alike.
"""

from __future__ import annotations

from typing import Any

from shared import scenarios
from shared.contract import MODELS


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


#: docs/scenarios.md's blocks.
BLOCKS = {"differences": differences_table}
