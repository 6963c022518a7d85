"""``concurrency-compare inspect``: what each model's interpreter holds (see ``introspect``)."""

from __future__ import annotations

import argparse

from rich.console import Console

from shared.cli import helptext
from shared.harness import introspect

DESCRIPTION = helptext.describe(
    "Starts each model on a scenario whose requests the local services keep "
    "waiting, and looks into the live process with the model's own tool: "
    "`python -m asyncio pstree` (Python 3.14+), gevent's print_run_info, "
    "faulthandler's dump of every thread's stack.",
    f"about 2 s {helptext.HERE}",
    "concurrency-compare inspect gevent threads",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    introspect.add_arguments(parser)


def command(args: argparse.Namespace, console: Console) -> int:
    return introspect.run(args.models)
