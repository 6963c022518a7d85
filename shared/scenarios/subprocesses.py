"""The gevent tutorial's Subprocess: child processes at once, and a child that times out."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field

import psutil

from shared.contract import Difference, Expected, Outcome, Scenario, Spec, at_least

#: What every child runs: it says it started (with its pid), sleeps, and says
#: what it did. The interpreter's own flags keep its start-up short: no site
#: packages (-S), no environment or user directories (-I).
CHILD = (
    "import os, sys, time; "
    "print('started', os.getpid(), flush=True); "
    "time.sleep(float(sys.argv[1])); "
    "print(sys.argv[2], 'slept', sys.argv[1], 's', flush=True)"
)

#: Seconds a child's interpreter may take to start on a crowded machine: many
#: times what it takes on an idle one (tens of milliseconds).
STARTUP = 1.0

#: What the child that outlives its timeout is when the model's timeout has
#: expired: still "running", or already "killed".
RUNNING, KILLED = "running", "killed"


@dataclass(frozen=True, kw_only=True)
class SubprocessesSpec(Spec):
    delays: tuple[float, ...] = (1.0, 0.8, 0.6)  # how long each child sleeps
    timeout: float = 0.6  # given to the slow child below
    slow: float = 4.0  # a child that does not finish within the timeout

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.delays or min(self.delays) < 0:
            raise ValueError("delays must be one or more durations, none negative")
        if not 0 < self.timeout <= self.slow / 2:
            raise ValueError(
                f"timeout {self.timeout!r} must be positive and at most half the slow "
                f"child's {self.slow!r} s: any closer, whether it times out is a race"
            )


@dataclass(kw_only=True)
class SubprocessesOutcome(Outcome):
    outputs: list[str] = field(default_factory=list)  # each child's last line, in child order
    # Whether every child was started before any had finished, as the parent
    # saw them: the proof they ran at once, however long each took to start.
    overlapped: bool = False
    # What the timeout did: {"raised": name, "child": RUNNING or KILLED}.
    timeout: dict[str, str] = field(default_factory=dict)
    # Children still running when the scenario returned: none, in every model.
    left: list[int] = field(default_factory=list)


def command(seconds: float, name: str) -> list[str]:
    """The command line of a child that sleeps ``seconds`` and then says so."""
    return [sys.executable, "-I", "-S", "-c", CHILD, f"{seconds:g}", name]


def said(seconds: float, name: str) -> str:
    """The last line a child prints when it is done."""
    return f"{name} slept {seconds:g} s"


def overlapping(spans: list[tuple[float, float]]) -> bool:
    """Whether all the (start, end) spans have a moment in common."""
    return max(start for start, _ in spans) < min(end for _, end in spans)


def running_children() -> list[int]:
    """Pids of this process's children that run ``CHILD`` and are not dead.

    A zombie (dead, not yet reaped) does not count: what matters is whether
    the child still runs.
    """
    found = []
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):  # it ended meanwhile
            if child.status() != psutil.STATUS_ZOMBIE and CHILD in child.cmdline():
                found.append(child.pid)
    return sorted(found)


def exception_name(exc: BaseException) -> str:
    """The exception's class, by its module when that is not builtins."""
    kind = type(exc)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


#: What each model's timeout on a child raises, and what it leaves of the child.
TIMEOUT = {
    "asyncio": {"raised": "TimeoutError", "child": RUNNING},
    "gevent": {"raised": "subprocess.TimeoutExpired", "child": RUNNING},
    "threads": {"raised": "subprocess.TimeoutExpired", "child": KILLED},
}


def expect(spec: SubprocessesSpec, model: str) -> Expected:
    delays = [spec.seconds(d) for d in spec.delays]
    slowest, total = max(delays), sum(delays)
    names = [f"child {n}" for n in range(1, len(delays) + 1)]
    return Expected(
        facts={
            "outputs": [said(d, name) for d, name in zip(delays, names, strict=True)],
            "overlapped": True,
            "timeout": TIMEOUT[model],
            "left": [],
        },
        bounds={
            # At least the slowest sleep, and each child's interpreter has to
            # start first: the bound only catches a stall, ``overlapped`` is
            # what shows the children ran at once.
            "together": at_least(slowest, below=total + len(delays) * STARTUP),
            # Given up after the timeout, before the slow child would end.
            "timeout": at_least(spec.seconds(spec.timeout), below=spec.seconds(spec.slow)),
        },
    )


SCENARIO = Scenario(
    name="subprocesses",
    article="tutorial: Subprocess",
    summary="three children at once in the slowest one's time; a child's timeout",
    idea=(
        "A child process is I/O like any other for its parent: waiting for its "
        "output is waiting on a pipe, so three children that sleep run at once and "
        "their outputs come back in the time of the slowest. Each model has its "
        "own way to start and wait for them: asyncio.create_subprocess_exec, "
        "gevent.subprocess (the standard module's API, cooperative), "
        "subprocess.run in worker threads. The models part ways on a timeout: "
        "giving up on a child does not always stop it. A child that would take "
        "long is given a short timeout; what the timeout raises and whether the "
        "child still runs afterwards is what each model shows. Whatever was left "
        "running is killed before the scenario returns, so no child outlives it."
    ),
    spec_type=SubprocessesSpec,
    outcome_type=SubprocessesOutcome,
    expect=expect,
    differences=(
        Difference(
            topic="a timeout on a child",
            per_model={
                "asyncio": "`asyncio.timeout` around `communicate()` raises TimeoutError; "
                "the child runs on until killed",
                "gevent": "`communicate(timeout=)` raises TimeoutExpired; the child runs on "
                "until killed",
                "threads": "`subprocess.run(timeout=)` kills the child, then raises TimeoutExpired",
            },
            pinned_by="tests/scenarios/test_subprocesses.py::test_timeout_on_a_child",
        ),
    ),
)
