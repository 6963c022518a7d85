"""Article examples 2b and 2c: ask two IP services at once, the first answer wins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.contract import IP, MODELS, Difference, Expected, Outcome, Scenario, at_least
from shared.scenarios.ip import IP_API, IPIFY, IpService, IpSpec

MODES = ("tidy", "careless")  # 2c, the default, and 2b

#: What the losing request is when ``main`` returns, in words every model can say:
#: "waiting" for its answer, "cancelled" before it came, or "finished" anyway.
WAITING, CANCELLED, FINISHED = "waiting", "cancelled", "finished"

#: The threads model names its pool's workers after the scenario.
THREAD_PREFIX = "first_response"


@dataclass(frozen=True, kw_only=True)
class FirstResponseSpec(IpSpec):
    mode: str = "tidy"  # "tidy" (2c): stop the losers and close up; "careless" (2b): just return
    # Response times, distinct so that the winner is known in advance. ip-api took
    # 0.09 s in the article; ipify is made much slower than that, so the loser is
    # still on the wire, plainly, when the winner answers.
    ipify: float = 2.0
    ip_api: float = 0.09

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if min(self.ipify, self.ip_api) < 0 or self.ipify == self.ip_api:
            raise ValueError("the services' delays must be distinct and not negative")

    def services(self) -> list[tuple[IpService, float]]:
        return [(IPIFY, self.ipify), (IP_API, self.ip_api)]

    def winner(self) -> IpService:
        return min(self.services(), key=lambda pair: pair[1])[0]

    def loser(self) -> IpService:
        return max(self.services(), key=lambda pair: pair[1])[0]


@dataclass(kw_only=True)
class FirstResponseOutcome(Outcome):
    winner: str = ""  # the service whose answer was taken
    ip: str = ""  # what it answered
    waited: str = ""  # what the model's "wait for the first" handed back, see ``shape``
    loser: str = ""  # the losing request when main returned: WAITING, CANCELLED or FINISHED


def shape(waited: Any) -> str:
    """What a "wait for the first" call returned, in the same words for every model."""
    if isinstance(waited, tuple) and all(isinstance(part, set | frozenset) for part in waited):
        return f"(done, pending) sets of {len(waited[0])} and {len(waited[1])}"
    if isinstance(waited, list):
        return f"a list of the {len(waited)} ready"
    return type(waited).__name__


#: The losing request when main returns, per mode and model.
LOSER = {
    # asyncio cancels the task and gevent kills the greenlet, both at the read
    # they are blocked in; a running concurrent.futures.Future refuses cancel(),
    # so tidy threads can only wait for it to finish.
    "tidy": {"asyncio": CANCELLED, "gevent": CANCELLED, "threads": FINISHED},
    "careless": dict.fromkeys(MODELS, WAITING),
}

WAITED = {
    "asyncio": "(done, pending) sets of 1 and 1",  # asyncio.wait(return_when=FIRST_COMPLETED)
    "gevent": "a list of the 1 ready",  # gevent.wait(count=1)
    "threads": "(done, pending) sets of 1 and 1",  # concurrent.futures.wait(FIRST_COMPLETED)
}


@dataclass(frozen=True)
class Leftovers:
    """What a run leaves behind, as the host and the services see it.

    In every model and mode a run prints nothing on stderr and shows no warning:
    modern ``asyncio.run`` cancels the tasks still pending when main returns,
    which is what the article's ``run_until_complete`` did not do (hence its
    "Task was destroyed but it is pending!").
    """

    pending: tuple[str, ...] = ()  # Diagnostics.pending: work alive when the scenario returned
    sockets: int = 0  # sockets still open at that moment
    aborted: int = 0  # requests the server saw given up by their client (/stats)
    exit_waits: bool = False  # the interpreter waits for the loser before it ends


def left_behind(spec: FirstResponseSpec, model: str) -> Leftovers:
    """What ``model`` leaves behind in ``spec.mode``: the expectation, per model."""
    loser = spec.loser().name
    if spec.mode == "tidy":
        # Nothing is left, but only cancellation aborts the loser on the wire.
        return Leftovers(aborted=0 if model == "threads" else 1)
    careless = {
        # The loser is pending when main returns; asyncio.run then cancels it,
        # its session closes, and the server sees the request given up.
        "asyncio": Leftovers(pending=(f"task {loser}",), aborted=1),
        # The loser greenlet stays blocked in its read, its socket open, until
        # the process ends: the connection dies with it.
        "gevent": Leftovers(pending=(f"greenlet {loser}",), sockets=1, aborted=1),
        # Both pool workers live on (the winner's is idle), and the executor's
        # exit hook joins them: the loser gets its whole answer first.
        "threads": Leftovers(
            pending=(f"thread {THREAD_PREFIX}_0", f"thread {THREAD_PREFIX}_1"),
            sockets=1,
            exit_waits=True,
        ),
    }
    return careless[model]


def expect(spec: FirstResponseSpec, model: str) -> Expected:
    delays = sorted(spec.seconds(delay) for _, delay in spec.services())
    fastest, slowest = delays[0], delays[-1]
    waits_for_loser = LOSER[spec.mode][model] == FINISHED
    return Expected(
        facts={
            "winner": spec.winner().name,
            "ip": IP,
            "waited": WAITED[model],
            "loser": LOSER[spec.mode][model],
        },
        bounds={
            # The first answer is taken as soon as it comes, not after the slowest.
            "first": at_least(fastest, below=slowest),
            # main returns with the winner, or, when the loser cannot be
            # stopped and must not be left, once the loser is through.
            "returned": at_least(slowest, below=2 * slowest)
            if waits_for_loser
            else at_least(fastest, below=slowest),
        },
    )


PINNED_BY = "tests/scenarios/test_first_response.py::"

SCENARIO = Scenario(
    name="first_response",
    article="2b, 2c",
    summary="two IP services asked at once; the first answer wins, the loser is dealt with",
    idea=(
        "When several services can answer the same question (here: what is my IP "
        "address?), ask them all at once and take the first answer. What happens to "
        "the slower requests is the interesting part. Careless code (2b) returns with "
        "the winner and leaves the others running; tidy code (2c) stops them and "
        "closes what they opened, so nothing is left behind. Stopping only works where "
        "the model can interrupt work that is blocked in a read: an asyncio task and a "
        "greenlet can be, a thread cannot, so the tidy threads version has to wait for "
        "the loser. The local services count the requests whose client hung up, which "
        "shows from the outside whether the loser was really stopped."
    ),
    spec_type=FirstResponseSpec,
    outcome_type=FirstResponseOutcome,
    expect=expect,
    differences=(
        Difference(
            "waiting for the first answer",
            {
                "asyncio": "`asyncio.wait(FIRST_COMPLETED)` on tasks: (done, pending) sets",
                "gevent": "`gevent.wait(count=1)`: a list of the ready",
                "threads": "`wait(FIRST_COMPLETED)` on futures: (done, pending) sets",
            },
            PINNED_BY + "test_waiting_for_the_first",
        ),
        Difference(
            "tidy: stopping the loser",
            {
                "asyncio": "`Task.cancel()`: aborted on the wire",
                "gevent": "`kill()`: aborted on the wire",
                "threads": "`Future.cancel()` refused: waits for it, served in full",
            },
            PINNED_BY + "test_losers_on_the_wire",
        ),
        Difference(
            "careless: left when main returns",
            {
                "asyncio": "the loser's task, which `asyncio.run` cancels: no warning",
                "gevent": "the loser's greenlet and socket",
                "threads": "both pool threads and the loser's socket",
            },
            PINNED_BY + "test_careless_leftovers",
        ),
        Difference(
            "careless: the loser on the wire",
            {
                "asyncio": "aborted when `asyncio.run` cancels it",
                "gevent": "aborted when the process ends",
                "threads": "served in full",
            },
            PINNED_BY + "test_losers_on_the_wire",
        ),
        Difference(
            "careless: the interpreter's exit",
            {
                "asyncio": "at once",
                "gevent": "at once",
                "threads": "waits for the loser's answer",
            },
            PINNED_BY + "test_careless_exit",
        ),
    ),
)
