"""Article example 1: two tasks hand control back and forth."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.contract import Expected, Outcome, Scenario, Spec

#: What the article prints, in its order.
LINES = (
    "Running in foo",
    "Explicit context to bar",
    "Explicit context switch to foo again",
    "Implicit context switch back to bar",
)


@dataclass(frozen=True, kw_only=True)
class ContextSwitchSpec(Spec):
    pass


@dataclass(kw_only=True)
class ContextSwitchOutcome(Outcome):
    lines: list[str] = field(default_factory=list)


def expect(spec: ContextSwitchSpec, model: str) -> Expected:
    return Expected(facts={"lines": list(LINES)})


SCENARIO = Scenario(
    name="context_switch",
    article="1",
    summary="foo and bar hand control to each other at every yield point",
    idea=(
        "Two tasks, foo and bar, each print a line, yield, and print another. "
        "A yield point (a zero-second sleep) is where a cooperative scheduler may "
        "switch to the other task, so the four lines interleave: foo, bar, foo, bar. "
        "Coroutines and greenlets switch only there; threads are preempted anywhere, "
        "so the threads model has to pass the turn explicitly to print the same lines."
    ),
    spec_type=ContextSwitchSpec,
    outcome_type=ContextSwitchOutcome,
    expect=expect,
)
