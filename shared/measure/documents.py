"""A run's figures document (the JSON of ``bench``, ``hurts`` and ``load``) as files.

Each command draws its own tables and charts from its document and keeps its
own JSON format; what they share is how the document reaches the files the
user asked for (``save``), and how ``python -m shared.<command>.output FILE``
reads an earlier run's JSON to draw it again (``read_back``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

#: ``write_json(path, document)``: the command's JSON format.
WriteJson = Callable[[str, dict[str, Any]], None]
#: ``write_charts(folder, document)``: the charts drawn, as the files written.
WriteCharts = Callable[[str, dict[str, Any]], Iterable[Path]]


def save(
    say: Callable[[str], object],
    document: dict[str, Any],
    asked: argparse.Namespace,
    write_json: WriteJson,
    write_charts: WriteCharts,
) -> None:
    """Writes the JSON (``--json FILE``) and the charts (``--charts DIR``) ``asked`` asks for.

    Each file is named through ``say`` (a console's ``print``) as it is
    written, so that a run's output says where its figures went.
    """
    if asked.json:
        write_json(asked.json, document)
        say(f"figures written to {asked.json}")
    if asked.charts:
        for chart in write_charts(asked.charts, document):
            say(f"chart written to {chart}")


def read_back(
    command: str, markdown: str, argv: Sequence[str] | None = None
) -> tuple[argparse.Namespace, dict[str, Any]]:
    """The arguments of ``python -m shared.COMMAND.output FILE``, and FILE's document.

    ``--charts DIR`` draws the charts again, ``--markdown`` (whose help is
    ``markdown``) asks for the tables as Markdown.
    """
    parser = argparse.ArgumentParser(prog=f"python -m shared.{command}.output")
    parser.add_argument("file", help=f"the JSON of `concurrency-compare {command} --json`")
    parser.add_argument("--charts", metavar="DIR", help="also write the charts here")
    parser.add_argument("--markdown", action="store_true", help=markdown)
    args = parser.parse_args(argv)
    document: dict[str, Any] = json.loads(Path(args.file).read_text(encoding="utf-8"))
    return args, document


def gil_enabled() -> bool:
    """Whether this interpreter runs with the GIL (a free-threaded build may not)."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return bool(is_enabled()) if is_enabled is not None else True


def environment() -> dict[str, Any]:
    """The machine and the interpreter the figures come from: in every JSON written."""
    versions = {}
    for package in ("aiohttp", "gevent", "greenlet", "requests", "urllib3", "uvloop", "pyperf"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "gil_enabled": gil_enabled(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "packages": versions,
    }
