"""The project's errors, exit statuses, argument types and one-line summaries.

Every command of the project (``concurrency-compare ...`` and ``python -m
<model>_impl ...``) ends with one of these statuses:

=======  ==================================================================
status   meaning
=======  ==================================================================
0        every model did what its scenario expects
1        a model did not: its results differ from the expectation
2        bad usage: one line says what, nothing was run
3        the environment failed, not a model: the local services died or
         stopped answering, a model's interpreter was killed or crashed, a
         run was stopped at the runner's deadline
4        a bug in concurrency-compare itself: a traceback, and where to
         report it
128+N    ended by signal N: 130 Ctrl-C (SIGINT), 143 SIGTERM, 129 SIGHUP
=======  ==================================================================
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import NoReturn
from urllib.parse import urlsplit

from shared.processes import Terminated

OK = 0
DIFFERS = 1
USAGE = 2
ENVIRONMENT = 3
BUG = 4

#: The table above as the CLI's help shows it.
EXIT_STATUSES = """\
exit status:
  0      every model did what its scenario expects
  1      a model differs from the expectation
  2      bad usage (one line, nothing run)
  3      the environment failed, not a model (services died or hung, a model's
         interpreter killed or crashed, a run stopped at the deadline)
  4      a bug in concurrency-compare (traceback, and where to report it)
  128+N  ended by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP)"""

#: Where a bug is to be reported.
ISSUES = "the project's issue tracker (`issues` in this checkout)"


class UsageError(Exception):
    """Bad input: reported in one line, exit status 2, before any work starts."""


class EnvironmentFailure(Exception):
    """The environment failed (services, a killed interpreter): exit status 3."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose mistakes are ``UsageError``s: one line, no usage dump."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def summary(exc: BaseException, limit: int = 300) -> str:
    """A failure in one readable line: ``Type: message``.

    An exception group (a TaskGroup's failure, say) is summarised by what is
    inside it, not by the border of its traceback's box:
    ``ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception):
    ClientConnectorError: Cannot connect to host ...``.
    """
    line = " ".join(_summary(exc).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _summary(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, BaseExceptionGroup):
        inner = "; ".join(_summary(sub) for sub in exc.exceptions)
        return f"{type(exc).__name__}: {exc.message}: {inner}"
    return text


def bug_report(prog: str, exc: BaseException) -> str:
    """What a bug prints: the traceback, then a line saying it is one."""
    lines = traceback.format_exception(exc)
    return "".join(lines) + (
        f"{prog}: this is a bug in concurrency-compare, not in a model or in your input "
        f"({summary(exc, 120)}); please report it, with the lines above, to {ISSUES}"
    )


def run_command(
    prog: str, command: Callable[[], int], usage_errors: tuple[type[Exception], ...] = ()
) -> int:
    """Runs ``command`` and returns its status, or the status of what ended it.

    What ends it early is said in one line on stderr, except a bug, which
    shows its traceback. ``usage_errors`` are the caller's own ways of being
    pointed at something that is not there (services, a report's input): the
    user's to mend, so they read as bad usage, like ``UsageError``.
    """
    usage: tuple[type[Exception], ...] = (UsageError, *usage_errors)
    try:
        return command()
    except usage as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return USAGE
    except EnvironmentFailure as exc:
        print(f"{prog}: the environment failed: {exc}", file=sys.stderr)
        return ENVIRONMENT
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130  # 128 + SIGINT: the shell's status for a program ended by Ctrl-C
    except Terminated as exc:  # only where the program asked for it: handle_termination
        print(f"{prog}: ended by {exc}", file=sys.stderr)
        return exc.exit_status
    except Exception as exc:  # a model's failure is a result, caught where it runs: this is ours
        print(bug_report(prog, exc), file=sys.stderr)
        return BUG


def names(values: Iterable[str]) -> str:
    return ", ".join(values)


# -- argument types: each refuses bad input with one line -------------------------


def number(text: str, low: float, high: float, what: str = "a number") -> float:
    """A finite number in [low, high]; ``argparse.ArgumentTypeError`` otherwise."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise argparse.ArgumentTypeError(f"{what} between {low:g} and {high:g}, not {text!r}")
    return value


def scale(text: str) -> float:
    """``--scale``: a factor whose durations the machine can honour."""
    from shared.contract import MAX_SCALE, MIN_SCALE

    return number(text, MIN_SCALE, MAX_SCALE, "must be a positive number")


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
    return value


def model_list(text: str, known: Sequence[str] | None = None) -> list[str]:
    """``--models``: comma-separated names out of ``known`` (default: the three models).

    For ``type=`` with other names: ``functools.partial(model_list, known=...)``.
    """
    if known is None:
        from shared.contract import MODELS

        known = MODELS
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
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 0 and 65535, not {value}")
    return value


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


def writable_file(text: str) -> str:
    """An output file that can really be written: not a folder, in a writable folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty file name")
    path = os.path.abspath(text)
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"cannot write {text}: it is a folder")
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"cannot write {text}: no writable folder {folder}")
    # Really open it (permissions say nothing of /proc, read-only mounts, or
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
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty folder name")
    path = os.path.abspath(text)
    existing = path
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing) or not os.access(existing, os.W_OK):
        raise argparse.ArgumentTypeError(f"cannot write to {text}: not a writable folder")
    return text


def readable_file(text: str) -> str:
    """An input file that exists and can be read."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty file name")
    if not os.path.isfile(text) or not os.access(text, os.R_OK):
        raise argparse.ArgumentTypeError(f"cannot read {text}: no such readable file")
    return text


def nonempty(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty value")
    return text
