"""The scenario catalogue, in the article's order.

Each scenario lives in a module of its own here, named as in the impl packages:
its spec, its outcome, and the expectation derived from the spec.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from shared.contract import Scenario

#: The scenarios, in the order of the article, then of the gevent tutorial.
NAMES = (
    "context_switch",
    "cooperative",
    "ordering",
    "fetch",
    "as_completed",
    "first_response",
    "future_states",
    "error_handling",
    "future_exceptions",
    "ignored_exceptions",
    "timeouts",
    "determinism",
    "events",
    "queues",
    "pools",
    "locks",
    "locals",
    "actors",
    "subprocesses",
    "shutdown",
    "blocking",
    "chat_server",
    "database",
)


class Catalogue(Mapping[str, Scenario[Any, Any]]):
    """The scenarios by name, each module imported when it is first asked for.

    A model's interpreter runs one scenario: importing the other twenty-odd
    (with the drivers and clients their specs name) would add a tenth of a
    second to every start, and the suite starts hundreds of them.
    """

    def __getitem__(self, name: str) -> Scenario[Any, Any]:
        if name not in NAMES:
            raise KeyError(name)
        module = importlib.import_module(f"{__name__}.{name}")
        scenario: Scenario[Any, Any] = module.SCENARIO
        assert scenario.name == name, (scenario.name, name)
        return scenario

    def __iter__(self) -> Iterator[str]:
        return iter(NAMES)

    def __len__(self) -> int:
        return len(NAMES)

    def __contains__(self, name: object) -> bool:
        return name in NAMES


CATALOGUE = Catalogue()


def get(name: str) -> Scenario[Any, Any]:
    """The scenario called ``name``; ``LookupError`` with the known names otherwise."""
    try:
        return CATALOGUE[name]
    except KeyError:
        known = ", ".join(CATALOGUE)
        raise LookupError(f"unknown scenario {name!r} (known: {known})") from None
