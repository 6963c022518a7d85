"""database in gevent: psycopg 3 yields to the hub; psycopg2 does not, until psycogreen.

    python -m gevent_impl database
    python -m gevent_impl database --postgres-url postgresql://USER@HOST:PORT/DB

psycopg 3 checks, when it is imported, whether gevent has patched ``select``;
if so it waits for the server with the (patched) selectors instead of its C
wait, and a greenlet blocked in a query lets the others run. The code is plain
synchronous code, one connection per greenlet.

psycopg2 waits inside libpq's C code, where the monkey-patching cannot reach:
each query holds the hub until the server answers, so the greenlets take turns.
psycogreen's ``patch_psycopg()`` registers a wait callback that puts psycopg2's
connections in non-blocking mode and waits with gevent's ``wait_read`` and
``wait_write``; it applies to the whole process, so the round undoes it after.
"""

from __future__ import annotations

import time
from typing import Any

import gevent
import psycopg
import psycopg2
import psycopg2.extensions
from psycogreen.gevent import patch_psycopg

from shared.contract import Transcript
from shared.scenarios.database import (
    ROUNDS,
    DatabaseOutcome,
    DatabaseSpec,
    Round,
    marker,
    query,
    summary,
)


def ask(
    connection: psycopg.Connection[Any], sql: str, number: int, delay: float, out: Transcript
) -> tuple[int, int]:
    out.say(f"Query {number} sent")
    row = connection.execute(sql, (number, delay)).fetchone()
    assert row is not None
    out.say(f"Query {number} done, {row[1]} running at once")
    return int(row[0]), int(row[1])


def ask_psycopg2(
    connection: Any, sql: str, number: int, delay: float, out: Transcript
) -> tuple[int, int]:
    out.say(f"Query {number} sent")
    with connection.cursor() as cursor:
        cursor.execute(sql, (number, delay))  # unpatched, waits in C and holds the hub
        found, running = cursor.fetchone()
    connection.rollback()  # end the transaction the query opened
    out.say(f"Query {number} done, {running} running at once")
    return int(found), int(running)


def psycopg_round(
    spec: DatabaseSpec, played: Round, out: Transcript
) -> tuple[dict[str, Any], float]:
    out.say(f"{played.label}:")
    sql, delay = query(marker()), spec.seconds(spec.delay)
    connecting = [
        gevent.spawn(psycopg.connect, spec.postgres_url) for _ in range(spec.queries)
    ]  # connected first, so that only the queries are timed
    gevent.joinall(connecting, raise_error=True)
    connections = [greenlet.value for greenlet in connecting]
    try:
        start = time.perf_counter()
        asking = [
            gevent.spawn(ask, connection, sql, number, delay, out)
            for number, connection in enumerate(connections, 1)
        ]
        gevent.joinall(asking, raise_error=True)
        seconds = time.perf_counter() - start
    finally:
        for connection in connections:
            connection.close()
    out.say(f"{spec.queries} queries took: {seconds:.2f} seconds")
    return summary(played.key, (greenlet.value for greenlet in asking)), seconds


def psycopg2_round(
    spec: DatabaseSpec, played: Round, out: Transcript
) -> tuple[dict[str, Any], float]:
    out.say(f"{played.label}:")
    sql, delay = query(marker()), spec.seconds(spec.delay)
    if played.key != "psycopg2":
        patch_psycopg()
    try:
        connections = [psycopg2.connect(spec.postgres_url) for _ in range(spec.queries)]
        try:
            start = time.perf_counter()
            asking = [
                gevent.spawn(ask_psycopg2, connection, sql, number, delay, out)
                for number, connection in enumerate(connections, 1)
            ]
            gevent.joinall(asking, raise_error=True)
            seconds = time.perf_counter() - start
        finally:
            for connection in connections:
                connection.close()
    finally:
        psycopg2.extensions.set_wait_callback(None)  # psycopg2 as it comes, for what follows
    out.say(f"{spec.queries} queries took: {seconds:.2f} seconds")
    return summary(played.key, (greenlet.value for greenlet in asking)), seconds


def main(spec: DatabaseSpec, out: Transcript) -> DatabaseOutcome:
    outcome = DatabaseOutcome()
    for played in ROUNDS["gevent"]:
        play = psycopg_round if played.key == "psycopg" else psycopg2_round
        entry, seconds = play(spec, played, out)
        outcome.rounds.append(entry)
        outcome.timings[played.key] = seconds
    return outcome


def run(spec: DatabaseSpec, out: Transcript) -> DatabaseOutcome:
    return main(spec, out)
