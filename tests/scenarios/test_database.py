"""database: N queries at once against the session's real PostgreSQL, per model.

The demo runs (``demo_runs``) of the three models go at the same time to one
server; each round tags its queries, so pg_stat_activity's count is its own.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.cli import main as cli
from shared.contract import DEMO_SCALE, MODELS
from shared.harness import postgres
from shared.harness.postgres import HOST, free_port
from shared.harness.services import Services
from shared.scenarios import database
from shared.scenarios.database import DatabaseSpec, marker, query
from tests.support.batches import Batches, Runs, batch
from tests.support.cli import CLI
from tests.support.scenarios import by_hand, outcome, quiet, refused

SPEC = DatabaseSpec(scale=DEMO_SCALE)
DELAY = SPEC.seconds(SPEC.delay)  # one query's time
N = SPEC.queries


def rounds(demo_runs: Runs, model: str) -> dict[str, dict[str, object]]:
    done = outcome(demo_runs["database", model], database.DatabaseOutcome)
    return {entry["round"]: entry for entry in done.rounds}


def seconds(demo_runs: Runs, model: str, key: str) -> float:
    return outcome(demo_runs["database", model], database.DatabaseOutcome).timings[key]


def nowhere(secret: bool = False) -> str:
    """The URL of a PostgreSQL that is not there: a port nobody listens on (a free
    one, found by binding a socket and closing it); with a password if ``secret``."""
    who = "postgres:secret" if secret else "postgres"
    return f"postgresql://{who}@{HOST}:{free_port()}/postgres"


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


# A dead --postgres-url is refused before anything starts, in one line, in a
# few seconds (psycopg's connect_timeout; the scenario's own connections would
# wait 30 s): refused, no such database, no answer at all. The password is not shown.
@contextlib.contextmanager
def dead_url(postgres_server: postgres.Starting, case: str) -> Iterator[tuple[str, str]]:
    """A URL dead in the way ``case`` names, and the reason its line gives."""
    if case == "refused":
        yield nowhere(secret=True), "Connection refused"
    elif case == "no such database":
        there = postgres_server.url().rsplit("/", 1)[0]
        yield f"{there}/nope", 'database "nope" does not exist'
    else:  # a port that accepts connections and never answers them
        with silent_port() as url:
            yield url, NO_ANSWER


NO_ANSWER = f"no answer within {postgres.CONNECT_TIMEOUT} s"


@contextlib.contextmanager
def silent_port() -> Iterator[str]:
    """The URL of a port that accepts connections and never answers them."""
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen()
        yield f"postgresql://postgres@{HOST}:{listener.getsockname()[1]}/postgres"


def dead_line(err: str, url: str, reason: str) -> None:
    """One line naming the URL (password hidden) and why, no traceback."""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"no PostgreSQL at {url.replace(':secret@', ':***@')}: {reason}" in err
    assert "secret" not in err


# "no answer" waits out the connect timeout: its two cases run in the background
# (``waited_out``), the others here.
CASES = ["refused", "no such database"]


@pytest.mark.parametrize("case", CASES)
def test_run_refuses_a_dead_postgres(
    capsys: pytest.CaptureFixture[str], postgres_server: postgres.Starting, case: str
) -> None:
    with dead_url(postgres_server, case) as (url, reason):
        began = time.monotonic()
        status = cli.main(["run", "context_switch", "database", "--models", "threads",
                           "--postgres-url", url])  # fmt: skip
        took = time.monotonic() - began
    out, err = capsys.readouterr()
    assert status == 2, (out, err)
    dead_line(err, url, reason)
    assert out == ""  # not even context_switch ran
    assert took < postgres.CONNECT_TIMEOUT + 10  # the scenario's own wait is 30 s


def test_report_refuses_a_dead_postgres(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = nowhere(secret=True)
    status = cli.main(["report", "--out", str(tmp_path / "site"), "--postgres-url", url])
    out, err = capsys.readouterr()
    assert status == 2, (out, err)
    dead_line(err, url, "Connection refused")
    assert not (tmp_path / "site").exists()  # refused before the site's folder was made


@pytest.mark.parametrize("case", CASES)
def test_host_refuses_a_dead_postgres_in_its_spec(
    postgres_server: postgres.Starting, case: str
) -> None:
    with dead_url(postgres_server, case) as (url, reason):
        began = time.monotonic()
        done = by_hand("threads", "database", "--spec", json.dumps({"postgres_url": url}))
        took = time.monotonic() - began
    dead_line(refused(done), url, reason)
    assert done.stdout == ""
    assert took < postgres.CONNECT_TIMEOUT + 10


@batch
def waited_out(services: Services) -> tuple[str, list[subprocess.CompletedProcess[str]]]:
    """`run` and a model by hand, each given a PostgreSQL that never answers."""
    ran = []
    with silent_port() as url:
        for command in (
            [*CLI, "run", "context_switch", "database", "--models", "threads",
             "--postgres-url", url],
            [sys.executable, "-m", "threads_impl", "database", "--spec",
             json.dumps({"postgres_url": url})],
        ):  # fmt: skip
            ran.append(subprocess.run(command, capture_output=True, text=True, timeout=60))
    return url, ran


def test_a_silent_postgres_is_refused(batches: Batches) -> None:
    url, ran = batches[waited_out]
    for done in ran:
        assert done.returncode == 2, done.stderr
        dead_line(done.stderr, url, NO_ANSWER)
        # Its line says it gave up at the probe's connect timeout, not the scenario's
        # 30 s; no bound on the whole command's time, a new interpreter in a batch.
        assert done.stdout == ""


# Without the database scenario, --postgres-url is only checked for its form.
def test_run_without_the_database_leaves_the_url_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["run", "context_switch", "--models", "threads", "--postgres-url", nowhere()]
    status = cli.main(argv)
    out, err = capsys.readouterr()
    assert status == 0, (out, err)
    assert "context_switch (article" in " ".join(out.split())
