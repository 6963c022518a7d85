"""What a run is given: the constants every model shares, and the specs.

A *spec* holds the parameters of a run: the article's timings, shrunk by one
``scale`` factor. ``HttpSpec`` points a run at the local services,
``PostgresSpec`` at a PostgreSQL server.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import types
import typing
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlencode

from shared.args import postgres_url, services_url, within
from shared.documents import jsonable

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
#: ``--scale``: a number between them, or one line saying why not.
parse_scale = within(MIN_SCALE, MAX_SCALE, "must be a positive number")

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


class JsonFields:
    """A dataclass that goes to JSON field by field, and comes back by keyword.

    What a spec, an outcome and a host's report share: what goes between the
    runner and a model's interpreter is plain data of their fields.
    """

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(self)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(**data)


# -- specs --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Spec(JsonFields):
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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Also refuses a field the spec does not have, and takes JSON's lists as tuples."""
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


def _check_url(name: str, value: str, kind: typing.Callable[[str], str]) -> None:
    """A URL field is "" (the runner fills it in) or a URL of its ``kind`` (``shared.args``)."""
    if not value:
        return
    try:
        kind(value)
    except argparse.ArgumentTypeError as exc:
        raise ValueError(f"spec field {name}: {exc}") from None


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
        _check_url("services_url", self.services_url, services_url)
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


#: Where the local services listen: never "localhost", whose name resolution
#: would be part of every timing.
HOST = "127.0.0.1"
#: The IP the echo services report: an address reserved for documentation.
IP = "203.0.113.7"
#: What ``GET /events`` answers: the article's GitHub events, shortened.
EVENTS = (
    {"id": "1", "type": "PushEvent"},
    {"id": "2", "type": "WatchEvent"},
    {"id": "3", "type": "ForkEvent"},
)


@dataclass(frozen=True, kw_only=True)
class PostgresSpec(Spec):
    """A spec for a scenario that queries PostgreSQL.

    The runner fills in where the server is, as ``HttpSpec`` gets the services;
    it is not part of what a scenario means, so the expectation never looks at it.
    """

    postgres_url: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_url("postgres_url", self.postgres_url, postgres_url)

    def pointed_at_postgres(self, url: str) -> Self:
        """The same spec, for the server at ``url``."""
        return dataclasses.replace(self, postgres_url=url)
