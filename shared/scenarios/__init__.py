"""The scenario catalogue, in the article's order.

Each scenario lives in a module of its own here, named as in the impl packages:
its spec, its outcome, and the expectation derived from the spec.
"""

from __future__ import annotations

from typing import Any

from shared.contract import Scenario
from shared.scenarios import (
    actors,
    as_completed,
    blocking,
    chat_server,
    context_switch,
    cooperative,
    database,
    determinism,
    error_handling,
    events,
    fetch,
    first_response,
    future_exceptions,
    future_states,
    ignored_exceptions,
    locals,
    locks,
    ordering,
    pools,
    queues,
    shutdown,
    subprocesses,
    timeouts,
)

CATALOGUE: dict[str, Scenario[Any, Any]] = {
    module.SCENARIO.name: module.SCENARIO
    for module in (
        context_switch,
        cooperative,
        ordering,
        fetch,
        as_completed,
        first_response,
        future_states,
        error_handling,
        future_exceptions,
        ignored_exceptions,
        timeouts,
        determinism,
        events,
        queues,
        pools,
        locks,
        locals,
        actors,
        subprocesses,
        shutdown,
        blocking,
        chat_server,
        database,
    )
}


def get(name: str) -> Scenario[Any, Any]:
    """The scenario called ``name``; ``LookupError`` with the known names otherwise."""
    try:
        return CATALOGUE[name]
    except KeyError:
        known = ", ".join(CATALOGUE)
        raise LookupError(f"unknown scenario {name!r} (known: {known})") from None
