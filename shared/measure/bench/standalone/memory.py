"""Standalone check of the bench's ``memory``: no project code.

    python shared/measure/bench/standalone/memory.py MODEL N

Parks N tasks on one event and prints one JSON line: the resident and virtual
memory they added, in KiB per task, as psutil reads them (from /proc/self/statm).
"""

import sys

MODELS = ("asyncio", "asyncio+uvloop", "gevent", "threads")
# Bad arguments end it in one line, exit status 2, before it imports or runs anything.
if (
    len(sys.argv) != 3
    or sys.argv[1] not in MODELS
    or not sys.argv[2].isdigit()
    or int(sys.argv[2]) < 1
):
    print(
        f"memory.py: error: takes MODEL N: a model ({', '.join(MODELS)}), "
        "then N, a whole number, 1 or more",
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

import psutil  # noqa: E402 - imported before anything is measured, like the rest

PROCESS = psutil.Process()


def in_use() -> tuple[int, int]:
    """This process's resident and virtual memory, in bytes."""
    memory = PROCESS.memory_info()
    return memory.rss, memory.vms


async def park_asyncio(n: int) -> tuple[int, int]:
    release = asyncio.Event()

    async def parked() -> None:
        await release.wait()

    before = in_use()
    async with asyncio.TaskGroup() as group:
        for _ in range(n):
            group.create_task(parked())
        await asyncio.sleep(0)  # each new task runs to its wait in this turn of the loop
        after = in_use()
        release.set()
    return after[0] - before[0], after[1] - before[1]


def parked(release: threading.Event) -> None:
    release.wait()


def park(n: int) -> tuple[int, int]:
    if MODEL.startswith("asyncio"):
        if MODEL == "asyncio+uvloop":
            import uvloop

            return uvloop.run(park_asyncio(n))
        return asyncio.run(park_asyncio(n))
    if MODEL == "gevent":
        import gevent
        import gevent.event

        release = gevent.event.Event()
        before = in_use()
        greenlets = [gevent.spawn(parked, release) for _ in range(n)]
        gevent.sleep(0)  # each new greenlet runs to its wait in this turn of the hub
        after = in_use()
        release.set()
        gevent.joinall(greenlets)
        return after[0] - before[0], after[1] - before[1]
    release = threading.Event()
    before = in_use()
    threads = [threading.Thread(target=parked, args=(release,)) for _ in range(n)]
    for thread in threads:
        thread.start()
    after = in_use()
    release.set()
    for thread in threads:
        thread.join()
    return after[0] - before[0], after[1] - before[1]


n = int(sys.argv[2])
resident, virtual = park(n)
print(json.dumps({"resident_kib": resident / n / 1024, "virtual_kib": virtual / n / 1024}))
