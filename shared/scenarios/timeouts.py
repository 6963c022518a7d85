"""Article example 4a: give up on the IP after a timeout, answer without it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.contract import IP, Difference, Expected, Outcome, Scenario, at_least
from shared.scenarios.ip import IP_API, IPIFY, IpService, IpSpec

MESSAGE = "Result from asynchronous."
NOT_AVAILABLE = "not available"


@dataclass(frozen=True, kw_only=True)
class TimeoutsSpec(IpSpec):
    timeout: float = 0.01  # the article's default; its -t 5 lets the IP arrive
    ipify: float = 1.24  # the article's response time
    # Not in the article, only slower than ipify (it never finished first there);
    # slow enough that what each model does with an unfinished request shows.
    ip_api: float = 2.5

    def __post_init__(self) -> None:
        super().__post_init__()
        fastest = min(self.ipify, self.ip_api)
        if not (self.timeout > 0 and (self.timeout <= fastest / 2 or self.timeout >= 2 * fastest)):
            raise ValueError(
                f"timeout {self.timeout!r} must be positive and not within a factor 2 of the "
                f"fastest service ({fastest!r} s): so close, the outcome would be a race"
            )

    def in_time(self) -> bool:
        """Whether the fastest service answers before the timeout."""
        return self.timeout > min(self.ipify, self.ip_api)

    def services(self) -> list[tuple[IpService, float]]:
        return [(IPIFY, self.ipify), (IP_API, self.ip_api)]


@dataclass(kw_only=True)
class TimeoutsOutcome(Outcome):
    response: dict[str, str] = field(default_factory=dict)
    # What the deadline raised, when it expired: {"raised": name, "an_exception": bool}.
    deadline: dict[str, Any] | None = None
    # service -> what became of its request: "done", or what stopping it left
    # ("cancelled", "killed", "running"). Reported, not compared: at the article's
    # 10 ms, whether a worker thread has picked its request up yet is a race.
    unfinished: dict[str, str] = field(default_factory=dict)

    def facts(self) -> dict[str, Any]:
        facts = super().facts()
        del facts["unfinished"]
        return facts


def deadline(exc: BaseException) -> dict[str, Any]:
    """What a model's deadline raised, by name, and whether ``except Exception`` sees it."""
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    return {"raised": name, "an_exception": isinstance(exc, Exception)}


#: What each model's deadline raises when it expires.
EXPIRED = {
    "asyncio": {"raised": "TimeoutError", "an_exception": True},
    "gevent": {"raised": "gevent.timeout.Timeout", "an_exception": False},
    "threads": {"raised": "TimeoutError", "an_exception": True},
}


def expect(spec: TimeoutsSpec, model: str) -> Expected:
    timeout = spec.seconds(spec.timeout)
    fastest = spec.seconds(min(spec.ipify, spec.ip_api))
    slowest = spec.seconds(max(spec.ipify, spec.ip_api))
    if spec.in_time():
        return Expected(
            facts={"response": {"message": MESSAGE, "ip": IP}, "deadline": None},
            # The first answer is taken as it comes, not after the others or the timeout.
            bounds={"response": at_least(fastest, below=min(timeout, slowest))},
        )
    return Expected(
        facts={"response": {"message": MESSAGE, "ip": NOT_AVAILABLE}, "deadline": EXPIRED[model]},
        # About the timeout: clearly before any service could have answered.
        bounds={"response": at_least(timeout, below=fastest)},
    )


SCENARIO = Scenario(
    name="timeouts",
    article="4a",
    summary="the IP is a nice extra: after a short timeout, answer without it",
    idea=(
        "The IP is a nice addition to a bigger response, not worth keeping the user "
        "waiting for. Two services are asked at once and the first answer is taken, "
        "but only until a deadline: with the article's 10 ms nothing has answered, "
        "and the response goes out with the IP 'not available'; with a long timeout "
        "(the article's -t 5) the fastest service's IP is in it. Either way the "
        "response is ready after about the timeout, or the fastest answer, whichever "
        "comes first. The article passes timeout= to asyncio.wait; here each model "
        "uses its own deadline (asyncio.timeout, gevent.Timeout, "
        "concurrent.futures.as_completed's timeout=), and then deals with the "
        "requests still running. That is where the models part ways."
    ),
    spec_type=TimeoutsSpec,
    outcome_type=TimeoutsOutcome,
    expect=expect,
    differences=(
        Difference(
            topic="what a deadline raises",
            per_model={
                "asyncio": "`TimeoutError` (`asyncio.timeout`)",
                "gevent": "`gevent.Timeout`, a BaseException: `except Exception` lets it through",
                "threads": "`TimeoutError` (`as_completed(timeout=)`)",
            },
            pinned_by="tests/scenarios/test_timeouts.py::test_deadline_exception",
        ),
        Difference(
            topic="requests still running at the deadline",
            per_model={
                "asyncio": "`Task.cancel()` stops them: dropped on the wire, the server "
                "counts them aborted",
                "gevent": "`gevent.killall()` raises GreenletExit in them: dropped on the wire, "
                "counted aborted",
                "threads": "`Future.cancel()` returns False: they run to the end, answered, "
                "and the interpreter waits for them at exit",
            },
            pinned_by="tests/scenarios/test_timeouts.py::test_unfinished_work",
        ),
    ),
)
