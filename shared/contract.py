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
import os
import sys
import threading
import time
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, Self, TypeVar
from urllib.parse import urlencode

MODELS = ("asyncio", "gevent", "threads")

#: The scale of ``concurrency-compare run`` and of the test suite: a quarter of
#: the article's durations keeps every run short while the gaps between timings
#: stay far above the scheduling noise of a busy two-core machine.
DEMO_SCALE = 0.25

#: The scales whose durations this machine can honour. Below 0.1 the gaps
#: between a scenario's timings (20 ms for ordering) sink into the scheduling
#: noise of a busy machine, and a correct model would be reported as differing;
#: above 4 a full ``run`` takes minutes. (A spec's durations are also held under
#: the client timeout below: see ``HttpSpec``.)
MIN_SCALE = 0.1
MAX_SCALE = 4.0

#: The longest a single scenario run may be expected to take, in seconds.
LONGEST_RUN = 60.0

#: Seconds any model's HTTP client waits for the local services before giving
#: up, the same in every model (aiohttp's default would be 300 s, requests has
#: none): a hung server must give every model the same clear error in the same
#: time. It is far above any delay a scenario asks for at scale 1: a spec may ask
#: the services for at most half of it. The environment variable below changes it
#: for every model at once (the tests shorten it to see a hung server quickly).
DEFAULT_HTTP_TIMEOUT = 10.0
HTTP_TIMEOUT_VARIABLE = "CONCURRENCY_COMPARE_HTTP_TIMEOUT"


def http_timeout() -> float:
    """The client timeout: ``$CONCURRENCY_COMPARE_HTTP_TIMEOUT`` or 10 s; ValueError if bad."""
    text = os.environ.get(HTTP_TIMEOUT_VARIABLE)
    if text is None:
        return DEFAULT_HTTP_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0.1 <= value <= 600):
        raise ValueError(
            f"{HTTP_TIMEOUT_VARIABLE} must be a number of seconds between 0.1 and 600, not {text!r}"
        )
    return value


try:
    HTTP_TIMEOUT = http_timeout()
except ValueError:  # refused with one line by the CLI and the host, before any work
    HTTP_TIMEOUT = DEFAULT_HTTP_TIMEOUT


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
    """Parameters of a run. Durations are the article's, in seconds.

    Every field is checked when a spec is made, from its declared type, so a
    new scenario's spec is checked without code of its own: a ``float`` field
    (or a tuple of them) is a duration, finite and not negative; an ``int`` is
    a count, whole and not negative; a tuple is not empty; a ``str`` is a
    string. A subclass's ``__post_init__`` adds what only it knows (calling
    ``super().__post_init__()`` first).
    """

    scale: float = 1.0

    def seconds(self, article_seconds: float) -> float:
        """An article duration shrunk by the scale factor."""
        return article_seconds * self.scale

    def durations(self) -> dict[str, float]:
        """Every duration of the spec (its ``float`` fields, tuples included), by field name."""
        found: dict[str, float] = {}
        for name, kind in _field_types(type(self)).items():
            value = getattr(self, name)
            if name != "scale" and kind in (float, tuple[float, ...]):
                found[name] = max(value) if isinstance(value, tuple) else value
        return found

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
        for name, kind in _field_types(type(self)).items():
            problem = _check_value(kind, getattr(self, name))
            if problem:
                raise ValueError(f"spec field {name}: {problem}, not {getattr(self, name)!r}")
        if not (math.isfinite(self.scale) and MIN_SCALE <= self.scale <= MAX_SCALE):
            raise ValueError(
                f"scale must be a positive number between {MIN_SCALE:g} and {MAX_SCALE:g} "
                f"(the durations this machine can honour), not {self.scale!r}"
            )


_FIELD_TYPES: dict[type[Spec], dict[str, Any]] = {}


def _field_types(cls: type[Spec]) -> dict[str, Any]:
    """A spec class's field types, resolved from their annotations (strings here)."""
    if cls not in _FIELD_TYPES:
        hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
        _FIELD_TYPES[cls] = {f.name: hints[f.name] for f in dataclasses.fields(cls)}
    return _FIELD_TYPES[cls]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_value(kind: Any, value: object) -> str:
    """What is wrong with ``value`` for a field of type ``kind``; "" when nothing is."""
    if kind is float:
        if not _is_number(value):
            return "expected a number of seconds"
        assert isinstance(value, int | float)
        return "" if math.isfinite(value) and value >= 0 else "expected a duration, 0 or more"
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool):
            return "expected a whole number"
        return "" if value >= 0 else "expected a count, 0 or more"
    if kind is str:
        return "" if isinstance(value, str) else "expected a string"
    if kind is bool:
        return "" if isinstance(value, bool) else "expected true or false"
    if typing.get_origin(kind) is tuple:
        if not isinstance(value, tuple):
            return "expected a list"
        if not value:
            return "expected a list that is not empty"
        item = typing.get_args(kind)[0]
        problems = [_check_value(item, one) for one in value]
        return next((f"{p} in the list" for p in problems if p), "")
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        problems = [_check_value(option, value) for option in typing.get_args(kind)]
        return "" if "" in problems else problems[0]
    if kind is type(None):
        return "" if value is None else "expected null"
    return ""  # a type this check does not know: the subclass checks it


@dataclass(frozen=True, kw_only=True)
class HttpSpec(Spec):
    """A spec for a scenario that talks to the local services.

    The runner fills in where the services are; they are not part of what a
    scenario means, so the expectation never looks at them.
    """

    services_url: str = ""
    unreachable_url: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        # A service slower than the client's patience would read as a hung server.
        limit = HTTP_TIMEOUT / 2
        for name, seconds in self.durations().items():
            if self.seconds(seconds) > limit:
                raise ValueError(
                    f"spec field {name}: {seconds:g} s at scale {self.scale:g} is "
                    f"{self.seconds(seconds):g} s, more than {limit:g} s (half the client "
                    f"timeout of {HTTP_TIMEOUT:g} s): use a smaller scale"
                )

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


# -- what a model provides, and what its interpreter reports -------------------

S_contra = TypeVar("S_contra", bound=Spec, contravariant=True)
O_co = TypeVar("O_co", bound=Outcome, covariant=True)


class ScenarioModule(Protocol[S_contra, O_co]):
    """What ``<model>_impl.<scenario>`` provides: the scenario, run in that model."""

    def run(self, spec: S_contra, out: Transcript) -> O_co: ...


class Runtime(Protocol):
    """What ``<model>_impl.runtime`` provides to the host around every scenario."""

    def prepare(self) -> None:
        """Set the model up before the scenario runs (asyncio records its tasks)."""

    def pending_work(self) -> list[str]:
        """Work still alive when the scenario returned, in the model's own terms."""
        ...


@dataclass
class HostReport:
    """What a model's interpreter reports to the runner (``--result FILE``).

    Written by ``shared.host``, read by ``shared.runner``; see ``shared.host``
    for what the diagnostics mean.
    """

    model: str
    spec: dict[str, Any]
    outcome: dict[str, Any] | None = None  # the scenario's Outcome as JSON; None if it failed
    error: str = ""  # the scenario's failure, in one line
    warnings: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    sockets: int = 0
    lines: list[str] = field(default_factory=list)  # the transcript
    times: list[float] = field(default_factory=list)  # when each line was said
    stderr: dict[str, str] = field(default_factory=dict)  # phase -> text
    stderr_began: dict[str, float] = field(default_factory=dict)  # phase -> second
    reported_at: float = 0.0  # time.time() when the report was written

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(**data)


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
                try:
                    print(line, flush=True)
                except BrokenPipeError:
                    # The reader went away (``| head -n 3``). The scenario goes on
                    # quietly: a thread that died here would never pass the baton
                    # it holds, and the others would wait forever. Python's own
                    # advice: point stdout at /dev/null, so the flush at exit
                    # does not fail again.
                    self._echo = False
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, sys.stdout.fileno())
                    os.close(devnull)
