"""``concurrency-compare hurts``: the three experiments.

* ``hurts [--quick]``: CPU in the handler, a blocking call, idle connections,
  for every model, with their tables, and the JSON and charts if asked.
* ``--only cpu,blocking,idle`` runs some of them; ``--models`` some models.
* ``--delay D``, ``--cpu C``: a service of your shape, the upstream's latency and
  the CPU each request spends (``experiments.profile`` says what changes).
* ``--cores N``: the deployments' workers on N CPUs of their own, everything else
  on the rest, as ``load`` does (0: nothing pinned).

``--quick`` runs each in its short form; the full run takes about a quarter
of an hour (``DESCRIPTION`` says how long each took here). A figure the
generator could not vouch for is marked, and the command then ends with status
5 (figures untrusted).
"""

from __future__ import annotations

import argparse
import functools
import time

from rich.console import Console

from shared import args as argtypes
from shared import documents
from shared.args import model_list, writable_folder
from shared.cli import cores, helptext, output
from shared.documents import Environment
from shared.errors import OK, UNTRUSTED
from shared.harness.services import open_services
from shared.measure import deploy
from shared.measure.hurts import experiments
from shared.measure.hurts.document import Plan
from shared.present import hurts as present

PROG = "concurrency-compare hurts"

#: Seconds the full run took here (docs/hurts/hurts.json's "seconds"), for the
#: estimate of the time left before its first step is done.
FULL_SECONDS = 760.0

DESCRIPTION = helptext.describe(
    "Measures what hurts a service in each model, each model deployed under "
    "gunicorn against an upstream that answers after D: CPU spent in the handler "
    "(the rate each sustains as C grows), a blocking call in an async handler "
    "(how far the latency of every other request rises, and which model's own "
    "tools detect it), and idle connections held open (how many each holds, "
    "and what they cost).",
    f"about 13 min {helptext.HERE}, 1 to 2 min with --quick",
    "concurrency-compare hurts --quick --only blocking --json hurts.json",
)


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
    parser.add_argument(
        "--quick", action="store_true", help="the short form of each (default: the full one)"
    )
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
    output.add_json(parser, "the figures and the environment")
    parser.add_argument(
        "--charts",
        metavar="DIR",
        type=writable_folder,
        help="write hurts-*.png to DIR (default: no charts)",
    )
    output.add_quiet(parser)


def plan_of(args: argparse.Namespace) -> Plan:
    """The plan: quick or full, for the service's shape the options give."""
    plan = experiments.QUICK if args.quick else experiments.FULL
    return experiments.profile(plan, delay=args.delay, cpu_ms=args.cpu)


def run(console: Console, args: argparse.Namespace, environment: Environment) -> int:
    plan = plan_of(args)
    layout = cores.layout_of(args)
    began = time.perf_counter()
    console.print(present.layout_line(layout))
    if layout is not None:
        deploy.pin_self(layout.rest)  # the upstream, the generator and the holder inherit it
    total = len(args.only) * len(args.models)
    # Before the first step ends, the full run's time here, for the share it runs.
    expected = None if args.quick else FULL_SECONDS * total / (3 * len(experiments.MODELS))
    with output.steps(console, total, "starting the upstream", expected=expected) as steps:
        started: list[str] = []

        def on_step(experiment: str, model: str) -> None:
            if started:  # a step begins as the one before it ends
                steps.advance()
            started.append(experiment)
            steps.doing(f"{experiment}: {model}")

        with open_services() as upstream:
            doc = experiments.run(plan, args.only, upstream, environment, args.models,
                                  on_step, began=began, layout=layout)  # fmt: skip
        steps.advance()
    console.print(present.terminal(doc, layout=False))
    output.save(console, doc, args, present.write_charts)
    if not doc.trusted:
        output.final(console, present.untrusted_line(doc), "bold red")
        return UNTRUSTED
    output.final(console, f"hurts done in {output.clock(doc.seconds)}: every figure trusted")
    return OK


def command(args: argparse.Namespace, console: Console) -> int:
    return run(console, args, documents.environment())
