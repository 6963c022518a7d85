"""The contract every model honours.

A *scenario* is one example of the article. Its *spec* holds the parameters of a
run (the article's timings, shrunk by one ``scale`` factor); its *outcome* is what
a model reports back, as JSON. The outcome has two parts:

* ``facts``: everything that must come out exactly the same, compared with the
  expectation and across models;
* ``timings``: seconds measured by the model, checked against bounds that the
  expectation derives from the spec (concurrent ~ slowest, sequential ~ sum).

The expectation is computed from the spec alone (and the model, where the
models truly differ), never from a run.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Self, TypeVar
from urllib.parse import urlencode

MODELS = ("asyncio", "gevent", "threads")

#: The scale of ``concurrency-compare run`` and of the test suite: a quarter of
#: the article's durations keeps every run short while the gaps between timings
#: stay far above the scheduling noise of a busy two-core machine.
DEMO_SCALE = 0.25

#: Seconds any model's HTTP client waits for the local services before giving
#: up, the same in every model (aiohttp's default would be 300 s, requests has
#: none): a hung server must give every model the same clear error in the same
#: time. It is far above any delay a scenario asks for at scale 1.
HTTP_TIMEOUT = 10.0


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: dataclasses become dicts, tuples lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


# -- specs --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Spec:
    """Parameters of a run. Durations are the article's, in seconds."""

    scale: float = 1.0

    def seconds(self, article_seconds: float) -> float:
        """An article duration shrunk by the scale factor."""
        return article_seconds * self.scale

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(self)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown spec field(s) for {cls.__name__}: {', '.join(unknown)}")
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items()
        }
        return cls(**values)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"scale must be a positive number, not {self.scale!r}")


@dataclass(frozen=True, kw_only=True)
class HttpSpec(Spec):
    """A spec for a scenario that talks to the local services.

    The runner fills in where the services are; they are not part of what a
    scenario means, so the expectation never looks at them.
    """

    services_url: str = ""
    unreachable_url: str = ""

    def url(self, path: str, **query: float | str) -> str:
        """The URL of an endpoint of the local services."""
        if not self.services_url:
            raise RuntimeError("this spec has no services_url: start the local services first")
        tail = f"?{urlencode(query)}" if query else ""
        return f"{self.services_url.rstrip('/')}{path}{tail}"

    def pointed_at(self, services_url: str, unreachable_url: str) -> Self:
        """The same spec, for the services at ``services_url``."""
        return dataclasses.replace(self, services_url=services_url, unreachable_url=unreachable_url)


# -- outcomes -----------------------------------------------------------------


@dataclass(kw_only=True)
class Outcome:
    """What a model reports. Subclasses add the scenario's facts as fields."""

    timings: dict[str, float] = field(default_factory=dict)

    def facts(self) -> dict[str, Any]:
        """Everything but the timings, as JSON data."""
        data: dict[str, Any] = jsonable(self)
        del data["timings"]
        return data

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(self)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(**data)


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


@dataclass(frozen=True)
class Expected:
    """The outcome a correct model produces, derived from the spec alone."""

    facts: dict[str, Any]
    bounds: dict[str, Bound] = field(default_factory=dict)

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
        return self.spec_type.from_json(values)

    @property
    def uses_services(self) -> bool:
        return issubclass(self.spec_type, HttpSpec)


# -- the transcript -----------------------------------------------------------


class Transcript:
    """What a scenario prints, in the article's style, kept as it is printed.

    Every model prints through ``say`` so that the lines reach the terminal as
    they happen and also come back to the runner, with the second at which each
    was said. A lock keeps lines whole when threads print at once.
    """

    def __init__(self, *, echo: bool = True) -> None:
        self.lines: list[str] = []
        self.times: list[float] = []
        self._echo = echo
        self._start = time.perf_counter()
        self._lock = threading.Lock()

    def elapsed(self) -> float:
        """Seconds since the transcript began."""
        return time.perf_counter() - self._start

    def say(self, line: str) -> None:
        with self._lock:
            self.lines.append(line)
            self.times.append(self.elapsed())
            if self._echo:
                print(line, flush=True)
