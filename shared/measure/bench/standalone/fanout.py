"""Standalone check of the bench's tuned ``fanout``: a minimal client, no project code.

    python shared/measure/bench/standalone/fanout.py MODEL URL N

Starts N GETs of URL at once, with a connection (and for threads, a thread)
per request, and prints one JSON line: the wall time and the failures.
"""

import sys

MODELS = ("asyncio", "asyncio+uvloop", "gevent", "threads")
# Bad arguments end it in one line, exit status 2, before it imports or runs anything.
if (
    len(sys.argv) != 4
    or sys.argv[1] not in MODELS
    or not sys.argv[2].startswith("http://")
    or not sys.argv[3].isdigit()
    or int(sys.argv[3]) < 1
):
    print(
        f"fanout.py: error: takes MODEL URL N: a model ({', '.join(MODELS)}), "
        "then an http:// URL and N, a whole number, 1 or more",
        file=sys.stderr,
    )
    sys.exit(2)
MODEL = sys.argv[1]
if MODEL == "gevent":
    from gevent import monkey

    monkey.patch_all()

import asyncio  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402


async def fan_out_asyncio(url: str, n: int) -> tuple[float, int]:
    import aiohttp

    async def get(session: aiohttp.ClientSession) -> None:
        async with session.get(url) as answer:
            answer.raise_for_status()
            await answer.read()

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=n)) as session:
        start = time.perf_counter()
        results = await asyncio.gather(*(get(session) for _ in range(n)), return_exceptions=True)
        wall = time.perf_counter() - start
    return wall, sum(r is not None for r in results)


def fan_out(url: str, n: int) -> tuple[float, int]:
    if MODEL.startswith("asyncio"):
        if MODEL == "asyncio+uvloop":
            import uvloop

            return uvloop.run(fan_out_asyncio(url, n))
        return asyncio.run(fan_out_asyncio(url, n))
    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_maxsize=n))

    def get() -> None:
        session.get(url, timeout=60).raise_for_status()

    start = time.perf_counter()
    if MODEL == "gevent":
        import gevent

        greenlets = [gevent.spawn(get) for _ in range(n)]
        gevent.joinall(greenlets)
        failures = sum(not g.successful() for g in greenlets)
    else:
        with ThreadPoolExecutor(n) as pool:
            futures = [pool.submit(get) for _ in range(n)]
            failures = sum(f.exception() is not None for f in futures)
    return time.perf_counter() - start, failures


wall, failures = fan_out(sys.argv[2], int(sys.argv[3]))
print(json.dumps({"wall": wall, "failures": failures}))
