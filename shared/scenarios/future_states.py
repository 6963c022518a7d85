"""The article's "Future states": what a future says in each state, and what it does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.contract import IP, Difference, Expected, Outcome, Scenario, Spec, Transcript
from shared.scenarios.ip import MALFORMED

#: The states a piece of work goes through, as the rows of the table.
SITUATIONS = ("pending", "running", "done with a result", "done with an exception", "cancelled")
#: The questions asked in each state, without blocking, as the columns.
QUERIES = ("done", "running", "cancelled", "result", "exception")
#: The things done to a future, one row each.
ACTIONS = (
    "result() before done",
    "cancel() a pending one",
    "cancel() a running one",
    "done-callback",
    "done-callback added once done",
    "result set by hand",
    "result set twice",
)

NA = "n/a"  # the model has no such query
NEVER_RUNS = "never runs"  # the fate of work that was stopped before it started
TO_THE_END = "runs to the end"  # the fate of work that nothing stopped
OTHER_IP = "198.51.100.1"  # the second result, when one is set twice


@dataclass(frozen=True, kw_only=True)
class FutureStatesSpec(Spec):
    # How long blocked work waits before it is let go: what a blocking result()
    # call has to wait for. Not from the article, which shows no timings here.
    release: float = 0.2


@dataclass(kw_only=True)
class FutureStatesOutcome(Outcome):
    states: dict[str, dict[str, str]] = field(default_factory=dict)  # situation -> query -> answer
    actions: dict[str, str] = field(default_factory=dict)  # action -> what came of it


# -- the words every model answers in -----------------------------------------


def failure() -> KeyError:
    """What failing work raises, as in the article's 3b: a fresh one each time."""
    return KeyError(MALFORMED.attribute)


def answer(query: Callable[[], Any] | None) -> str:
    """What a query answers, in words that compare across models.

    ``None`` stands for a query the model does not have. A value is given by
    its repr; an exception by its type's name (asyncio's CancelledError and
    gevent's Timeout are BaseExceptions, hence the broad catch).
    """
    if query is None:
        return NA
    try:
        value = query()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        return f"raises {type(exc).__name__}"
    return repr(value)


def waited(query: Callable[[], Any], is_done: Callable[[], bool]) -> str:
    """What a blocking query answers on work not yet done, and whether it waited."""
    got = answer(query)
    return f"waits, then {got}" if is_done() else got


def accepted(action: Callable[[], Any]) -> str:
    """Whether setting something was accepted."""
    got = answer(action)
    return got if got.startswith("raises ") else "accepted"


def noting(future: Any, calls: list[str], who: Callable[[], str]) -> Callable[[Any], None]:
    """A done-callback that notes who calls it, or "?" if not given ``future``."""

    def callback(given: Any) -> None:
        calls.append(who() if given is future else "?")

    return callback


def called(calls: list[str], at_once: bool | None = None) -> str:
    """What a done-callback noted: by whom it was called, and, if asked, when."""
    if not calls:
        return "not called"
    if at_once is not None:
        return f"{'at once' if at_once else 'later'}, by {calls[0]}"
    return "called with something else" if calls[0] == "?" else f"called with it, by {calls[0]}"


def fate(started: bool, trace: list[str]) -> str:
    """What became of a piece of work: never run, stopped inside, or run to the end."""
    return trace[-1] if started and trace else NEVER_RUNS


def report(states: dict[str, dict[str, str]], actions: dict[str, str], out: Transcript) -> None:
    """Print the table, the same way in every model."""
    for situation in SITUATIONS:
        cells = ", ".join(f"{query}: {states[situation][query]}" for query in QUERIES)
        out.say(f"{situation} -> {cells}")
    for action in ACTIONS:
        out.say(f"{action} -> {actions[action]}")


# -- the expectation, written out per model -----------------------------------

T, F = "True", "False"
ISE, CE = "raises InvalidStateError", "raises CancelledError"
RESULT, ERROR = repr(IP), repr(failure())

#: The rows of each model's table, the answers in the order of QUERIES. Each
#: model answers its own way: asyncio.Task, gevent.Greenlet, concurrent.futures.Future.
STATES: dict[str, dict[str, tuple[str, ...]]] = {
    "asyncio": {  # done(), no running(), cancelled(), result(), exception()
        "pending": (F, NA, F, ISE, ISE),
        "running": (F, NA, F, ISE, ISE),
        "done with a result": (T, NA, F, RESULT, "None"),
        "done with an exception": (T, NA, F, "raises KeyError", ERROR),
        "cancelled": (T, NA, T, CE, CE),
    },
    "gevent": {  # ready(), no running(), no cancelled(), get(block=False), .exception
        "pending": (F, NA, NA, "raises Timeout", "None"),
        "running": (F, NA, NA, "raises Timeout", "None"),
        "done with a result": (T, NA, NA, RESULT, "None"),
        "done with an exception": (T, NA, NA, "raises KeyError", ERROR),
        # Killed before it ran: the GreenletExit is its value, a success.
        "cancelled": (T, NA, NA, "GreenletExit()", "None"),
    },
    "threads": {  # done(), running(), cancelled(), result(timeout=0), exception(timeout=0)
        "pending": (F, F, F, "raises TimeoutError", "raises TimeoutError"),
        "running": (F, T, F, "raises TimeoutError", "raises TimeoutError"),
        "done with a result": (T, F, F, RESULT, "None"),
        "done with an exception": (T, F, F, "raises KeyError", ERROR),
        "cancelled": (T, F, T, CE, CE),
    },
}

BY_HAND = f"done: True, result: {RESULT}"

#: What comes of each action, per model.
OUTCOMES: dict[str, dict[str, str]] = {
    "asyncio": {
        "result() before done": ISE,
        "cancel() a pending one": f"True; {NEVER_RUNS}",
        "cancel() a running one": "True; CancelledError inside",
        "done-callback": "called with it, by the event loop",
        "done-callback added once done": "later, by the event loop",
        "result set by hand": BY_HAND,
        "result set twice": f"{ISE}; result: {RESULT}",
    },
    "gevent": {  # kill() for cancel(), link() for add_done_callback(), AsyncResult by hand
        "result() before done": f"waits, then {RESULT}",
        "cancel() a pending one": f"None; {NEVER_RUNS}",
        "cancel() a running one": "None; GreenletExit inside",
        "done-callback": "called with it, by the hub",
        "done-callback added once done": "later, by the hub",
        "result set by hand": BY_HAND,
        "result set twice": f"accepted; result: {OTHER_IP!r}",
    },
    "threads": {
        "result() before done": f"waits, then {RESULT}",
        "cancel() a pending one": f"True; {NEVER_RUNS}",
        "cancel() a running one": f"False; {TO_THE_END}",
        "done-callback": "called with it, by the worker thread",
        "done-callback added once done": "at once, by the caller",
        "result set by hand": BY_HAND,
        "result set twice": f"{ISE}; result: {RESULT}",
    },
}


def expect(spec: FutureStatesSpec, model: str) -> Expected:
    states = {
        situation: dict(zip(QUERIES, answers, strict=True))
        for situation, answers in STATES[model].items()
    }
    return Expected(facts={"states": states, "actions": dict(OUTCOMES[model])})


PINNED_BY = "tests/scenarios/test_future_states.py::"

SCENARIO = Scenario(
    name="future_states",
    article="Future states",
    summary="pending, running, done, cancelled: what a future says and does in each state",
    idea=(
        "A future stands for a result that is not there yet. It is pending, then "
        "running, then done, with a result or an exception, unless it was cancelled. "
        "One can ask it which state it is in, ask for its result (which blocks, "
        "raises, or returns, depending on the state and the model), cancel it, attach "
        "a callback for when it is done, and set its result by hand, as a test would. "
        "Each model has its own objects for this (asyncio's Future and Task, gevent's "
        "Greenlet and AsyncResult, concurrent.futures' Future); the scenario puts "
        "every one through the same situations and writes down each answer in the "
        "same words, so the three tables can be read side by side. Where a model has "
        "no such query the table says n/a."
    ),
    spec_type=FutureStatesSpec,
    outcome_type=FutureStatesOutcome,
    expect=expect,
    differences=(
        Difference(
            "is it running?",
            {
                "asyncio": "n/a: no `running()`",
                "gevent": "n/a: `started` holds from spawn to death",
                "threads": "`running()`: True",
            },
            PINNED_BY + "test_running_query",
        ),
        Difference(
            "a pending one's result, without blocking",
            {
                "asyncio": "`result()` raises InvalidStateError",
                "gevent": "`get(block=False)` raises Timeout; `exception` is None",
                "threads": "`result(timeout=0)` raises TimeoutError",
            },
            PINNED_BY + "test_pending_result",
        ),
        Difference(
            "`result()` before done",
            {
                "asyncio": "raises InvalidStateError: await it instead",
                "gevent": "`get()` waits for it",
                "threads": "waits for it",
            },
            PINNED_BY + "test_result_before_done",
        ),
        Difference(
            "a cancelled one",
            {
                "asyncio": "`cancelled()`; `result()` raises CancelledError",
                "gevent": "no `cancelled()`: killed, `get()` returns GreenletExit()",
                "threads": "`cancelled()`; `result()` raises CancelledError",
            },
            PINNED_BY + "test_cancelled",
        ),
        Difference(
            "`cancel()` a running one",
            {
                "asyncio": "True: CancelledError at its await",
                "gevent": "`kill()`: GreenletExit at its wait",
                "threads": "False: it runs to the end",
            },
            PINNED_BY + "test_cancel_running",
        ),
        Difference(
            "a done-callback",
            {
                "asyncio": "called later, by the event loop",
                "gevent": "`link()`: called later, by the hub",
                "threads": "called by the thread that finishes it, at once if done",
            },
            PINNED_BY + "test_done_callbacks",
        ),
        Difference(
            "a result set twice",
            {
                "asyncio": "raises InvalidStateError",
                "gevent": "`AsyncResult.set()`: the second replaces the first",
                "threads": "raises InvalidStateError",
            },
            PINNED_BY + "test_result_set_twice",
        ),
        Difference(
            "a failure whose exception is read",
            {
                "asyncio": "silent",
                "gevent": "traceback on stderr anyway, when the greenlet dies",
                "threads": "silent",
            },
            PINNED_BY + "test_failure_that_is_read",
        ),
    ),
)
