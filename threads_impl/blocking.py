"""blocking in threads: ``time.sleep`` holds its own thread and nothing else.

    python -m threads_impl blocking
    python -m threads_impl blocking --spec '{"block": 2}'

A blocking call blocks the thread that makes it; the ticker has a thread of
its own, and a waiting call releases the GIL, so it ticks on. There is
nothing to fix, and no detector to run: handing the call to another thread
(a pool's worker here) changes nothing. What threads pay instead is a thread
per concurrent call, and locks around whatever those threads share.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from shared.contract import Transcript
from shared.scenarios.blocking import (
    DETECTOR,
    LIBRARY,
    OFFLOADED,
    SLEEP,
    BlockingOutcome,
    BlockingSpec,
)


def tick(seconds: float, gaps: list[float], stop: threading.Event) -> None:
    last = time.perf_counter()
    while not stop.wait(seconds):
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


def step(spec: BlockingSpec, call: Callable[[], None]) -> float:
    """The ticker's longest gap while ``call`` runs between two ticks."""
    gaps: list[float] = []
    stop = threading.Event()
    ticker = threading.Thread(target=tick, args=(spec.seconds(spec.tick), gaps, stop))
    ticker.start()
    try:
        time.sleep(spec.seconds(spec.tick))
        call()
        time.sleep(spec.seconds(spec.tick))
    finally:
        stop.set()
        ticker.join()
    return max(gaps)


class Reports:
    """What a detector said, with the step: threads have none, so it stays empty.

    Kept so that main reads as it does in the other models.
    """

    def __init__(self) -> None:
        self.step = ""
        self.said: list[tuple[str, str]] = []


def main(spec: BlockingSpec, out: Transcript, outcome: BlockingOutcome) -> None:
    seconds = spec.seconds(spec.block)
    with ThreadPoolExecutor(1, thread_name_prefix="offloaded") as pool:

        def offloaded() -> None:
            pool.submit(time.sleep, seconds).result()

        # Nothing patches anything here: time.sleep is the library's own wait.
        calls = {SLEEP: lambda: time.sleep(seconds), LIBRARY: lambda: time.sleep(seconds),
                 OFFLOADED: offloaded}  # fmt: skip
        reports = Reports()
        for name, call in calls.items():
            reports.step = name
            gap = step(spec, call)
            outcome.timings[f"gap {name}"] = gap
            outcome.stalled[name] = gap > spec.seconds(spec.threshold())
            out.say(f"{name} for {seconds:g} s: the ticker's longest gap {gap:.3f} s")
        reports.step = ""
    for name, said in reports.said:
        outcome.reports.append(f"{name or 'between steps'}: {said}")
        out.say(f"{DETECTOR['threads']}, during {name or 'no step'}: {said}")
    outcome.caught = {
        name: any(when == name for when, _ in reports.said)
        for name, stalled in outcome.stalled.items()
        if stalled
    }


def run(spec: BlockingSpec, out: Transcript) -> BlockingOutcome:
    outcome = BlockingOutcome(detector=DETECTOR["threads"])
    main(spec, out, outcome)
    return outcome
