"""shutdown in gevent: ``gevent.signal_handler`` and ``gevent.killall``.

    python -m gevent_impl shutdown
    python -m gevent_impl shutdown --spec '{"signal": "SIGINT"}'
    python -m gevent_impl shutdown --spec '{"sender": "outside"}'  # then kill -TERM PID

``gevent.signal_handler`` runs its callback in a new greenlet when the signal
arrives, so the callback may block: it kills the request greenlets, which
raises GreenletExit where each is blocked (in its read, or waiting for the
semaphore), and waits for them to die; main's ``joinall`` then simply
returns. SIGINT is left to Python's KeyboardInterrupt: it is raised in
whatever runs when the signal is checked, often the hub, which reports it on
stderr before it passes it to the main greenlet; main kills the greenlets
itself.
"""

from __future__ import annotations

import os
import signal
import time

import gevent
import requests
from gevent.lock import BoundedSemaphore

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.shutdown import (
    DONE,
    STOPPED,
    ShutdownOutcome,
    ShutdownSpec,
    interruptible,
    status,
)


def fetch(
    spec: ShutdownSpec,
    session: requests.Session,
    number: int,
    workers: BoundedSemaphore,
    states: dict[int, str],
    out: Transcript,
) -> None:
    seconds = spec.seconds(spec.delays[number - 1])
    with workers:
        states[number] = STOPPED  # unless it gets its answer
        out.say(f"Request {number} sent ({seconds:g} s)")
        session.get(spec.url("/events", delay=seconds), timeout=HTTP_TIMEOUT)
        states[number] = DONE
        out.say(f"Request {number} answered")


def warm_up(spec: ShutdownSpec, session: requests.Session) -> None:
    """One request before the clock starts: a first request's costs are not the point.

    Here they are large: the first lookup of an address starts the thread of
    gevent's resolver.
    """
    session.get(spec.url("/events", delay=0), timeout=HTTP_TIMEOUT)


def main(
    spec: ShutdownSpec, out: Transcript, outcome: ShutdownOutcome, states: dict[int, str]
) -> None:
    signum = signal.Signals[spec.signal]
    jobs: list[gevent.Greenlet] = []

    def on_sigterm() -> None:
        out.say("SIGTERM: killing the greenlets")
        gevent.killall(jobs)

    handler = gevent.signal_handler(signal.SIGTERM, on_sigterm)
    workers = BoundedSemaphore(spec.workers)
    with requests.Session() as session:
        warm_up(spec, session)
        # The hub's clock was last read when it last woke: a timer set now
        # would count from then, and fire early.
        gevent.get_hub().loop.update_now()
        # The clock starts before the pid is said: a signal sent from outside
        # on that line can then never seem to come early.
        began = time.perf_counter()
        out.say(f"pid {os.getpid()}: {len(spec.delays)} requests, {spec.workers} at a time")
        sender = (
            gevent.spawn_later(spec.seconds(spec.signal_after), os.kill, os.getpid(), signum)
            if spec.sender == "self"
            else None
        )
        jobs += [
            gevent.spawn(fetch, spec, session, number, workers, states, out)
            for number in range(1, len(spec.delays) + 1)
        ]
        try:
            gevent.joinall(jobs)
        except KeyboardInterrupt:
            outcome.met = "KeyboardInterrupt"
            gevent.killall(jobs)
        finally:
            outcome.timings["stopped"] = time.perf_counter() - began
            handler.cancel()
            if sender is not None:
                sender.kill()  # a no-op once it has sent the signal


def run(spec: ShutdownSpec, out: Transcript) -> ShutdownOutcome:
    outcome = ShutdownOutcome(met="nothing")
    states: dict[int, str] = {}
    with interruptible(spec):
        main(spec, out, outcome, states)
    outcome.requests = status(states, len(spec.delays))
    stopped = outcome.timings["stopped"]
    after = stopped - spec.seconds(spec.signal_after)  # when it was sent, or meant to be
    out.say(f"{outcome.met} in main; stopped at {stopped:.2f} s, {after:.2f} s after the signal")
    for number, state in enumerate(outcome.requests, 1):
        if state != DONE:
            out.say(f"Request {number}: {state}")
    return outcome
