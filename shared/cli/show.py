"""``concurrency-compare show``: a scenario's implementations side by side."""

from __future__ import annotations

import argparse

from rich.console import Console

from shared.cli.run import MODEL_LIST, scenario_names
from shared.contract import MODELS
from shared.present import show


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", metavar="SCENARIO")
    parser.add_argument("--models", type=MODEL_LIST, default=list(MODELS), help="comma-separated")
    parser.add_argument(
        "--layout",
        choices=show.LAYOUTS,
        default="auto",
        help="columns, stacked, or (default) columns when the terminal is wide enough",
    )


def command(args: argparse.Namespace, console: Console) -> int:
    scenario_names([args.scenario])  # an unknown name is a usage error, before any reading
    show.show(console, args.scenario, args.models, args.layout)
    return 0
