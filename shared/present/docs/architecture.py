"""docs/architecture.md's blocks: the layers of ``shared``, as its docstring has them."""

from __future__ import annotations

import re
from collections.abc import Callable

import shared
from shared.present.docs.generate import DocsError

_ITEM = re.compile(r"^(\d+)\. ")


def layers() -> list[str]:
    """The numbered layers of ``shared/__init__.py``'s docstring, lowest first, each whole."""
    found: list[str] = []
    for line in (shared.__doc__ or "").splitlines():
        if _ITEM.match(line):
            found.append(_ITEM.sub("", line).strip())
        elif found and line.startswith("   ") and line.strip():
            found[-1] += " " + line.strip()
        elif found and not line.strip():
            break
    if not found:
        raise DocsError("shared/__init__.py: its docstring lists no layers")
    return found


def layers_list() -> str:
    return "\n".join(f"{i}. {item.replace('``', '`')}" for i, item in enumerate(layers(), 1))


BLOCKS: dict[str, Callable[[], str]] = {"layers": layers_list}
