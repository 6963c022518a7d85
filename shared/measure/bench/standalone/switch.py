"""Standalone check of the bench's ``switch``: no project code, no pyperf.

    python shared/measure/bench/standalone/switch.py MODEL ROUNDS WARMUPS VALUES

Prints one JSON line: the microseconds per round trip of each value (ROUNDS
round trips between two tasks through the model's own queue).
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
        f"switch.py: error: takes MODEL ROUNDS WARMUPS VALUES: a model ({', '.join(MODELS)}), "
        "then whole numbers, ROUNDS and VALUES 1 or more",
        file=sys.stderr,
    )
    sys.exit(2)
MODEL = sys.argv[1]
if MODEL == "gevent":
    from gevent import monkey

    monkey.patch_all()

import asyncio  # noqa: E402
import json  # noqa: E402
import queue  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402


async def ping_pong_asyncio(rounds: int) -> float:
    there: asyncio.Queue[int] = asyncio.Queue()
    back: asyncio.Queue[int] = asyncio.Queue()

    async def echo() -> None:
        for _ in range(rounds):
            await back.put(await there.get())

    echoing = asyncio.create_task(echo())
    start = time.perf_counter()
    for number in range(rounds):
        await there.put(number)
        await back.get()
    seconds = time.perf_counter() - start
    await echoing
    return seconds


def ping_pong(rounds: int) -> float:
    if MODEL.startswith("asyncio"):
        if MODEL == "asyncio+uvloop":
            import uvloop

            return uvloop.run(ping_pong_asyncio(rounds))
        return asyncio.run(ping_pong_asyncio(rounds))
    if MODEL == "gevent":
        import gevent
        import gevent.queue

        there, back = gevent.queue.Queue(), gevent.queue.Queue()
        spawn = gevent.spawn
    else:
        there, back = queue.Queue(), queue.Queue()

        def spawn(function: Callable[[], None]) -> threading.Thread:
            thread = threading.Thread(target=function)
            thread.start()
            return thread

    def echo() -> None:
        for _ in range(rounds):
            back.put(there.get())

    echoing = spawn(echo)
    start = time.perf_counter()
    for number in range(rounds):
        there.put(number)
        back.get()
    seconds = time.perf_counter() - start
    echoing.join()
    return seconds


rounds, warmups, values = (int(a) for a in sys.argv[2:5])
seconds = [ping_pong(rounds) for _ in range(warmups + values)][warmups:]
print(json.dumps({"us": [s / rounds * 1e6 for s in seconds]}))
