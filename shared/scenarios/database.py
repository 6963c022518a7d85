"""Real world: N queries of ``pg_sleep`` at once against a real PostgreSQL."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.contract import Difference, Expected, Outcome, PostgresSpec, Scenario, at_least


@dataclass(frozen=True, kw_only=True)
class DatabaseSpec(PostgresSpec):
    # Sent at once, each on a connection of its own; at the demo scale each
    # sleeps 0.1 s, and one after the other they take at least 0.4 s.
    queries: int = 4
    delay: float = 0.4  # seconds each one sleeps in the server, at scale 1

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 1 <= self.queries <= 50:  # the scratch server allows 100 connections
            raise ValueError(f"queries must be between 1 and 50, not {self.queries!r}")
        if not self.delay > 0:
            raise ValueError(f"delay must be a positive number of seconds, not {self.delay!r}")


@dataclass(frozen=True)
class Round:
    """One way of sending the queries, as a model does it."""

    key: str  # the round's name in the outcome and its timings
    label: str  # what the model's code does, as the transcript says it
    concurrent: bool  # whether the queries overlap in the server


#: The rounds each model plays, in order: its idiomatic driver first, then
#: psycopg2, whose C code waits for the server itself, first as it comes and
#: then, where the model needs one, with the fix for it.
ROUNDS = {
    "asyncio": (
        Round("psycopg", "psycopg 3's AsyncConnection, one per query", True),
        Round("psycopg2", "psycopg2 called in coroutines", False),
        Round("psycopg2 fixed", "psycopg2 in asyncio.to_thread", True),
    ),
    "gevent": (
        Round("psycopg", "psycopg 3, one connection per greenlet", True),
        Round("psycopg2", "psycopg2, unpatched", False),
        Round("psycopg2 fixed", "psycopg2 after psycogreen's patch", True),
    ),
    "threads": (
        Round("psycopg", "psycopg_pool's ConnectionPool, one thread each", True),
        Round("psycopg2", "psycopg2, one thread each", True),
    ),
}


@dataclass(kw_only=True)
class DatabaseOutcome(Outcome):
    # One entry per round, in order: {"round": key, "answers": [1..N], "peak": n},
    # peak being the most queries of the round PostgreSQL saw running at once.
    rounds: list[dict[str, Any]] = field(default_factory=list)


def marker() -> str:
    """A tag for one round's queries, unique to it even on a shared server."""
    return f"cc_database_{secrets.token_hex(6)}"


def query(tag: str) -> str:
    """The SQL each query of a round sends, with two parameters: its number, its delay.

    The query sleeps, then asks pg_stat_activity how many queries carrying the
    round's tag are running at that moment (itself included): PostgreSQL's own
    view of how many overlapped. The count is an InitPlan, evaluated when the
    row is made, after the sleep. The tag is written into the text, not passed
    as a parameter, because pg_stat_activity shows the text as sent.
    """
    if not re.fullmatch(r"\w+", tag):
        raise ValueError(f"not a tag: {tag!r}")
    return (
        f"/* {tag} */ SELECT %s::int, (SELECT count(*) FROM pg_stat_activity"
        f" WHERE state = 'active' AND query LIKE '%%{tag}%%') FROM pg_sleep(%s)"
    )


def summary(key: str, answers: Iterable[tuple[int, int]]) -> dict[str, Any]:
    """A round's entry in the outcome, from its (number, seen running) answers."""
    answered = sorted(answers)
    return {
        "round": key,
        "answers": [number for number, _ in answered],
        "peak": max((running for _, running in answered), default=0),
    }


def expect(spec: DatabaseSpec, model: str) -> Expected:
    delay = spec.seconds(spec.delay)
    together, one_by_one = delay, spec.queries * delay
    rounds, bounds = [], {}
    for played in ROUNDS[model]:
        answers = list(range(1, spec.queries + 1))
        rounds.append(
            {
                "round": played.key,
                "answers": answers,
                "peak": spec.queries if played.concurrent else 1,
            }
        )
        # Queries sent one after the other cannot take less than the sum of
        # their sleeps: that is the bound for the rounds that overlap, with the
        # whole gap to spare for the round trips of a busy machine. How far
        # they overlapped is for the peak to say (all N at once, not two by two).
        bounds[played.key] = (
            at_least(together, below=one_by_one)
            if played.concurrent and spec.queries > 1
            else at_least(one_by_one, below=2 * one_by_one)
        )
    return Expected(facts={"rounds": rounds}, bounds=bounds)


PINNED_BY = "tests/scenarios/test_database.py::"

SCENARIO = Scenario(
    name="database",
    article="real world",
    summary="queries at once against a real PostgreSQL; a C driver that blocks the loop",
    idea=(
        "A few queries of pg_sleep are sent to a real PostgreSQL at once, each on a "
        "connection of its own, with each model's usual driver: psycopg 3's async "
        "connections in asyncio, psycopg 3 under gevent (it sees the patched select "
        "and waits in a way that yields to the hub), a pool of psycopg connections "
        "with a thread each. All take one query's time. Then the trap: psycopg2 "
        "waits for the server inside its C code, where neither the event loop nor "
        "gevent's hub can take control back, so in a coroutine or a greenlet the "
        "queries run one after the other; asyncio.to_thread, or psycogreen's patch "
        "for gevent, makes them overlap again, and threads never had the problem. "
        "PostgreSQL's own view proves it: each query, as it ends, counts the queries "
        "of its round running at that moment in pg_stat_activity."
    ),
    spec_type=DatabaseSpec,
    outcome_type=DatabaseOutcome,
    expect=expect,
    differences=(
        Difference(
            "the usual driver",
            {
                "asyncio": "psycopg 3's `AsyncConnection`, one per query",
                "gevent": "psycopg 3's blocking `Connection`: it yields to the hub",
                "threads": "a psycopg_pool `ConnectionPool` of N, a thread per query",
            },
            PINNED_BY + "test_rounds_per_model",
        ),
        Difference(
            "psycopg2 as it comes",
            {
                "asyncio": "blocks the loop: N queries take N x d, one at a time",
                "gevent": "blocks the hub: N queries take N x d, one at a time",
                "threads": "N queries at once, in one query's time",
            },
            PINNED_BY + "test_psycopg2_per_model",
        ),
        Difference(
            "the fix for psycopg2",
            {
                "asyncio": "`asyncio.to_thread`: at once again",
                "gevent": "psycogreen's `patch_psycopg()`: at once again",
                "threads": "none needed",
            },
            PINNED_BY + "test_psycopg2_per_model",
        ),
    ),
)
