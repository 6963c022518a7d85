"""future_states in threads: ``concurrent.futures.Future``, from a pool and by hand.

    python -m threads_impl future_states

A future is pending while its work waits in the pool's queue, running once a
worker has taken it: ``running()`` tells them apart. ``result()`` blocks until
the future is done; ``result(timeout=0)`` raises TimeoutError instead.
``cancel()`` only works on a pending future: a running one says False and runs
to the end, since Python cannot interrupt a thread. A done-callback is called
by whichever thread finishes the future, or at once by the caller if it is
already done. One worker per pool, so that a second piece of work stays pending.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait

from shared.contract import IP, Transcript
from shared.scenarios.future_states import (
    OTHER_IP,
    FutureStatesOutcome,
    FutureStatesSpec,
    accepted,
    answer,
    called,
    failure,
    fate,
    noting,
    report,
    waited,
)


class Work:
    """Work that starts, waits until it is released, and notes what happened to it."""

    def __init__(self, *, fail: bool = False) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.trace: list[str] = []
        self.fail = fail

    def __call__(self) -> str:
        self.started.set()
        try:
            self.release.wait()
        except BaseException as exc:
            self.trace.append(f"{type(exc).__name__} inside")
            raise
        if self.fail:
            raise failure()
        self.trace.append("runs to the end")
        return IP

    def fate(self) -> str:
        return fate(self.started.is_set(), self.trace)


def row(future: Future[str]) -> dict[str, str]:
    return {
        "done": answer(future.done),
        "running": answer(future.running),
        "cancelled": answer(future.cancelled),
        "result": answer(lambda: future.result(timeout=0)),
        "exception": answer(lambda: future.exception(timeout=0)),
    }


def who() -> str:
    """Who is calling: a pool worker, or the main thread that asked."""
    in_main = threading.current_thread() is threading.main_thread()
    return "the caller" if in_main else "the worker thread"


def states() -> dict[str, dict[str, str]]:
    rows = {}
    with ThreadPoolExecutor(1, thread_name_prefix="future_states") as pool:
        work = Work()
        future = pool.submit(work)
        work.started.wait()
        queued = Work()
        behind = pool.submit(queued)  # the only worker is busy: it waits in the queue
        rows["pending"] = row(behind)
        rows["running"] = row(future)
        work.release.set()
        queued.release.set()
        wait([future, behind])
        rows["done with a result"] = row(future)
        failing = Work(fail=True)
        failing.release.set()
        future = pool.submit(failing)
        wait([future])
        rows["done with an exception"] = row(future)
        blocker = Work()
        pool.submit(blocker)
        blocker.started.wait()
        future = pool.submit(Work())
        future.cancel()
        blocker.release.set()
        rows["cancelled"] = row(future)
    return rows


def actions(spec: FutureStatesSpec) -> dict[str, str]:
    done: dict[str, str] = {}

    with ThreadPoolExecutor(1, thread_name_prefix="future_states") as pool:
        work = Work()
        future = pool.submit(work)
        work.started.wait()
        timer = threading.Timer(spec.seconds(spec.release), work.release.set)
        timer.start()
        done["result() before done"] = waited(future.result, future.done)
        timer.join()

    with ThreadPoolExecutor(1, thread_name_prefix="future_states") as pool:
        blocker = Work()
        pool.submit(blocker)
        blocker.started.wait()
        work = Work()
        future = pool.submit(work)
        returned = answer(future.cancel)
        blocker.release.set()
    done["cancel() a pending one"] = f"{returned}; {work.fate()}"

    with ThreadPoolExecutor(1, thread_name_prefix="future_states") as pool:
        work = Work()
        future = pool.submit(work)
        work.started.wait()
        returned = answer(future.cancel)
        work.release.set()
    done["cancel() a running one"] = f"{returned}; {work.fate()}"

    calls: list[str] = []
    # Leaving the block joins the worker, which calls the callbacks right
    # after it sets the result: they have all run by then.
    with ThreadPoolExecutor(1, thread_name_prefix="future_states") as pool:
        work = Work()
        future = pool.submit(work)
        future.add_done_callback(noting(future, calls, who))
        work.release.set()
    done["done-callback"] = called(calls)

    calls.clear()
    future.add_done_callback(noting(future, calls, who))
    at_once = bool(calls)
    done["done-callback added once done"] = called(calls, at_once)

    by_hand: Future[str] = Future()
    by_hand.set_result(IP)
    done["result set by hand"] = f"done: {answer(by_hand.done)}, result: {answer(by_hand.result)}"
    again = accepted(lambda: by_hand.set_result(OTHER_IP))
    done["result set twice"] = f"{again}; result: {answer(by_hand.result)}"
    return done


def main(spec: FutureStatesSpec) -> FutureStatesOutcome:
    return FutureStatesOutcome(states=states(), actions=actions(spec))


def run(spec: FutureStatesSpec, out: Transcript) -> FutureStatesOutcome:
    outcome = main(spec)
    report(outcome.states, outcome.actions, out)
    return outcome
