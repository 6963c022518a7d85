"""subprocesses in gevent: ``gevent.subprocess``, the standard module, cooperative.

    python -m gevent_impl subprocesses
    python -m gevent_impl subprocesses --spec '{"delays": [2, 1, 3]}'

``gevent.subprocess`` has the standard module's API (``monkey.patch_all``
puts it in its place), but waiting for a child's output or exit yields to the
hub, so the children of three greenlets run at once. ``communicate(timeout=)``
raises ``TimeoutExpired`` and leaves the child alone, as the standard
``Popen.communicate`` does: it goes on running until it is killed.
"""

from __future__ import annotations

import time

import gevent
from gevent import subprocess

from shared.contract import Transcript
from shared.scenarios.subprocesses import (
    KILLED,
    RUNNING,
    SubprocessesOutcome,
    SubprocessesSpec,
    command,
    exception_name,
    overlapping,
    running_children,
)


def run_child(seconds: float, name: str, out: Transcript) -> tuple[str, tuple[float, float]]:
    began = time.perf_counter()
    with subprocess.Popen(command(seconds, name), stdout=subprocess.PIPE, text=True) as child:
        out.say(f"{name} started, sleeping {seconds:g} s")
        stdout, _ = child.communicate()
    last = str(stdout).splitlines()[-1]
    out.say(f"{name} said: {last}")
    return last, (began, time.perf_counter())


def give_up_on(spec: SubprocessesSpec, out: Transcript, outcome: SubprocessesOutcome) -> None:
    seconds = spec.seconds(spec.timeout)
    slow = command(spec.seconds(spec.slow), "slow child")
    # The time given counts from the start, as in every model. Counting from
    # the call to communicate() would show it expire a little early: gevent's
    # timers count from the hub's clock, read when the hub last woke up (here,
    # during the start), not when the timer is set.
    began = time.perf_counter()
    with subprocess.Popen(slow, stdout=subprocess.PIPE, text=True) as child:
        out.say(f"slow child started, {seconds:g} s to finish")
        try:
            child.communicate(timeout=seconds)
        except subprocess.TimeoutExpired as exc:
            outcome.timings["timeout"] = time.perf_counter() - began
            state = RUNNING if child.poll() is None and running_children() else KILLED
            outcome.timeout = {"raised": exception_name(exc), "child": state}
            out.say(f"Timed out ({exception_name(exc)}): the slow child is {state}")
        if child.poll() is None:
            child.kill()  # the timeout did not stop it: we must
            child.wait()
            out.say("slow child killed")


def main(spec: SubprocessesSpec, out: Transcript, outcome: SubprocessesOutcome) -> None:
    began = time.perf_counter()
    children = [
        gevent.spawn(run_child, spec.seconds(delay), f"child {n}", out)
        for n, delay in enumerate(spec.delays, 1)
    ]
    gevent.joinall(children, raise_error=True)
    outcome.timings["together"] = time.perf_counter() - began
    ran = [child.get() for child in children]
    outcome.outputs = [output for output, _ in ran]
    outcome.overlapped = overlapping([span for _, span in ran])
    out.say(f"All {len(children)} children done in {outcome.timings['together']:.2f} s")
    give_up_on(spec, out, outcome)


def run(spec: SubprocessesSpec, out: Transcript) -> SubprocessesOutcome:
    outcome = SubprocessesOutcome()
    main(spec, out, outcome)
    outcome.left = running_children()
    return outcome
