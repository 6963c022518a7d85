"""shared/ is in layers: a module imports only from its own layer or a lower one.

Every import counts, inside a function too: an import moved into a function
to get around a cycle is still a cycle, and this test names it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / "shared"

#: Lowest first: the order of shared/__init__.py's docstring.
LAYERS = (
    ("shared", "shared.errors", "shared.args", "shared.tables", "shared.documents"),
    ("shared.contract",),
    ("shared.scenarios",),
    ("shared.harness",),
    ("shared.measure",),
    ("shared.present",),
    ("shared.cli",),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(SHARED.rglob("*.py"))}


def layer_of(module: str) -> int:
    best = (-1, 0)  # (length of the longest matching prefix, its layer)
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[0]:
                best = (len(prefix), rank)
    return best[1]


def project_imports(module: str) -> list[tuple[int, str]]:
    """``(line, module)`` for each project module that ``module`` imports, anywhere in it."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            # `from shared.present import report` imports shared.present.report
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                     for alias in node.names]  # fmt: skip
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module and not (name == "shared" and module != "shared"):
                found.append((node.lineno, name))
    return found


def test_the_layers_cover_every_module() -> None:
    # a new folder under shared/ is given its place in LAYERS, not the lowest by accident
    for module in MODULES:
        assert any(module == p or module.startswith(p + ".") for layer in LAYERS for p in layer), (
            f"{module} is in no layer: add it to LAYERS and to shared/__init__.py's list"
        )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_nothing_above_its_layer(module: str) -> None:
    own = layer_of(module)
    upward = [
        f"{MODULES[module].relative_to(ROOT)}:{line}: imports {name} "
        f"(layer {layer_of(name)}, above its own {own})"
        for line, name in project_imports(module)
        if layer_of(name) > own
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycles() -> None:
    # Tarjan's strongly connected components over every import, inside functions too
    edges = {m: {name for _, name in project_imports(m)} for m in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in MODULES:
        if module not in index:
            visit(module)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_few_modules_directly_in_shared() -> None:
    # the layers are packages; only the lowest, which imports nothing, sits at the top
    top = sorted(p.name for p in SHARED.glob("*.py"))
    assert top == ["__init__.py", "args.py", "documents.py", "errors.py", "tables.py"]
