"""The README's blocks: the verdict, the catalogue, the commands' facts."""

from __future__ import annotations

from shared.present.docs import catalogue, evaluation, pythons

BLOCKS = {
    "scenarios": catalogue.scenario_table,
    "load": evaluation.load_table,
    "differences": catalogue.differences_table,
    "versions": pythons.versions_table,
}
