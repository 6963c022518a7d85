"""Article example 2a: handle each answer as soon as it arrives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.contract import Difference, Expected, HttpSpec, Outcome, Scenario, at_least
from shared.scenarios.fetch import response


@dataclass(frozen=True, kw_only=True)
class AsCompletedSpec(HttpSpec):
    # The article's processes 1, 2 and 3 wait 4, 3 and 5 seconds; here the
    # service does the waiting. Distinct on purpose: the arrival order is known.
    delays: tuple[float, ...] = (4.0, 3.0, 5.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(set(self.delays)) != len(self.delays) or min(self.delays, default=0) <= 0:
            raise ValueError(f"delays must be distinct positive seconds, not {self.delays!r}")

    def arrival_order(self) -> list[int]:
        """Process numbers, fastest first: the order the answers come back in."""
        return sorted(range(1, len(self.delays) + 1), key=lambda p: self.delays[p - 1])


@dataclass(kw_only=True)
class AsCompletedOutcome(Outcome):
    handled: list[str] = field(default_factory=list)  # "<padding> Process N", in handling order
    responses: list[dict[str, Any]] = field(default_factory=list)  # in handling order
    yields_handles: bool = False  # as_completed handed back the very task/greenlet/future


def padding(rank: int) -> str:
    """The article's marker of the rank-th answer: ">>", ">>>>", ..."""
    return ">>" * rank


def handled(rank: int, process: int) -> str:
    """The start of the line printed for the rank-th answer, from ``process``."""
    return f"{padding(rank)} Process {process}"


def expect(spec: AsCompletedSpec, model: str) -> Expected:
    delays = sorted(spec.seconds(d) for d in spec.delays)
    order = spec.arrival_order()
    return Expected(
        facts={
            "handled": [handled(rank, process) for rank, process in enumerate(order, 1)],
            "responses": [response(process) for process in order],
            "yields_handles": model != "asyncio",
        },
        bounds={
            # The first answer is handled when it arrives, not once all are in.
            "first": at_least(delays[0], below=delays[-1]),
            "total": at_least(delays[-1], below=sum(delays)),
        },
    )


SCENARIO = Scenario(
    name="as_completed",
    article="2a",
    summary="three GETs, each answer handled as it arrives: in delay order, in the slowest's time",
    idea=(
        "Three requests go out at once; each answer is handled the moment it "
        "arrives, not in the order the requests were made. The article's "
        "processes 1, 2 and 3 take 4, 3 and 5 seconds, so the answers are handled "
        "in the order 2, 1, 3, each line padded one step more than the one before "
        "(>>, >>>>, >>>>>>), and the whole run takes as long as the slowest request. "
        "Every model has an as_completed of its own: asyncio.as_completed, "
        "gevent.iwait, concurrent.futures.as_completed."
    ),
    spec_type=AsCompletedSpec,
    outcome_type=AsCompletedOutcome,
    expect=expect,
    differences=(
        Difference(
            topic="what `as_completed` yields",
            per_model={
                "asyncio": "a new awaitable per arrival, not the task: await it for the result",
                "gevent": "the finished greenlet itself (`gevent.iwait`): `.get()` the result",
                "threads": "the finished future itself: `.result()` the result",
            },
            pinned_by="tests/scenarios/test_as_completed.py::test_what_as_completed_yields",
        ),
    ),
)
