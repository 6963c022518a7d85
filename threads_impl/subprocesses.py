"""subprocesses in threads: ``subprocess.run`` in a pool of worker threads.

    python -m threads_impl subprocesses
    python -m threads_impl subprocesses --spec '{"delays": [2, 1, 3]}'

``subprocess.run`` blocks its thread until the child is done, so each child
gets a worker of its own and they all run at once. Its ``timeout=`` is the
one that cleans up after itself: when it expires, ``run`` kills the child,
waits for it, and only then raises ``TimeoutExpired`` (with what the child
had printed so far).
"""

from __future__ import annotations

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

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
    out.say(f"{name} started, sleeping {seconds:g} s")
    done = subprocess.run(command(seconds, name), stdout=subprocess.PIPE, text=True, check=True)
    last = done.stdout.splitlines()[-1]
    out.say(f"{name} said: {last}")
    return last, (began, time.perf_counter())


def give_up_on(spec: SubprocessesSpec, out: Transcript, outcome: SubprocessesOutcome) -> None:
    seconds = spec.seconds(spec.timeout)
    slow = command(spec.seconds(spec.slow), "slow child")
    out.say(f"slow child started, {seconds:g} s to finish")
    began = time.perf_counter()  # run() counts the time given from the start
    try:
        subprocess.run(slow, stdout=subprocess.PIPE, text=True, timeout=seconds)
    except subprocess.TimeoutExpired as exc:
        outcome.timings["timeout"] = time.perf_counter() - began
        # run() kept the child to itself: only /proc can say whether it still runs.
        state = RUNNING if running_children() else KILLED
        outcome.timeout = {"raised": exception_name(exc), "child": state}
        out.say(f"Timed out ({exception_name(exc)}): the slow child is {state}")


def main(spec: SubprocessesSpec, out: Transcript, outcome: SubprocessesOutcome) -> None:
    began = time.perf_counter()
    with ThreadPoolExecutor(len(spec.delays), thread_name_prefix="run_child") as pool:
        children = [
            pool.submit(run_child, spec.seconds(delay), f"child {n}", out)
            for n, delay in enumerate(spec.delays, 1)
        ]
    outcome.timings["together"] = time.perf_counter() - began
    ran = [child.result() for child in children]
    outcome.outputs = [output for output, _ in ran]
    outcome.overlapped = overlapping([span for _, span in ran])
    out.say(f"All {len(children)} children done in {outcome.timings['together']:.2f} s")
    give_up_on(spec, out, outcome)


def run(spec: SubprocessesSpec, out: Transcript) -> SubprocessesOutcome:
    outcome = SubprocessesOutcome()
    main(spec, out, outcome)
    outcome.left = running_children()
    return outcome
