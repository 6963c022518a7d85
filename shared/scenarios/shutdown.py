"""The gevent tutorial's Program Shutdown: a signal arrives with requests in flight."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field

from shared.contract import Difference, Expected, HttpSpec, Outcome, Scenario, at_least

SIGNALS = ("SIGTERM", "SIGINT")
SENDERS = ("self", "outside")

#: What became of each request, in words every model can say.
DONE = "done"  # answered before the signal
STOPPED = "stopped on the wire"  # in flight at the signal, interrupted
DROPPED = "answered late, dropped"  # in flight at the signal, let finish, its answer unused
NEVER = "never sent"  # still waiting for a worker at the signal

#: No request starts or ends closer than this to the signal (article seconds):
#: closer, which side of the signal it falls on would be a race.
MARGIN = 0.4


@dataclass(frozen=True, kw_only=True)
class ShutdownSpec(HttpSpec):
    # How long each request takes (/events?delay=), sent in this order, at most
    # ``workers`` at a time. With 3 workers: request 1 is answered at 0.4 s and
    # request 4 takes its worker; at the signal (2 s) requests 2, 3 and 4 are
    # on the wire and request 5 waits for a worker. Were it sent anyway, it
    # would end at 6.8 s, far from when the last one on the wire ends (3.6 s).
    # Nothing starts or ends within 1.2 s of the signal (0.3 s at the demo
    # scale), and the first answer has 1.6 s to spare: a crowded machine can
    # add a few tenths of a second to a first request (gevent's resolver
    # starts a thread for it).
    delays: tuple[float, ...] = (0.4, 3.2, 3.6, 3.2, 3.6)
    workers: int = 3
    signal: str = "SIGTERM"
    signal_after: float = 2.0
    # "self": the process signals itself, so the scenario runs like any other;
    # "outside": it waits for someone to send the signal at ``signal_after``.
    sender: str = "self"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.signal not in SIGNALS:
            raise ValueError(f"signal must be one of {', '.join(SIGNALS)}, not {self.signal!r}")
        if self.sender not in SENDERS:
            raise ValueError(f"sender must be one of {', '.join(SENDERS)}, not {self.sender!r}")
        if self.workers < 1 or not self.delays or min(self.delays) < 0:
            raise ValueError("workers must be at least 1, and delays not empty nor negative")
        near = [t for span in self.schedule() for t in span if abs(t - self.signal_after) < MARGIN]
        if near:
            raise ValueError(
                f"a request starts or ends at {near[0]:g} s, within {MARGIN:g} s of the "
                f"signal at {self.signal_after:g} s: which side it falls on would be a race"
            )

    def schedule(self) -> list[tuple[float, float]]:
        """When each request starts and ends (article seconds), with nothing stopping them.

        A request starts as soon as a worker is free, in order, as in every model.
        """
        free = [0.0] * self.workers
        spans = []
        for delay in self.delays:
            start = min(free)
            free[free.index(start)] = start + delay
            spans.append((start, start + delay))
        return spans

    def at_signal(self) -> list[str]:
        """Each request at the signal: "answered", "in flight" or "waiting"."""
        return [
            "answered" if end < self.signal_after else
            "in flight" if start < self.signal_after else "waiting"
            for start, end in self.schedule()
        ]  # fmt: skip


@dataclass(kw_only=True)
class ShutdownOutcome(Outcome):
    requests: list[str] = field(default_factory=list)  # DONE, STOPPED, DROPPED or NEVER
    # What the main code met when the signal came: an exception's name, or
    # "nothing" when a handler stopped the work and main just saw it end.
    met: str = ""


def status(numbers: dict[int, str], count: int) -> list[str]:
    """Requests 1..count as a model tracked them: unseen ones were never sent."""
    return [numbers.get(number, NEVER) for number in range(1, count + 1)]


@contextlib.contextmanager
def interruptible(spec: ShutdownSpec) -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt while the scenario runs, as in a terminal.

    A process started in the background of a shell inherits SIGINT ignored,
    and Python then leaves it so; the scenario puts Python's own handler back
    for the run and restores what was there.
    """
    if spec.signal != "SIGINT":
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


#: What main meets when the signal comes, per model and signal.
MET = {
    "SIGTERM": {"asyncio": "CancelledError", "gevent": "nothing", "threads": "KeyboardInterrupt"},
    "SIGINT": {
        "asyncio": "KeyboardInterrupt",
        "gevent": "KeyboardInterrupt",
        "threads": "KeyboardInterrupt",
    },
}

#: What each model does with a request on the wire at the signal.
IN_FLIGHT = {"asyncio": STOPPED, "gevent": STOPPED, "threads": DROPPED}


def expect(spec: ShutdownSpec, model: str) -> Expected:
    spans = spec.schedule()
    states = spec.at_signal()
    flying = [end for (_, end), state in zip(spans, states, strict=True) if state == "in flight"]
    requests = [
        DONE if state == "answered" else IN_FLIGHT[model] if state == "in flight" else NEVER
        for state in states
    ]
    facts = {"requests": requests, "met": MET[spec.signal][model]}
    # A process kept off the CPU reads an answer after the signal it came
    # before, and a request answered in time shows as abandoned.
    late = ["requests"]
    if not flying:
        return Expected(facts=facts, late=late)
    # From outside, the signal is sent ``signal_after`` seconds after the
    # process says its pid, just after it starts the clock: the same bounds hold.
    signalled = spec.seconds(spec.signal_after)
    if IN_FLIGHT[model] == STOPPED:
        # Stopped soon after the signal: well before the first request in flight ends.
        stopped = at_least(signalled, below=spec.seconds(min(flying)))
    else:
        # Once the last request in flight is answered; sending the waiting ones
        # too would take until the last of them ends, at the soonest. (The
        # requests' states, a fact, tell the two apart as well.)
        last = spec.seconds(max(flying))
        everything = spec.seconds(max(end for _, end in spans))
        stopped = at_least(last, below=everything)
    return Expected(facts=facts, bounds={"stopped": stopped}, late=late)


PINNED_BY = "tests/scenarios/test_shutdown.py::"

SCENARIO = Scenario(
    name="shutdown",
    article="tutorial: Program Shutdown",
    summary="SIGTERM or SIGINT with requests in flight: what is finished, what is abandoned",
    idea=(
        "A service is told to stop while it works: SIGTERM from a process manager, "
        "SIGINT from Ctrl-C. Five requests go to the local services, three at a "
        "time; when the signal comes, one is answered, three are on the wire and "
        "one waits for a worker. A graceful shutdown finishes or abandons the work "
        "in flight, sends nothing new, and exits. Each model has its idiom: asyncio "
        "a loop signal handler that cancels the main task (and asyncio.Runner, which "
        "does that for Ctrl-C); gevent a gevent.signal_handler that kills the "
        "greenlets; threads an Event the workers check and "
        "executor.shutdown(cancel_futures=True). What can be abandoned mid-request "
        "is where they differ: the services' counters show it from the outside. "
        "Here the process sends the signal to itself, so the scenario runs like "
        "the others; the tests also send it from outside."
    ),
    spec_type=ShutdownSpec,
    outcome_type=ShutdownOutcome,
    expect=expect,
    differences=(
        Difference(
            "SIGTERM: how main hears of it",
            {
                "asyncio": "`loop.add_signal_handler` cancels the main task: CancelledError",
                "gevent": "nothing: the `gevent.signal_handler` greenlet kills the workers "
                "and `joinall` returns",
                "threads": "KeyboardInterrupt: the handler raises it in the main thread, "
                "as Ctrl-C does",
            },
            PINNED_BY + "test_what_main_meets",
        ),
        Difference(
            "requests on the wire at the signal",
            {
                "asyncio": "cancelled: aborted on the wire, the exit is at once",
                "gevent": "killed: aborted on the wire, the exit is at once",
                "threads": "answered (the exit waits for them), then dropped by the worker",
            },
            PINNED_BY + "test_requests_in_flight",
        ),
        Difference(
            "SIGINT: what reaches stderr",
            {
                "asyncio": "nothing",
                "gevent": "the hub's report of the KeyboardInterrupt it passes to main",
                "threads": "nothing",
            },
            PINNED_BY + "test_sigint_on_stderr",
        ),
    ),
)
