"""``concurrency-compare hurts``: the three experiments.

* ``hurts [--quick]``: CPU in the handler, a blocking call, idle connections,
  for every model, with their tables, and the JSON and charts if asked.
* ``--only cpu,blocking,idle`` runs some of them; ``--models`` some models.
* ``--delay D``, ``--cpu C``: a service of your shape, the upstream's latency and
  the CPU each request spends (``experiments.profile`` says what changes).
* ``--cores N``: the deployments' workers on N CPUs of their own, everything else
  on the rest, as ``load`` does (0: nothing pinned).

``--quick`` runs each in its short form (a minute or two here); the full run
takes about a quarter of an hour. A figure the generator could not vouch for is
marked, and the command then ends with status 5 (figures untrusted).
"""

from __future__ import annotations

import argparse
import functools
import time

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from shared import args as argtypes
from shared import documents
from shared.args import model_list, writable_file, writable_folder
from shared.cli import cores
from shared.documents import Environment
from shared.errors import OK, UNTRUSTED
from shared.harness.services import open_services
from shared.measure import deploy
from shared.measure.hurts import experiments
from shared.measure.hurts.document import Plan
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
    cores.add_argument(parser)
    parser.add_argument(
        "--delay",
        type=argtypes.within(0, 10, "seconds"),
        default=None,
        metavar="D",
        help=f"the upstream's latency, seconds (default {experiments.FULL.delay:g})",
    )
    parser.add_argument(
        "--cpu",
        type=argtypes.within(0, 1000, "milliseconds"),
        default=None,
        metavar="C",
        help="CPU the handler spends per request, ms: the CPU experiment measures this C "
        "only, the others' requests spend it too (default: C = "
        f"{', '.join(f'{c:g}' for c in experiments.FULL.cpu_ms)} in the CPU experiment, "
        "0 elsewhere)",
    )
    parser.add_argument("--json", metavar="FILE", type=writable_file, help="write the figures")
    parser.add_argument(
        "--charts", metavar="DIR", type=writable_folder, help="write hurts-*.png here"
    )


def plan_of(args: argparse.Namespace) -> Plan:
    """The plan: quick or full, for the service's shape the options give."""
    plan = experiments.QUICK if args.quick else experiments.FULL
    return experiments.profile(plan, delay=args.delay, cpu_ms=args.cpu)


def run(console: Console, args: argparse.Namespace, environment: Environment) -> int:
    plan = plan_of(args)
    layout = cores.layout_of(args)
    began = time.perf_counter()
    console.print(output.layout_line(layout))
    if layout is not None:
        deploy.pin_self(layout.rest)  # the upstream, the generator and the holder inherit it
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("starting the upstream", total=None)

        def on_step(experiment: str, model: str) -> None:
            progress.update(task, description=f"{experiment}: {model}")

        with open_services() as upstream:
            doc = experiments.run(plan, args.only, upstream, environment, args.models,
                                  on_step, began=began, layout=layout)  # fmt: skip
    console.print(output.terminal(doc, layout=False))
    documents.save(console.print, doc, args, output.write_charts)
    if not doc.trusted:
        console.print(Text(output.untrusted_line(doc), style="bold red"))
        return UNTRUSTED
    return OK


def command(args: argparse.Namespace, console: Console) -> int:
    return run(console, args, documents.environment())
