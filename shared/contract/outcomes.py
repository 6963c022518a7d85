"""What a run reports, and what it is expected to report.

An *outcome* has *facts*, compared exactly with the expectation and across
models, and *timings*, checked against bounds the expectation derives from the
spec alone (concurrent ~ slowest, sequential ~ sum). A ``Scenario`` ties a
spec to its outcome and its expectation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from shared.contract.specs import LONGEST_RUN, MODELS, HttpSpec, JsonFields, Spec

# -- outcomes -----------------------------------------------------------------


@dataclass(kw_only=True)
class Outcome(JsonFields):
    """What a model reports. Subclasses add the scenario's facts as fields."""

    timings: dict[str, float] = field(default_factory=dict)

    def facts(self) -> dict[str, Any]:
        """Everything but the timings, as JSON data."""
        data = self.to_json()
        del data["timings"]
        return data


@dataclass(frozen=True)
class Bound:
    """A timing must fall in [low, high] seconds."""

    low: float
    high: float

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"[{self.low:.3f}, {self.high:.3f}] s"


#: Sleeps and timers never end early, but clocks are read a hair apart.
CLOCK_SLACK = 0.005


def at_least(seconds: float, *, below: float) -> Bound:
    """A duration that takes ``seconds`` and must stay clearly under ``below``.

    ``below`` is where the wrong behaviour would land (the sum of the delays for
    work that should have run concurrently, say), so the bound fails on a real
    mistake and never on a slow machine that is merely slow.
    """
    return Bound(seconds - CLOCK_SLACK, below)


def one_by_one_and_at_once(delays: list[float]) -> dict[str, Bound]:
    """The bounds of the same waits done one by one ("synchronous") and at once.

    One by one they take the sum, and twice the sum would mean something else
    went wrong; at once they take the longest, and the sum would mean they did
    not overlap: run one by one, the same work cannot take less.
    """
    total, slowest = sum(delays), max(delays)
    return {
        "synchronous": at_least(total, below=2 * total),
        "concurrent": at_least(slowest, below=total),
    }


@dataclass(frozen=True)
class Expected:
    """The outcome a correct model produces, derived from the spec alone."""

    facts: dict[str, Any]
    bounds: dict[str, Bound] = field(default_factory=dict)
    #: The facts that depend on when things happen, not only on what the model
    #: does: a run wrong in these alone (or in timings over their bounds) is
    #: measured again (see ``only_too_slow``).
    late: list[str] = field(default_factory=list)

    def problems(self, outcome: Outcome) -> list[str]:
        """What is wrong with ``outcome``, one line each; empty when it is right."""
        found: list[str] = []
        facts = outcome.facts()
        for key in sorted(set(self.facts) | set(facts)):
            want, got = self.facts.get(key), facts.get(key)
            if want != got:
                found.append(f"{key}: expected {want!r}, got {got!r}")
        for name, bound in self.bounds.items():
            value = outcome.timings.get(name)
            if value is None:
                found.append(f"timing {name!r} missing")
            elif not bound.holds(value):
                found.append(f"timing {name!r} = {value:.3f} s, outside {bound}")
        return found

    def only_too_slow(self, outcome: Outcome) -> bool:
        """Whether all that is wrong with ``outcome`` is what a late run gets wrong:
        a timing above its bound, or one of the facts in ``late``.

        Such a run is worth measuring again. A busy machine only ever adds time,
        and a bound's upper end is where the wrong behaviour lands (the sum of
        the delays for work meant to overlap): a wrong model stays above it
        however often it runs, a right one on a busy machine gets under it the
        next time the CPU is free. A fact in ``late`` is one that a process
        kept off the CPU changes the same way (an answer read after the signal
        that came when it was due); a wrong model gets it wrong alone too. A
        timing under its lower end is never measured again: no machine makes a
        sleep shorter.
        """
        facts = outcome.facts()
        wrong = {
            key for key in set(self.facts) | set(facts) if self.facts.get(key) != facts.get(key)
        }
        if wrong - set(self.late):
            return False
        timings = [(outcome.timings.get(name), bound) for name, bound in self.bounds.items()]
        if any(value is None or value < bound.low for value, bound in timings):
            return False
        return bool(wrong) or any(
            value is not None and value > bound.high for value, bound in timings
        )


# -- scenarios ----------------------------------------------------------------

S = TypeVar("S", bound=Spec)
O = TypeVar("O", bound=Outcome)  # noqa: E741 - the conventional pair S, O


@dataclass(frozen=True)
class Difference:
    """A behaviour that truly differs between the models, pinned by a test."""

    topic: str
    per_model: dict[str, str]
    pinned_by: str


@dataclass(frozen=True)
class Scenario(Generic[S, O]):
    """One example of the article, as every model must render it."""

    name: str
    article: str  # which example of the article it renders: "1", "1b", ...
    summary: str  # one line, for `concurrency-compare list`
    idea: str  # the idea of the scenario, explained once for all models
    spec_type: type[S]
    outcome_type: type[O]
    expect: Callable[[S, str], Expected]
    differences: tuple[Difference, ...] = ()

    def spec(self, **values: Any) -> S:
        """The spec of these values; ValueError, in one line, if they make no sense."""
        spec = self.spec_type.from_json(values)
        self.check(spec)
        return spec

    def check(self, spec: S) -> None:
        """ValueError unless every model's expectation of ``spec`` can be met in time."""
        for model in MODELS:
            try:
                expected = self.expect(spec, model)
            except (ValueError, ArithmeticError) as exc:
                raise ValueError(f"{self.name}: these spec values make no sense ({exc})") from None
            longest = max((bound.low for bound in expected.bounds.values()), default=0.0)
            if longest > LONGEST_RUN:
                raise ValueError(
                    f"{self.name}: this spec would take at least {longest:.0f} s in {model}, "
                    f"more than {LONGEST_RUN:.0f} s: use a smaller scale or fewer tasks"
                )

    @property
    def uses_services(self) -> bool:
        return issubclass(self.spec_type, HttpSpec)
