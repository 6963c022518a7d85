"""What the commands print, and where, by the command line's conventions.

* Tables and messages go to standard output, unless ``--json -`` takes it for
  the JSON: then everything else goes to standard error (``console_for``).
* ``-q``: only the verdict (the last line or lines) and errors (``final``).
* Progress, with done/total and the time left, only where someone watches: while
  standard error is a terminal, and never under ``-q`` (``steps``).
* Colour is rich's to decide: none under ``NO_COLOR``, none off a terminal
  unless ``FORCE_COLOR`` asks for it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from shared import args as argtypes
from shared import documents

#: ``--json -``: the JSON to standard output.
STDOUT = "-"


def json_file(text: str) -> str:
    """``--json``: ``-`` (standard output) or a file that can be written."""
    return text if text == STDOUT else argtypes.writable_file(text)


def add_json(parser: argparse.ArgumentParser, what: str) -> None:
    """``--json FILE``, whose help is ``what`` is written there."""
    parser.add_argument(
        "--json",
        metavar="FILE",
        type=json_file,
        help=f"write {what} to FILE; '-': to standard output, and everything else to "
        "standard error",
    )


def add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print only the verdict and errors"
    )


def console_for(args: argparse.Namespace, given: Console | None) -> Console:
    """The console a command prints to: ``given``, else standard output's (standard
    error's under ``--json -``); quiet under ``-q``."""
    console = given or Console(stderr=getattr(args, "json", None) == STDOUT)
    if getattr(args, "quiet", False):
        console.quiet = True
    return console


def final(console: Console, text: str, style: str = "", *, soft_wrap: bool = False) -> None:
    """A line of the verdict: printed under ``-q`` too (``soft_wrap``: as ``print``'s)."""
    quiet, console.quiet = console.quiet, False
    try:
        console.print(Text(text, style=style), soft_wrap=soft_wrap)
    finally:
        console.quiet = quiet


def where(path: str) -> str:
    """``path`` as a message names it."""
    return "standard output" if path == STDOUT else path


def write_json(path: str, document: Any) -> None:
    """``document`` as indented JSON at ``path``, or on standard output for ``-``."""
    if path != STDOUT:
        documents.write(path, document)
        return
    sys.stdout.write(json.dumps(documents.to_json(document), indent=2) + "\n")
    sys.stdout.flush()


def save(
    console: Console,
    document: Any,
    asked: argparse.Namespace,
    write_charts: documents.WriteCharts[Any],
) -> None:
    """``documents.save``, with ``--json -`` on standard output."""
    if asked.json == STDOUT:
        write_json(STDOUT, document)
        console.print("figures written to standard output")
        asked = argparse.Namespace(**{**vars(asked), "json": None})
    documents.save(console.print, document, asked, write_charts)


def clock(seconds: float) -> str:
    """A duration as a person reads it: ``42 s``, ``1.7 min``, ``42 min``, ``1 h 05``."""
    if seconds < 100:
        return f"{seconds:.0f} s"
    if seconds < 600:
        return f"{seconds / 60:.1f} min"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes:02d}"


def time_left(
    elapsed: float | None, done: float, total: float | None, expected: float | None = None
) -> float | None:
    """About how many seconds are left: the time per step so far times the steps
    left; before any step is done, what was ``expected`` of the whole, less the
    time spent. None when there is nothing to go by."""
    if elapsed is None or total is None:
        return None
    if done >= total:
        return 0.0
    if done > 0:
        return elapsed / done * (total - done)
    if expected is not None and expected > elapsed:
        return expected - elapsed
    return None


class TimeLeft(ProgressColumn):
    """``about 3 min left``, from ``time_left`` (the field ``expected``: seconds)."""

    max_refresh = 1.0  # a changing estimate is hard to read

    def render(self, task: Task) -> Text:
        expected = task.fields.get("expected")
        left = time_left(task.elapsed, task.completed, task.total, expected)
        text = "" if left is None else f"about {clock(left)} left"
        return Text(text, style="progress.remaining")


class Steps:
    """A command's progress: how many of its steps are done, and what it is doing.

    Without a terminal to show it on, every method does nothing.
    """

    def __init__(self, progress: Progress | None, total: int, expected: float | None) -> None:
        self._progress = progress
        self._task = progress.add_task("", total=total, expected=expected) if progress else None

    def doing(self, what: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=what)

    def advance(self, steps: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, steps)

    def more(self, steps: int) -> None:
        """``steps`` more to do than said at the start."""
        if self._progress is not None and self._task is not None:
            total = self._progress.tasks[self._task].total or 0
            self._progress.update(self._task, total=total + steps)


def progress_console(console: Console) -> Console | None:
    """Where progress shows: ``console`` if it is a terminal, else standard error's;
    None if standard error is no terminal, or under ``-q``."""
    if console.quiet:
        return None
    stderr = console if console.stderr else Console(stderr=True)
    if not stderr.is_terminal:
        return None
    return console if console.is_terminal else stderr


@contextlib.contextmanager
def steps(
    console: Console, total: int, doing: str = "", *, expected: float | None = None
) -> Iterator[Steps]:
    """Progress over ``total`` steps while the block runs: what is being done, a bar,
    done/total, the time spent and the time left (``expected``: seconds the whole
    should take, for the estimate before the first step is done)."""
    shown = progress_console(console)
    if shown is None:
        yield Steps(None, total, expected)
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(bar_width=16),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeLeft(),
    )
    with Progress(*columns, console=shown, transient=True) as progress:
        found = Steps(progress, total, expected)
        found.doing(doing)
        yield found
