"""``concurrency-compare hurts``: the three experiments.

* ``hurts [--quick]``: CPU in the handler, a blocking call, idle connections,
  for every model, with their tables, and the JSON and charts if asked.
* ``--only cpu,blocking,idle`` runs some of them; ``--models`` some models.

``--quick`` runs each in its short form (a minute or two here); the full run
takes about a quarter of an hour.
"""

from __future__ import annotations

import argparse
import functools
import time

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from shared import documents
from shared.args import model_list, writable_file, writable_folder
from shared.documents import Environment
from shared.errors import OK
from shared.harness.services import open_services
from shared.measure.hurts import experiments
from shared.present import hurts as output

PROG = "concurrency-compare hurts"


def experiment_list(text: str) -> list[str]:
    """``--only``: comma-separated experiments, each once."""
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in experiments.EXPERIMENTS]
    if unknown or not chosen or len(set(chosen)) < len(chosen):
        raise argparse.ArgumentTypeError(
            f"experiments are {', '.join(experiments.EXPERIMENTS)}, each once, not {text!r}"
        )
    return [name for name in experiments.EXPERIMENTS if name in chosen]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="the short form of each")
    parser.add_argument(
        "--only",
        type=experiment_list,
        default=list(experiments.EXPERIMENTS),
        help="comma-separated: cpu, blocking, idle (default: all three)",
    )
    parser.add_argument(
        "--models",
        type=functools.partial(model_list, known=experiments.MODELS),
        default=list(experiments.MODELS),
        help="comma-separated (default: asyncio, gevent, threads)",
    )
    parser.add_argument("--json", metavar="FILE", type=writable_file, help="write the figures")
    parser.add_argument(
        "--charts", metavar="DIR", type=writable_folder, help="write hurts-*.png here"
    )


def run(console: Console, args: argparse.Namespace, environment: Environment) -> int:
    plan = experiments.QUICK if args.quick else experiments.FULL
    began = time.perf_counter()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("starting the upstream", total=None)

        def on_step(experiment: str, model: str) -> None:
            progress.update(task, description=f"{experiment}: {model}")

        with open_services() as upstream:
            doc = experiments.run(
                plan, args.only, upstream, environment, args.models, on_step, began=began
            )
    console.print(output.terminal(doc))
    documents.save(console.print, doc, args, output.write_charts)
    return OK


def command(args: argparse.Namespace, console: Console) -> int:
    return run(console, args, documents.environment())
