"""Article example 3c: a task fails and nobody reads its result."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.contract import IP, Difference, Expected, Outcome, Scenario, Transcript, at_least
from shared.scenarios.ip import BORKEN, IPIFY, MALFORMED, UNRESPONSIVE, IpService, IpSpec


@dataclass(frozen=True, kw_only=True)
class IgnoredExceptionsSpec(IpSpec):
    ipify: float = 0.78  # the article's ipify took 0.78 s
    # The malformed answer comes well before ipify's, so that a report made at
    # the failure and one made when the work is thrown away come apart in time.
    malformed: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.malformed < self.ipify:
            raise ValueError("malformed must answer before ipify (0 <= malformed < ipify)")

    def services(self) -> list[tuple[IpService, float]]:
        return [(IPIFY, self.ipify), (BORKEN, 0.0), (MALFORMED, self.malformed)]


@dataclass(kw_only=True)
class IgnoredExceptionsOutcome(Outcome):
    # What the tasks printed themselves, by service; the malformed one printed
    # nothing: it failed, and nobody asked it why.
    answers: dict[str, str] = field(default_factory=dict)


def outcome_from(answers: dict[str, str], out: Transcript) -> IgnoredExceptionsOutcome:
    """The outcome, with the second at which the last answer was printed."""
    printed = [t for line, t in zip(out.lines, out.times, strict=True) if "finished with" in line]
    return IgnoredExceptionsOutcome(
        answers=answers, timings={"answered": max(printed, default=0.0), "returned": out.elapsed()}
    )


def expect(spec: IgnoredExceptionsSpec, model: str) -> Expected:
    ipify = spec.seconds(spec.ipify)
    return Expected(
        facts={"answers": {IPIFY.name: IP, BORKEN.name: UNRESPONSIVE}},
        # The requests run at once: everything is over soon after ipify answers.
        # (Nothing here hinges on concurrency, so the margin is wide.)
        bounds={
            "answered": at_least(ipify, below=3 * ipify),
            "returned": at_least(ipify, below=3 * ipify),
        },
    )


# -- what each model reports, and when ----------------------------------------

AT_FAILURE = "at the failure"
AT_DESTRUCTION = "when the task is destroyed"
NEVER = "never"


@dataclass(frozen=True)
class Report:
    """What a model says about a failure nobody read: when, in which phase, in which words."""

    when: str  # AT_FAILURE, AT_DESTRUCTION or NEVER
    phase: str | None  # the phase of Diagnostics.stderr that carries it; None: nothing anywhere
    says: tuple[str, ...]  # lines of that stderr, in order


REPORTS = {
    # The Task keeps the exception; when the Task object is destroyed with its
    # exception unread, asyncio hands it to the loop's exception handler, which
    # logs to the "asyncio" logger; with no logging set up, logging's last-resort
    # handler prints it on stderr. CPython destroys the task as soon as the last
    # reference goes: here when main returns and drops its list of tasks, after
    # every answer, still inside asyncio.run. A reference cycle would delay it
    # to the next garbage collection.
    "asyncio": Report(
        AT_DESTRUCTION,
        "run",
        (
            "Task exception was never retrieved",
            "KeyError: 'this-is-not-an-attr'",
        ),
    ),
    # The hub prints the traceback of every greenlet that dies of an exception,
    # the moment it dies, whether or not anybody reads it later.
    "gevent": Report(
        AT_FAILURE,
        "run",
        (
            "Traceback (most recent call last):",
            "KeyError: 'this-is-not-an-attr'",
            "failed with KeyError",
        ),
    ),
    # The future keeps the exception for whoever asks, and nobody asks.
    "threads": Report(NEVER, None, ()),
}


PINNED_BY = "tests/scenarios/test_ignored_exceptions.py::"

SCENARIO = Scenario(
    name="ignored_exceptions",
    article="3c",
    summary="a task fails and nobody reads it: what each model reports, where and when",
    idea=(
        "Three requests run concurrently and print their own results; main waits for "
        "them and reads nothing. ipify answers, borken is down and says so, and the "
        "third service's answer lacks the attribute asked for, so its task fails with "
        "KeyError('this-is-not-an-attr'). Nobody asks that task for its result, so no "
        "code of ours ever sees the error. Whether the programmer hears of it anyway "
        "depends on the model: asyncio logs it when the task object is thrown away, "
        "gevent prints it the moment the greenlet dies, concurrent.futures keeps it "
        "in the future and says nothing. The host records stderr by phase (while the "
        "scenario runs, at garbage collection, at exit) and when it began."
    ),
    spec_type=IgnoredExceptionsSpec,
    outcome_type=IgnoredExceptionsOutcome,
    expect=expect,
    differences=(
        Difference(
            "a failure nobody reads: what is said",
            {
                "asyncio": '"Task exception was never retrieved" and the traceback, '
                "by the `asyncio` logger",
                "gevent": 'the traceback and "<Greenlet ...> failed with KeyError", by the hub',
                "threads": "nothing",
            },
            PINNED_BY + "test_what_is_reported",
        ),
        Difference(
            "a failure nobody reads: when",
            {
                "asyncio": "when the task is destroyed: after the last answer",
                "gevent": "at the failure, before the last answer",
                "threads": "never",
            },
            PINNED_BY + "test_when_it_is_reported",
        ),
    ),
)
