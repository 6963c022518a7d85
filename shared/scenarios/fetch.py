"""Article example 1d: the same HTTP GETs one after the other, then concurrently."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.contract import EVENTS, Expected, HttpSpec, Outcome, Scenario, one_by_one_and_at_once


@dataclass(frozen=True, kw_only=True)
class FetchSpec(HttpSpec):
    delays: tuple[float, ...] = (0.54, 0.5, 0.48)  # the article's response times


@dataclass(kw_only=True)
class FetchOutcome(Outcome):
    # One entry per process, in process order: {"process", "status", "events", "dated"}.
    synchronous: list[dict[str, Any]] = field(default_factory=list)
    concurrent: list[dict[str, Any]] = field(default_factory=list)


def response(process: int) -> dict[str, Any]:
    """What each GET must bring back: the service's events and a Date header."""
    return {"process": process, "status": 200, "events": len(EVENTS), "dated": True}


def expect(spec: FetchSpec, model: str) -> Expected:
    delays = [spec.seconds(d) for d in spec.delays]
    responses = [response(process) for process in range(1, len(delays) + 1)]
    return Expected(
        facts={"synchronous": responses, "concurrent": responses},
        bounds=one_by_one_and_at_once(delays),
    )


SCENARIO = Scenario(
    name="fetch",
    article="1d",
    summary="three GETs one by one take the sum of their times; concurrently, the slowest",
    idea=(
        "Three requests to an events service (GitHub's, in the article; the local "
        "services here) each print the Date header of the answer. One after the "
        "other they take the sum of the response times; concurrently they take as "
        "long as the slowest one, and the code barely changes."
    ),
    spec_type=FetchSpec,
    outcome_type=FetchOutcome,
    expect=expect,
)
