"""The three impl packages mirror each other, and depend on nothing but shared."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from shared import scenarios
from shared.contract import MODELS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [f"{model}_impl" for model in MODELS]
# How a model is hosted, its benchmark workloads and its services (deployed, and
# alone on the model's own sockets): not scenarios.
HOSTING = {"__init__.py", "__main__.py", "runtime.py", "workloads.py", "service.py", "bare.py"}


def modules(package: str) -> list[str]:
    return sorted(p.name for p in (ROOT / package).glob("*.py"))


TYPE_CHECKING = {"TYPE_CHECKING", "typing.TYPE_CHECKING"}


def public_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return [n.name for n in tree.body if isinstance(n, kinds) and not n.name.startswith("_")]


def imported(path: Path) -> set[str]:
    """The top-level packages ``path`` imports when it runs.

    Imports under ``if TYPE_CHECKING:`` are left out: mypy reads them, the
    interpreter never does (``shared/contract/conformance.py`` names every impl module
    that way, so that mypy checks them against the host's protocols).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in TYPE_CHECKING:
            node.body = []
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


# The same modules in every package.
def test_same_modules() -> None:
    assert modules(PACKAGES[1]) == modules(PACKAGES[0])
    assert modules(PACKAGES[2]) == modules(PACKAGES[0])


# One module per scenario of the catalogue, and nothing else but the hosting.
def test_one_module_per_scenario() -> None:
    scenario_modules = set(modules(PACKAGES[0])) - HOSTING
    assert scenario_modules == {f"{name}.py" for name in scenarios.CATALOGUE}


# The same public names, in the same order, module by module.
@pytest.mark.parametrize("module", modules(PACKAGES[0]))
def test_same_public_names_in_the_same_order(module: str) -> None:
    names = {package: public_names(ROOT / package / module) for package in PACKAGES}
    assert names[PACKAGES[1]] == names[PACKAGES[0]], names
    assert names[PACKAGES[2]] == names[PACKAGES[0]], names


# Every scenario module offers run(spec, out), the entry the host calls.
@pytest.mark.parametrize("package", PACKAGES)
def test_every_scenario_has_run(package: str) -> None:
    for name in scenarios.CATALOGUE:
        assert "run" in public_names(ROOT / package / f"{name}.py"), name


# No impl package imports another, and shared imports none of them.
def test_no_cross_imports() -> None:
    for package in PACKAGES:
        for path in (ROOT / package).glob("*.py"):
            assert not imported(path) & (set(PACKAGES) - {package}), path
    for path in (ROOT / "shared").rglob("*.py"):
        assert not imported(path) & set(PACKAGES), path
