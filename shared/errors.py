"""The project's errors, exit statuses and one-line summaries.

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
5        figures untrusted (``bench``, ``load``, ``hurts``): the measuring
         tool could not keep its schedule or open its connections, or failed
         its own check; the figures are written, marked, not to be relied on
128+N    ended by signal N: 130 Ctrl-C (SIGINT), 143 SIGTERM, 129 SIGHUP
=======  ==================================================================
"""

from __future__ import annotations

import signal
import sys
import traceback
from collections.abc import Callable, Iterable

OK = 0
DIFFERS = 1
USAGE = 2
ENVIRONMENT = 3
BUG = 4
UNTRUSTED = 5

#: The table above as the CLI's help shows it.
EXIT_STATUSES = """\
exit status:
  0      every model did what its scenario expects
  1      a model differs from the expectation
  2      bad usage (one line, nothing run)
  3      the environment failed, not a model (services died or hung, a model's
         interpreter killed or crashed, a run stopped at the deadline)
  4      a bug in concurrency-compare (traceback, and where to report it)
  5      figures untrusted (bench, load, hurts): the measuring tool fell
         behind or failed its own check; figures written, marked
  128+N  ended by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP)"""

#: Where a bug is reported when the package's metadata cannot say (a checkout
#: that was never installed): pyproject.toml's ``[project.urls]``.
HOME = "https://github.com/concurrency-compare/concurrency-compare"
ISSUES = f"{HOME}/issues"


class UsageError(Exception):
    """Bad input: reported in one line, exit status 2, before any work starts."""


class Terminated(BaseException):
    """SIGTERM or SIGHUP reached the program (see ``handle_termination``).

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except
    Exception`` swallows it on its way out.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_status(self) -> int:
        """The shell's convention for a program ended by a signal: 128 + its number."""
        return 128 + self.signum


class EnvironmentFailure(Exception):
    """The environment failed (services, a killed interpreter): exit status 3."""


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
    """What a bug prints: the traceback, then a line saying it is one and where to report it."""
    lines = traceback.format_exception(exc)
    return "".join(lines) + (
        f"{prog}: this is a bug in concurrency-compare, not in a model or in your input "
        f"({summary(exc, 120)}); please report it, with the lines above, at {issues_url()}"
    )


def issues_url() -> str:
    """Where a user reports a bug: the ``Issues`` URL of the installed package's metadata
    (``[project.urls]`` in pyproject.toml), or ``ISSUES`` when there is none."""
    # Imported here, on a bug only: every model interpreter imports this module.
    from importlib import metadata

    try:
        urls = metadata.metadata("concurrency-compare").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return ISSUES
    # Each is "Label, URL" (the core metadata's Project-URL field).
    found = dict(url.split(", ", 1) for url in urls if ", " in url)
    return found.get("Issues") or ISSUES


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
