"""``concurrency-compare inspect``: what each model's interpreter holds (see ``introspect``)."""

from __future__ import annotations

import argparse

from rich.console import Console

from shared.harness import introspect


def add_arguments(parser: argparse.ArgumentParser) -> None:
    introspect.add_arguments(parser)


def command(args: argparse.Namespace, console: Console) -> int:
    return introspect.run(args.models)
