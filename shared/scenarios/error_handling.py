"""Article example 3a: a service that is down, caught with try/except inside the task."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.contract import IP, Expected, Outcome, Scenario, at_least
from shared.scenarios.ip import BORKEN, IP_API, IPIFY, UNRESPONSIVE, IpService, IpSpec


@dataclass(frozen=True, kw_only=True)
class ErrorHandlingSpec(IpSpec):
    ip_api: float = 0.75  # the article's response times; borken never answers
    ipify: float = 1.37

    def services(self) -> list[tuple[IpService, float]]:
        return [(IP_API, self.ip_api), (BORKEN, 0.0), (IPIFY, self.ipify)]


@dataclass(kw_only=True)
class ErrorHandlingOutcome(Outcome):
    results: dict[str, str] = field(default_factory=dict)  # service -> IP, or "unresponsive"
    # service -> the innermost exception under the client library's own, for
    # each service that could not be reached.
    causes: dict[str, str] = field(default_factory=dict)


def expect(spec: ErrorHandlingSpec, model: str) -> Expected:
    delays = [spec.seconds(spec.ip_api), spec.seconds(spec.ipify)]
    return Expected(
        facts={
            "results": {IP_API.name: IP, BORKEN.name: UNRESPONSIVE, IPIFY.name: IP},
            "causes": {BORKEN.name: "ConnectionRefusedError"},
        },
        bounds={"total": at_least(max(delays), below=sum(delays))},
    )


SCENARIO = Scenario(
    name="error_handling",
    article="3a",
    summary="three IP services at once, one down: its failure is caught inside its own task",
    idea=(
        "The same IP is asked of three services at once, and one of them (the "
        'article\'s "borken") is down: connecting to it is refused. Each request '
        "catches its own connection error with an ordinary try/except, inside the "
        "task, and reports the service as unresponsive; the other two answer with "
        "the IP as if nothing happened, and the run takes as long as the slowest "
        "answer. Each HTTP client wraps the failure in an exception of its own, "
        "but underneath it is the same ConnectionRefusedError."
    ),
    spec_type=ErrorHandlingSpec,
    outcome_type=ErrorHandlingOutcome,
    expect=expect,
)
