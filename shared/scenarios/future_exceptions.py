"""Article example 3b: an unexpected exception, met when the result is read."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

from shared.contract import IP, Difference, Expected, Outcome, Scenario, at_least
from shared.scenarios.ip import BORKEN, IPIFY, MALFORMED, UNRESPONSIVE, IpService, IpSpec


@dataclass(frozen=True, kw_only=True)
class FutureExceptionsSpec(IpSpec):
    ipify: float = 0.91  # the article's response time
    malformed: float = 0.75  # the article's ip-api, whose answer no longer has the attribute

    def services(self) -> list[tuple[IpService, float]]:
        return [(IPIFY, self.ipify), (BORKEN, 0.0), (MALFORMED, self.malformed)]


@dataclass(kw_only=True)
class FutureExceptionsOutcome(Outcome):
    # service -> what reading its result gave: the IP, "unresponsive", or the
    # repr of the exception that reading raised.
    read: dict[str, str] = field(default_factory=dict)
    # service -> where its exception came from and where it was met (see ``where``).
    errors: dict[str, dict[str, str]] = field(default_factory=dict)


#: How each model reads a result: the expression that re-raises a task's failure.
READ = {"asyncio": "task.result()", "gevent": "greenlet.get()", "threads": "future.result()"}


def where(exc: BaseException) -> dict[str, str]:
    """Where ``exc`` was raised (the innermost function) and met (the reading expression).

    The traceback of an exception caught in ``main`` starts at the line of ``main``
    that met it, ``ip = <reading expression>``, and ends in the function that
    raised it.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    return {
        "error": repr(exc),
        "raised_in": frames[-1].name,
        "met_at": (frames[0].line or "").rpartition("= ")[2],
    }


def expect(spec: FutureExceptionsSpec, model: str) -> Expected:
    delays = [spec.seconds(spec.ipify), spec.seconds(spec.malformed)]
    error = KeyError(MALFORMED.attribute)
    return Expected(
        facts={
            "read": {IPIFY.name: IP, BORKEN.name: UNRESPONSIVE, MALFORMED.name: repr(error)},
            "errors": {
                MALFORMED.name: {
                    "error": repr(error),
                    "raised_in": "fetch_ip",
                    "met_at": READ[model],
                }
            },
        },
        bounds={"total": at_least(max(delays), below=sum(delays))},
    )


SCENARIO = Scenario(
    name="future_exceptions",
    article="3b",
    summary="a failure nobody caught in the task is raised again when its result is read",
    idea=(
        "Three IP services again: one is down (caught inside its task, as in 3a), "
        "and one answers JSON that lacks the attribute the code looks up, so its "
        "task fails with KeyError('this-is-not-an-attr'), which nothing inside the "
        "task expected. The failure is not lost: it waits in the task, greenlet or "
        "future, and is raised again, with its original traceback, where the result "
        "is read, so a try/except around the reading reports it as an unexpected "
        "error while the other results are used as usual. asyncio waits with "
        "asyncio.wait here rather than a TaskGroup: a TaskGroup would cancel the "
        "others at the first failure and raise an ExceptionGroup at its exit."
    ),
    spec_type=FutureExceptionsSpec,
    outcome_type=FutureExceptionsOutcome,
    expect=expect,
    differences=(
        Difference(
            topic="the call that re-raises a failed result",
            per_model={
                "asyncio": "`task.result()`",
                "gevent": "`greenlet.get()` (`.value` stays None, `.exception` holds it)",
                "threads": "`future.result()`",
            },
            pinned_by="tests/scenarios/test_errors.py::test_where_the_error_is_met",
        ),
        Difference(
            topic="stderr, for a failure that is read later",
            per_model={
                "asyncio": "nothing",
                "gevent": "the traceback, printed by the hub as the greenlet dies, before "
                "anyone reads it",
                "threads": "nothing",
            },
            pinned_by="tests/scenarios/test_errors.py::test_failure_on_stderr",
        ),
    ),
)
