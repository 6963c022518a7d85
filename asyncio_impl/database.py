"""database in asyncio: psycopg 3's AsyncConnection; psycopg2 blocks the loop.

    python -m asyncio_impl database
    python -m asyncio_impl database --postgres-url postgresql://USER@HOST:PORT/DB

psycopg 3 rather than asyncpg: the same driver, the same SQL and the same
placeholders in all three models, so only the waiting differs; asyncpg is
faster, and that is not what this scenario measures. One AsyncConnection per
query, as one session per request in the HTTP scenarios: a connection runs one
query at a time.

psycopg2 has no async API: its ``execute`` waits for the server inside C code,
so the coroutines that call it run one after the other and the loop is stuck
meanwhile. ``asyncio.to_thread`` moves each call to a worker thread, where
waiting is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import psycopg
import psycopg2

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


async def ask(
    connection: psycopg.AsyncConnection[Any], sql: str, number: int, delay: float, out: Transcript
) -> tuple[int, int]:
    out.say(f"Query {number} sent")
    cursor = await connection.execute(sql, (number, delay))
    row = await cursor.fetchone()
    assert row is not None
    out.say(f"Query {number} done, {row[1]} running at once")
    return int(row[0]), int(row[1])


def ask_psycopg2(
    connection: Any, sql: str, number: int, delay: float, out: Transcript
) -> tuple[int, int]:
    out.say(f"Query {number} sent")
    with connection.cursor() as cursor:
        cursor.execute(sql, (number, delay))  # waits in C: nothing else runs meanwhile
        found, running = cursor.fetchone()
    connection.rollback()  # end the transaction the query opened
    out.say(f"Query {number} done, {running} running at once")
    return int(found), int(running)


async def psycopg_round(
    spec: DatabaseSpec, played: Round, out: Transcript
) -> tuple[dict[str, Any], float]:
    out.say(f"{played.label}:")
    sql, delay = query(marker()), spec.seconds(spec.delay)
    async with contextlib.AsyncExitStack() as stack:
        # Connected first, so that only the queries are timed.
        async with asyncio.TaskGroup() as group:
            connecting = [
                group.create_task(psycopg.AsyncConnection.connect(spec.postgres_url))
                for _ in range(spec.queries)
            ]
        connections = [await stack.enter_async_context(task.result()) for task in connecting]
        start = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            asking = [
                group.create_task(ask(connection, sql, number, delay, out))
                for number, connection in enumerate(connections, 1)
            ]
        seconds = time.perf_counter() - start
    out.say(f"{spec.queries} queries took: {seconds:.2f} seconds")
    return summary(played.key, (task.result() for task in asking)), seconds


async def psycopg2_round(
    spec: DatabaseSpec, played: Round, out: Transcript
) -> tuple[dict[str, Any], float]:
    out.say(f"{played.label}:")
    sql, delay = query(marker()), spec.seconds(spec.delay)

    async def call(*args: Any) -> tuple[int, int]:
        if played.key == "psycopg2":
            return ask_psycopg2(*args)  # the trap: a blocking call in a coroutine
        return await asyncio.to_thread(ask_psycopg2, *args)  # the fix

    connections = [psycopg2.connect(spec.postgres_url) for _ in range(spec.queries)]
    try:
        start = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            asking = [
                group.create_task(call(connection, sql, number, delay, out))
                for number, connection in enumerate(connections, 1)
            ]
        seconds = time.perf_counter() - start
    finally:
        for connection in connections:
            connection.close()
    out.say(f"{spec.queries} queries took: {seconds:.2f} seconds")
    return summary(played.key, (task.result() for task in asking)), seconds


async def main(spec: DatabaseSpec, out: Transcript) -> DatabaseOutcome:
    outcome = DatabaseOutcome()
    for played in ROUNDS["asyncio"]:
        play = psycopg_round if played.key == "psycopg" else psycopg2_round
        entry, seconds = await play(spec, played, out)
        outcome.rounds.append(entry)
        outcome.timings[played.key] = seconds
    return outcome


def run(spec: DatabaseSpec, out: Transcript) -> DatabaseOutcome:
    return asyncio.run(main(spec, out))
