"""``concurrency-compare show``: a scenario's implementations side by side, or the service
alone's (``show bare``)."""

from __future__ import annotations

import argparse

from rich.console import Console

from shared import scenarios
from shared.cli import helptext
from shared.cli.run import MODEL_LIST
from shared.contract import MODELS
from shared.errors import UsageError
from shared.present import show

DESCRIPTION = helptext.describe(
    "Shows a scenario's code in each model side by side, each model's module in a "
    f"column of its own (stacked when the terminal is narrow); `show {show.BARE}` shows "
    "the service alone, the same HTTP parser under each model.",
    f"0.3 s {helptext.HERE}",
    "concurrency-compare show fetch --models asyncio,gevent",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenario", metavar="SCENARIO", help=f"a scenario, or {show.BARE}: {show.BARE_SUMMARY}"
    )
    parser.add_argument(
        "--models",
        type=MODEL_LIST,
        default=list(MODELS),
        help=f"comma-separated (default: {','.join(MODELS)})",
    )
    parser.add_argument(
        "--layout",
        choices=show.LAYOUTS,
        default="auto",
        help="columns, stacked, or (default) columns when the terminal is wide enough",
    )


def command(args: argparse.Namespace, console: Console) -> int:
    if args.scenario != show.BARE and args.scenario not in scenarios.CATALOGUE:
        known = ", ".join([*scenarios.CATALOGUE, show.BARE])
        raise UsageError(f"unknown scenario {args.scenario!r} (known: {known})")
    show.show(console, args.scenario, args.models, args.layout)
    return 0
