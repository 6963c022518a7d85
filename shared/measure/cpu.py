"""CPU work in pure Python, the same for every model: ``spend(ms)``.

A service that does real work per request holds the interpreter while it
computes. To measure what that does to each model, every model's handler calls
this one function with the same argument. It runs a fixed number of loop
iterations, counted once per process by ``calibrate()``, rather than spinning
until a clock says the time is up: real work takes as many bytecodes however
long it has to wait for the GIL or the event loop, so a request that is kept
waiting by others finishes late, as it would in a real service.
"""

from __future__ import annotations

import time

#: Iterations of ``_loop`` per millisecond of CPU on an idle core; set by ``calibrate()``.
_per_ms: float = 0.0


def _loop(iterations: int) -> int:
    # A little arithmetic per iteration, so that the loop is not only the loop's
    # own overhead; the result is returned so that nothing can skip the work.
    total = 0
    for i in range(iterations):
        total = (total + i * i) % 1_000_003
    return total


def calibrate(rounds: int = 5) -> float:
    """Count iterations per millisecond (the best of ``rounds`` tries); return it.

    The best try is the one least disturbed by other processes, which is the
    speed of the code itself. Called once at start-up, before any request.
    """
    global _per_ms
    size = 20_000
    best = float("inf")
    for _ in range(rounds):
        start = time.thread_time()
        _loop(size)
        best = min(best, time.thread_time() - start)
    _per_ms = size / max(best * 1000, 1e-6)
    return _per_ms


def spend(ms: float) -> int:
    """Spend about ``ms`` milliseconds of CPU in pure Python, holding the interpreter."""
    if ms <= 0:
        return 0
    if not _per_ms:
        calibrate()
    return _loop(round(ms * _per_ms))
