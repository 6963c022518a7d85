"""database in threads: a psycopg_pool ConnectionPool of N, a thread per query.

    python -m threads_impl database
    python -m threads_impl database --postgres-url postgresql://USER@HOST:PORT/DB

The pool opens its N connections in the background; ``wait()`` returns once
they are all up, so only the queries are timed. Each worker borrows one with
``pool.connection()``, which gives it back (its transaction ended) on leaving.
Both drivers release the GIL while they wait for the server, so psycopg2 is no
trap here: a thread blocked in C code blocks only itself.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import psycopg2
from psycopg_pool import ConnectionPool

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
        cursor.execute(sql, (number, delay))  # waits in C, with the GIL released
        found, running = cursor.fetchone()
    connection.rollback()  # end the transaction the query opened
    out.say(f"Query {number} done, {running} running at once")
    return int(found), int(running)


def psycopg_round(
    spec: DatabaseSpec, played: Round, out: Transcript
) -> tuple[dict[str, Any], float]:
    out.say(f"{played.label}:")
    sql, delay = query(marker()), spec.seconds(spec.delay)
    size = spec.queries

    def borrow(number: int) -> tuple[int, int]:
        with pool.connection() as connection:
            return ask(connection, sql, number, delay, out)

    with (
        ConnectionPool(spec.postgres_url, min_size=size, max_size=size, open=True) as pool,
        ThreadPoolExecutor(size, thread_name_prefix="database") as workers,
    ):
        pool.wait()  # all N connected, so that only the queries are timed
        start = time.perf_counter()
        asking = [workers.submit(borrow, number) for number in range(1, size + 1)]
        answers = [future.result() for future in asking]
        seconds = time.perf_counter() - start
    out.say(f"{spec.queries} queries took: {seconds:.2f} seconds")
    return summary(played.key, answers), seconds


def psycopg2_round(
    spec: DatabaseSpec, played: Round, out: Transcript
) -> tuple[dict[str, Any], float]:
    out.say(f"{played.label}:")
    sql, delay = query(marker()), spec.seconds(spec.delay)
    connections = [psycopg2.connect(spec.postgres_url) for _ in range(spec.queries)]
    try:
        with ThreadPoolExecutor(spec.queries, thread_name_prefix="database") as workers:
            start = time.perf_counter()
            asking = [
                workers.submit(ask_psycopg2, connection, sql, number, delay, out)
                for number, connection in enumerate(connections, 1)
            ]
            answers = [future.result() for future in asking]
            seconds = time.perf_counter() - start
    finally:
        for connection in connections:
            connection.close()
    out.say(f"{spec.queries} queries took: {seconds:.2f} seconds")
    return summary(played.key, answers), seconds


def main(spec: DatabaseSpec, out: Transcript) -> DatabaseOutcome:
    outcome = DatabaseOutcome()
    for played in ROUNDS["threads"]:
        play = psycopg_round if played.key == "psycopg" else psycopg2_round
        entry, seconds = play(spec, played, out)
        outcome.rounds.append(entry)
        outcome.timings[played.key] = seconds
    return outcome


def run(spec: DatabaseSpec, out: Transcript) -> DatabaseOutcome:
    return main(spec, out)
