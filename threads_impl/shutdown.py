"""shutdown in threads: an Event the workers check, ``shutdown(cancel_futures=True)``.

    python -m threads_impl shutdown
    python -m threads_impl shutdown --spec '{"signal": "SIGINT"}'
    python -m threads_impl shutdown --spec '{"sender": "outside"}'  # then kill -TERM PID

Python runs signal handlers in the main thread only. Here SIGTERM gets the
handler SIGINT has by default, which raises KeyboardInterrupt, so both
signals take main out of its wait the same way. Main then sets the Event and
shuts the pool down with ``cancel_futures=True``: requests still waiting for
a worker are cancelled. A thread cannot be interrupted, though: the requests
on the wire go on to their answers, and ``shutdown`` waits for them. Each
worker checks the Event after its answer, and drops the answer once the
process is stopping.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

import requests

from shared.contract import HTTP_TIMEOUT, Transcript
from shared.scenarios.shutdown import (
    DONE,
    DROPPED,
    ShutdownOutcome,
    ShutdownSpec,
    interruptible,
    status,
)


def fetch(
    spec: ShutdownSpec,
    session: requests.Session,
    number: int,
    stopping: threading.Event,
    states: dict[int, str],
    out: Transcript,
) -> None:
    if stopping.is_set():  # picked up as the pool was shutting down
        return
    seconds = spec.seconds(spec.delays[number - 1])
    states[number] = DROPPED  # unless it gets its answer in time
    out.say(f"Request {number} sent ({seconds:g} s)")
    session.get(spec.url("/events", delay=seconds), timeout=HTTP_TIMEOUT)
    if stopping.is_set():
        out.say(f"Request {number} answered, dropped: stopping")
        return
    states[number] = DONE
    out.say(f"Request {number} answered")


def warm_up(spec: ShutdownSpec, session: requests.Session) -> None:
    """One request before the clock starts: a first request's costs are not the point."""
    session.get(spec.url("/events", delay=0), timeout=HTTP_TIMEOUT)


def main(
    spec: ShutdownSpec, out: Transcript, outcome: ShutdownOutcome, states: dict[int, str]
) -> None:
    signum = signal.Signals[spec.signal]
    stopping = threading.Event()
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    sender = threading.Timer(spec.seconds(spec.signal_after), os.kill, (os.getpid(), signum))
    pool = ThreadPoolExecutor(spec.workers, thread_name_prefix="fetch")
    try:
        with requests.Session() as session:
            warm_up(spec, session)
            # The clock starts before the pid is said: a signal sent from outside
            # on that line can then never seem to come early.
            began = time.perf_counter()
            out.say(f"pid {os.getpid()}: {len(spec.delays)} requests, {spec.workers} at a time")
            if spec.sender == "self":
                sender.start()
            futures = [
                pool.submit(fetch, spec, session, number, stopping, states, out)
                for number in range(1, len(spec.delays) + 1)
            ]
            try:
                wait(futures)
            except KeyboardInterrupt:
                outcome.met = "KeyboardInterrupt"
                out.say(f"{spec.signal}: stopping; waiting for the requests on the wire")
                stopping.set()
                pool.shutdown(wait=True, cancel_futures=True)
            finally:
                outcome.timings["stopped"] = time.perf_counter() - began
    finally:
        pool.shutdown()
        sender.cancel()
        if sender.is_alive():
            sender.join()
        signal.signal(signal.SIGTERM, previous)


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
