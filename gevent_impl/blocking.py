"""blocking in gevent: the patched and the original ``time.sleep``, the hub's threadpool.

    python -m gevent_impl blocking
    python -m gevent_impl blocking --spec '{"block": 2}'

Monkey-patching replaced ``time.sleep`` with ``gevent.sleep``, which yields
to the hub. A C library that waits on its own is out of the patch's reach:
the original ``time.sleep`` (``monkey.get_original``) stands in for one, and
holds the hub, every greenlet with it. The hub's threadpool runs such a call
in a real thread while the calling greenlet waits cooperatively. gevent's
monitor thread (``GEVENT_MONITOR_THREAD_ENABLE=1``, or ``gevent.config``
before the hub starts; ``start_periodic_monitoring_thread`` after) checks every
``max_blocking_time`` seconds that the hub has switched greenlets, and
reports a hub that has not: here the reports are taken from gevent's events
rather than from stderr.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gevent
import gevent.events
from gevent import monkey

from shared.contract import Transcript
from shared.scenarios.blocking import (
    DETECTOR,
    LIBRARY,
    OFFLOADED,
    SLEEP,
    BlockingOutcome,
    BlockingSpec,
)


def tick(seconds: float, gaps: list[float]) -> None:
    last = time.perf_counter()
    while True:
        gevent.sleep(seconds)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


def step(spec: BlockingSpec, call: Callable[[], None]) -> float:
    """The ticker's longest gap while ``call`` runs between two ticks."""
    gaps: list[float] = []
    ticker = gevent.spawn(tick, spec.seconds(spec.tick), gaps)
    try:
        gevent.sleep(spec.seconds(spec.tick))
        call()
        gevent.sleep(spec.seconds(spec.tick))
    finally:
        ticker.kill()
    return max(gaps)


class Reports:
    """Keeps the monitor thread's reports of a blocked hub, with the step they came in."""

    def __init__(self) -> None:
        self.step = ""
        self.said: list[tuple[str, str]] = []
        self.checked = 0.0  # when the monitor thread last ended a round of checks

    def check_ended(self, _hub: Any) -> None:
        """Run by the monitor thread after its check of the hub, in the same round."""
        self.checked = time.perf_counter()

    def wait_for_a_check(self, period: float) -> None:
        """Wait until a round of checks that was under way now has ended.

        The monitor thread notices a blocked hub during the block, but it
        builds its report and hands it on after it, holding the GIL in turns
        with this thread: on a busy machine the report of one step could come
        in while the next is already running, and be counted against it.
        """
        now = time.perf_counter()
        deadline = now + 20 * period  # a monitor that stopped must not hang the run
        while self.checked <= now and time.perf_counter() < deadline:
            gevent.sleep(period / 4)

    def __call__(self, event: Any) -> None:
        if isinstance(event, gevent.events.EventLoopBlocked):
            blocked = next(line for line in event.info if "appears to be blocked" in line)
            # "<when> : Greenlet <repr> appears to be blocked": keep what it says.
            said = "Greenlet <...> appears to be blocked"
            self.said.append((self.step, said if "Greenlet" in blocked else blocked.strip()))


def main(spec: BlockingSpec, out: Transcript, outcome: BlockingOutcome) -> None:
    seconds = spec.seconds(spec.block)
    original_sleep = monkey.get_original("time", "sleep")
    hub = gevent.get_hub()

    def library() -> None:
        original_sleep(seconds)

    def offloaded() -> None:
        hub.threadpool.apply(original_sleep, (seconds,))

    calls = {SLEEP: lambda: time.sleep(seconds), LIBRARY: library, OFFLOADED: offloaded}
    reports = Reports()
    gevent.events.subscribers.append(reports)
    # The hub exists already, so the monitor thread is started by hand. It
    # must be running too: a monitor that finds its hub not started (a
    # greenlet that is not started is false) takes it as gone and stops.
    # The reports come as events; stderr is left quiet.
    gevent.config.monitor_thread = True
    # Checked a few times per call, so that one check at least falls inside it.
    gevent.config.max_blocking_time = spec.seconds(spec.block) / 4
    gevent.config.print_blocking_reports = False
    gevent.sleep(0)
    monitor = hub.start_periodic_monitoring_thread()
    # Added after the check of the hub, with its period: it runs in the same
    # rounds, after it.
    monitor.add_monitoring_function(reports.check_ended, gevent.config.max_blocking_time)
    try:
        for name, call in calls.items():
            reports.step = name
            gap = step(spec, call)
            reports.wait_for_a_check(gevent.config.max_blocking_time)
            outcome.timings[f"gap {name}"] = gap
            outcome.stalled[name] = gap > spec.seconds(spec.threshold())
            out.say(f"{name} for {seconds:g} s: the ticker's longest gap {gap:.3f} s")
        reports.step = ""
    finally:
        monitor.kill()  # it ends at its next wake-up
        gevent.events.subscribers.remove(reports)
    for name, said in reports.said:
        outcome.reports.append(f"{name or 'between steps'}: {said}")
        out.say(f"{DETECTOR['gevent']}, during {name or 'no step'}: {said}")
    outcome.caught = {
        name: any(when == name for when, _ in reports.said)
        for name, stalled in outcome.stalled.items()
        if stalled
    }


def run(spec: BlockingSpec, out: Transcript) -> BlockingOutcome:
    outcome = BlockingOutcome(detector=DETECTOR["gevent"])
    main(spec, out, outcome)
    return outcome
