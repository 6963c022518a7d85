"""Small helpers for the sentences the docs' blocks write around their figures."""

from __future__ import annotations

from collections.abc import Sequence

from shared.tables import number


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def possessive(name: str) -> str:
    """``asyncio's``, ``threads'``."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def span(values: Sequence[float]) -> str:
    """``low to high`` as the tables write numbers, or one number when they read alike."""
    low, high = number(min(values)), number(max(values))
    return low if low == high else f"{low} to {high}"


def listed(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``; "" for none."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
