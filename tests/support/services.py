"""Local services of a test's own, for counters no other run disturbs."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait

from shared.harness.services import Services, open_services


@contextlib.contextmanager
def own_services(count: int) -> Iterator[list[Services]]:
    """``count`` separate instances of the local services, started in parallel."""
    managers = [open_services() for _ in range(count)]
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(manager.__enter__) for manager in managers]
        wait(futures)
        for manager, future in zip(managers, futures, strict=True):
            if future.exception() is None:
                stack.push(manager)  # stopped on the way out, whatever happens
        yield [future.result() for future in futures]


def settled(services: Services) -> dict[str, int]:
    """The counters once no request is in flight: a hang-up reaches the server a little late."""
    deadline = time.monotonic() + 10
    while (stats := services.stats())["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.05)
    return stats
