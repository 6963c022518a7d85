"""Every difference between the models in the catalogue is pinned by a test that exists."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from shared import scenarios
from shared.contract import MODELS, Difference

ROOT = Path(__file__).resolve().parents[2]
DIFFERENCES = [
    (scenario.name, difference)
    for scenario in scenarios.CATALOGUE.values()
    for difference in scenario.differences
]


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    return {node.name for node in tree.body if isinstance(node, kinds)}


# pinned_by names a test function of a test module: "tests/scenarios/test_x.py::test_y".
@pytest.mark.parametrize(
    ("scenario", "difference"), DIFFERENCES, ids=[f"{s}: {d.topic}" for s, d in DIFFERENCES]
)
def test_pinned_by_an_existing_test(scenario: str, difference: Difference) -> None:
    path, _, name = difference.pinned_by.partition("::")
    name = name.partition("[")[0]  # a parametrized test may be named with its parameters
    assert path.startswith("tests/") and Path(path).name.startswith("test_"), difference.pinned_by
    assert name.startswith("test_"), difference.pinned_by
    assert (ROOT / path).is_file(), difference.pinned_by
    assert name in functions_in(ROOT / path), difference.pinned_by


# A difference says what each model does, for every model and no other.
@pytest.mark.parametrize(
    ("scenario", "difference"), DIFFERENCES, ids=[f"{s}: {d.topic}" for s, d in DIFFERENCES]
)
def test_every_model_has_its_value(scenario: str, difference: Difference) -> None:
    assert list(difference.per_model) == list(MODELS)
    assert all(value.strip() for value in difference.per_model.values())
