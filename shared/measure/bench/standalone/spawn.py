"""Standalone check of the bench's ``spawn``: no project code, no pyperf.

    python shared/measure/bench/standalone/spawn.py MODEL N WARMUPS VALUES

MODEL is asyncio, asyncio+uvloop, gevent or threads. Prints one JSON line: the
microseconds per task of each value (N tasks created, started and finished),
after WARMUPS values thrown away. shared/measure/bench/crosscheck.py compares it with the bench.
"""

import sys

MODELS = ("asyncio", "asyncio+uvloop", "gevent", "threads")
# Bad arguments end it in one line, exit status 2, before it imports or runs anything.
if (
    len(sys.argv) != 5
    or sys.argv[1] not in MODELS
    or not all(a.isdigit() for a in sys.argv[2:])
    or int(sys.argv[2]) < 1
    or int(sys.argv[4]) < 1
):
    print(
        f"spawn.py: error: takes MODEL N WARMUPS VALUES: a model ({', '.join(MODELS)}), "
        "then whole numbers, N and VALUES 1 or more",
        file=sys.stderr,
    )
    sys.exit(2)
MODEL = sys.argv[1]
if MODEL == "gevent":
    from gevent import monkey

    monkey.patch_all()

import asyncio  # noqa: E402
import json  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402


def nothing() -> None:
    pass


async def nothing_async() -> None:
    pass


async def spawn_asyncio(n: int) -> float:
    start = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(n):
            group.create_task(nothing_async())
    return time.perf_counter() - start


def spawn(n: int) -> float:
    if MODEL.startswith("asyncio"):
        if MODEL == "asyncio+uvloop":
            import uvloop

            return uvloop.run(spawn_asyncio(n))
        return asyncio.run(spawn_asyncio(n))
    if MODEL == "gevent":
        import gevent

        start = time.perf_counter()
        gevent.joinall([gevent.spawn(nothing) for _ in range(n)])
        return time.perf_counter() - start
    start = time.perf_counter()
    threads = [threading.Thread(target=nothing) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


n, warmups, values = (int(a) for a in sys.argv[2:5])
seconds = [spawn(n) for _ in range(warmups + values)][warmups:]
print(json.dumps({"us": [s / n * 1e6 for s in seconds]}))
