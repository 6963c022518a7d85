"""docs/pythons.md's blocks: what a newer CPython changes, pinned and measured."""

from __future__ import annotations

from shared.contract import pythons


def versions_table() -> str:
    """What a newer CPython changes, per model, with the version it changes in."""
    rows = ["| model | what | before | from | since then | pinned by |", "|---" * 6 + "|"]
    rows += [
        f"| {c.model} | {c.topic} | {c.before} | {c.since} | {c.after} | `{c.pinned_by}` |"
        for c in pythons.CHANGES
    ]
    return "\n".join(rows)


BLOCKS = {"versions": versions_table}
