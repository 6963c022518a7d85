"""database: N queries at once against the session's real PostgreSQL, per model.

The demo runs (``demo_runs``) of the three models go at the same time to one
server; each round tags its queries, so pg_stat_activity's count is its own.
"""

from __future__ import annotations

import re

import pytest

from shared.cli import main as cli
from shared.contract import DEMO_SCALE, MODELS
from shared.harness import postgres
from shared.harness.postgres import HOST, free_port
from shared.scenarios import database
from shared.scenarios.database import DatabaseSpec, marker, query
from tests.support.batches import Runs
from tests.support.scenarios import by_hand, outcome, quiet, refused

SPEC = DatabaseSpec(scale=DEMO_SCALE)
DELAY = SPEC.seconds(SPEC.delay)  # one query's time
N = SPEC.queries


def rounds(demo_runs: Runs, model: str) -> dict[str, dict[str, object]]:
    done = outcome(demo_runs["database", model], database.DatabaseOutcome)
    return {entry["round"]: entry for entry in done.rounds}


def seconds(demo_runs: Runs, model: str, key: str) -> float:
    return outcome(demo_runs["database", model], database.DatabaseOutcome).timings[key]


def nowhere() -> str:
    """The URL of a PostgreSQL that is not there: a port nobody listens on."""
    return f"postgresql://postgres@{HOST}:{free_port()}/postgres"


# Every model's usual driver: the N queries overlap in the server, in one query's time.
def test_rounds_per_model(demo_runs: Runs) -> None:
    played = {model: list(rounds(demo_runs, model)) for model in MODELS}
    assert played == {
        "asyncio": ["psycopg", "psycopg2", "psycopg2 fixed"],
        "gevent": ["psycopg", "psycopg2", "psycopg2 fixed"],
        "threads": ["psycopg", "psycopg2"],
    }
    for model in MODELS:
        assert rounds(demo_runs, model)["psycopg"]["peak"] == N, model
        assert rounds(demo_runs, model)["psycopg"]["answers"] == list(range(1, N + 1))
        assert DELAY <= seconds(demo_runs, model, "psycopg") < N * DELAY, model


# psycopg2 waits in C: one at a time in a coroutine or an unpatched greenlet,
# at once in threads; asyncio.to_thread and psycogreen make them overlap again.
def test_psycopg2_per_model(demo_runs: Runs) -> None:
    peaks = {model: rounds(demo_runs, model)["psycopg2"]["peak"] for model in MODELS}
    assert peaks == {"asyncio": 1, "gevent": 1, "threads": N}
    for model in ("asyncio", "gevent"):
        assert seconds(demo_runs, model, "psycopg2") >= N * DELAY, model
        assert rounds(demo_runs, model)["psycopg2 fixed"]["peak"] == N, model
        assert seconds(demo_runs, model, "psycopg2 fixed") < N * DELAY, model
    assert seconds(demo_runs, "threads", "psycopg2") < N * DELAY


# The three models ran against one server at the same time, and no round
# counted another's queries; nothing was left open.
def test_rounds_count_only_their_own(demo_runs: Runs, model: str) -> None:
    assert all(entry["peak"] <= N for entry in rounds(demo_runs, model).values())
    quiet(demo_runs["database", model])


# A round's tag goes into the SQL text: only a plain word is accepted.
def test_tags() -> None:
    assert marker() != marker()
    assert re.fullmatch(r"\w+", marker())
    assert marker() not in query(marker())
    with pytest.raises(ValueError, match="not a tag"):
        query("x' OR '1")


@pytest.mark.parametrize("values", [{"queries": 0}, {"queries": 51}, {"delay": 0.0}])
def test_bad_specs(values: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        database.SCENARIO.spec(**values)


# By hand, --postgres-url points the scenario at a server already running.
def test_existing_postgres_by_hand(postgres_server: postgres.Starting) -> None:
    done = by_hand("threads", "database", "--scale", str(DEMO_SCALE),
                   "--postgres-url", postgres_server.url())  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.count(f"Query {N} done, ") == 2  # both of threads' rounds
    assert f"{N} queries took:" in done.stdout


# By hand, a PostgreSQL that is not there: one line, exit status 2, no traceback.
def test_unreachable_postgres_by_hand() -> None:
    done = by_hand("threads", "database", "--postgres-url", nowhere())
    assert "no PostgreSQL at" in refused(done)
    assert done.stdout == ""


# In `run`, the database scenario says it could not run, the others run, and
# the verdict does not pretend all passed.
def test_run_without_postgres(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "context_switch", "database", "--models", "threads"]
    status = cli.main([*argv, "--postgres-url", nowhere()])
    printed = " ".join(capsys.readouterr().out.split())  # as rich wrapped it, unwrapped
    assert status not in (0, 2)  # neither a success nor a usage error
    assert "(Connection refused): the database scenario is not run" in printed
    assert "context_switch (article" in printed
    assert "database (article" not in printed
