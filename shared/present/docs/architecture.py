"""docs/architecture.md's blocks: the layers and the tree, as the code has them."""

from __future__ import annotations

from collections.abc import Callable

BLOCKS: dict[str, Callable[[], str]] = {}
