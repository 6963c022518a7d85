"""Argument types: each turns a command-line word into a value or refuses it in one line.

For ``type=`` in argparse; ``Parser`` makes argparse's own refusals a
``UsageError``, so that every command reports bad input the same way, and
``OneLineParser`` ends a ``python -m shared...`` module's run on them with the
same one line and exit status 2.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable, Sequence
from typing import NoReturn, TypeVar
from urllib.parse import parse_qs, urlsplit

from shared.errors import USAGE, UsageError

T = TypeVar("T")


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose mistakes are ``UsageError``s: one line, no usage dump."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class OneLineParser(argparse.ArgumentParser):
    """The parser of a ``python -m shared...`` entry point, whose ``main`` is not run
    through ``errors.run_command``: a mistake ends it at once, as argparse's own
    do, but in one line (``PROG: error: ...``), exit status 2, without the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"{self.prog}: error: {message}\n")


def parsed(text: str, kind: Callable[[str], T], what: str) -> T:
    """``kind(text)``; "not ``what``" if it is not one."""
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None


def number(text: str, low: float, high: float, what: str = "a number") -> float:
    """A finite number in [low, high]; ``argparse.ArgumentTypeError`` otherwise."""
    value = parsed(text, float, "a number")
    if not (math.isfinite(value) and low <= value <= high):
        raise argparse.ArgumentTypeError(
            f"{what} between {_plain(low)} and {_plain(high)}, not {text!r}"
        )
    return value


def _plain(bound: float) -> str:
    """A bound as a message writes it: 0.05, 100, 1000000 (not 1e+06)."""
    return str(int(bound)) if float(bound).is_integer() and abs(bound) < 1e15 else f"{bound:g}"


def within(low: float, high: float, what: str) -> Callable[[str], float]:
    """A type for a number in [low, high]: ``type=within(MIN_SCALE, MAX_SCALE, ...)``."""

    def bounded(text: str) -> float:
        return number(text, low, high, what)

    return bounded


def whole(low: int, high: int, what: str) -> Callable[[str], int]:
    """A type for a whole number in [low, high]: ``type=whole(1, 50, "repeats")``."""

    def bounded(text: str) -> int:
        value = number(text, low, high, what)
        if not value.is_integer():
            raise argparse.ArgumentTypeError(f"{what}: a whole number, not {text!r}")
        return int(value)

    return bounded


def positive_number(text: str) -> float:
    value = parsed(text, float, "a number")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
    return value


def positive_up_to(high: float, what: str) -> Callable[[str], float]:
    """A type for a positive number up to ``high``: ``type=positive_up_to(86_400, "seconds")``.

    The bound keeps a number that is finite but absurd (``1e308`` seconds) from
    reaching a timer, where it overflows.
    """

    def bounded(text: str) -> float:
        value = positive_number(text)
        if value > high:
            raise argparse.ArgumentTypeError(f"{what}: at most {_plain(high)}, not {text!r}")
        return value

    return bounded


def model_list(text: str, known: Sequence[str]) -> list[str]:
    """``--models``: comma-separated names out of ``known``, each once.

    For ``type=``: ``functools.partial(model_list, known=MODELS)``.
    """
    models = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in models if m not in known]
    if unknown or not models:
        raise argparse.ArgumentTypeError(
            f"unknown model {', '.join(unknown) or repr(text)} (known: {', '.join(known)})"
        )
    if len(set(models)) < len(models):
        raise argparse.ArgumentTypeError(f"a model named twice: {text!r}")
    return models


def port_number(text: str) -> int:
    value = parsed(text, int, "a port number")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 0 and 65535, not {value}")
    return value


def http_url(text: str) -> str:
    """An http:// URL with a host (a port is optional, 80 by default)."""
    try:
        parts = urlsplit(text)
        _ = parts.port  # a ValueError for a port that is not one
    except ValueError:
        parts = urlsplit("")
    if parts.scheme != "http" or not parts.hostname:
        raise argparse.ArgumentTypeError(f"not an http:// URL: {text!r}")
    return text


def services_url(text: str) -> str:
    """``--services-url``: an http:// URL with a host and a port."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        port = None
        parts = urlsplit("")
    if parts.scheme != "http" or not parts.hostname or port is None:
        raise argparse.ArgumentTypeError(
            f"not a services URL: {text!r} (like http://127.0.0.1:8080, as `serve` prints it)"
        )
    return text


def postgres_url(text: str) -> str:
    """``--postgres-url``: a PostgreSQL URI with a host (libpq's form, as psycopg takes it).

    The host is in the URI's authority (several, comma-separated, for libpq's
    failover) or, for a Unix socket's folder, in its ``host`` parameter
    (``postgresql:///db?host=/run/postgresql``).
    """
    refused = argparse.ArgumentTypeError(
        f"not a PostgreSQL URL: {text!r} (like postgresql://user@127.0.0.1:5432/db)"
    )
    try:
        parts = urlsplit(text)
        hosts = [urlsplit(f"//{h}") for h in parts.netloc.rpartition("@")[2].split(",") if h]
        for host in hosts:
            _ = host.port  # a ValueError for a port that is not one
    except ValueError:
        raise refused from None
    named = all(h.hostname for h in hosts) and (hosts or parse_qs(parts.query).get("host"))
    if parts.scheme not in ("postgresql", "postgres") or not named:
        raise refused
    return text


def nonempty(text: str, what: str = "value") -> str:
    """``text`` unless it is blank: "an empty ``what``" otherwise."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"an empty {what}")
    return text


def writable_file(text: str) -> str:
    """An output file that can really be written: not a folder, in a writable folder."""
    path = os.path.abspath(nonempty(text, "file name"))
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"cannot write {text}: it is a folder")
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"cannot write {text}: no writable folder {folder}")
    # Really open it (permission bits say nothing of /proc, read-only mounts or
    # root), appending so that nothing is lost, and leave no new file behind.
    existed = os.path.exists(path)
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot write {text}: {exc.strerror or exc}") from None
    if not existed:
        os.unlink(path)
    return text


def writable_folder(text: str) -> str:
    """An output folder that exists and is writable, or can be made."""
    existing = os.path.abspath(nonempty(text, "folder name"))
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise argparse.ArgumentTypeError(
            f"cannot write to {text}: not a writable folder ({existing} is not a folder)"
        )
    if not os.access(existing, os.W_OK):
        raise argparse.ArgumentTypeError(f"cannot write to {text}: not a writable folder")
    return text
