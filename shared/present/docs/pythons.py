"""docs/pythons.md's blocks: what a newer CPython changes, pinned by the tests and
measured by the same bench on two interpreters (``docs/bench/versions/``)."""

from __future__ import annotations

from shared import tables
from shared.contract import pythons
from shared.present import newer_python
from shared.present.bench import by_model, figure
from shared.present.docs import sources


def versions_table() -> str:
    """What a newer CPython changes, per model, with the version it changes in."""
    rows = ["| model | what | before | from | since then | pinned by |", "|---" * 6 + "|"]
    rows += [
        f"| {c.model} | {c.topic} | {c.before} | {c.since} | {c.after} | `{c.pinned_by}` |"
        for c in pythons.CHANGES
    ]
    return "\n".join(rows)


def changes() -> list[tuple[str, list[float]]]:
    """Per figure of the table, each model's change of the median, in per cent."""
    older, newer = sources.versions()
    found = []
    for what, unit, pick, metric, _ in newer_python.FIGURES:
        old, new = by_model(pick(older)), by_model(pick(newer))
        moved = []
        for model in older.models:
            before, after = figure(old.get(model), metric), figure(new.get(model), metric)
            if before and after and before.median:
                moved.append(100 * (after.median - before.median) / before.median)
        if moved:
            found.append((f"{what} ({unit})", moved))
    return found


def newer_block() -> str:
    """Both benches side by side, what moved the most, and where each file comes from."""
    older, newer = sources.versions()
    table = tables.markdown(newer_python.changes(older, newer))
    moved = "; ".join(
        f"{what}: {min(values):+.0f} to {max(values):+.0f} %" for what, values in changes()
    )
    said = (
        f"The change of each median from {newer_python.python_of(older)} to "
        f"{newer_python.python_of(newer)}, over the models (+: more of the figure): {moved}."
    )
    alike = [what for what, values in changes() if all(v < 0 for v in values)
             or all(v > 0 for v in values)]  # fmt: skip
    said += (
        f" Only {', '.join(alike)} moved the same way in every model."
        if alike
        else " No figure moved the same way in every model."
    )
    cites = "\n\n".join(
        sources.cite(path, document.environment, link_from="docs")
        for path, document in zip(sources.VERSIONS, (older, newer), strict=True)
    )
    return f"{table}\n\n{said}\n\n{cites}"


#: docs/pythons.md's blocks.
BLOCKS = {"versions": versions_table, "newer": newer_block}
