"""``concurrency-compare list``: the scenarios, one line each."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from shared import scenarios
from shared.cli import helptext

DESCRIPTION = helptext.describe(
    "Lists the scenarios, one line each: its name (what `run` and `show` take), the "
    "article's example it renders, and what it shows.",
    f"0.3 s {helptext.HERE}",
    "concurrency-compare list",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass  # none


def command(args: argparse.Namespace, console: Console) -> int:
    table = Table(box=None)
    table.add_column("scenario", no_wrap=True)
    table.add_column("article", no_wrap=True)  # "tutorial: Locks and Semaphores" stays whole
    table.add_column("what it shows")
    for scenario in scenarios.CATALOGUE.values():
        table.add_row(scenario.name, scenario.article, scenario.summary)
    console.print(table)
    return 0
