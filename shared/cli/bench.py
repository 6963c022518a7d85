"""``concurrency-compare bench``: the command's arguments and its run, with its progress."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence

from rich.console import Console

from shared import args as argtypes
from shared import documents
from shared.cli import helptext, output
from shared.errors import OK, UNTRUSTED
from shared.measure.bench import figures, measure, plan
from shared.measure.bench.child import WORKLOADS
from shared.present import bench as present
from shared.present import charts

#: Cores that other programs may keep busy during a measurement before its figures are
#: not evidence (exit status 5): half a core takes turns from the bench's own.
BUSY_ELSEWHERE = 0.5

# Measured here: the full bench in 727 s (docs/bench/bench.json's "seconds").
DESCRIPTION = helptext.describe(
    "Measures what each model costs, each measurement in fresh interpreters: "
    "starting a task, its memory, a switch between tasks, a fan-out of requests "
    "against the local services, and the throughput of a loop of requests; "
    "with asyncio on uvloop too when uvloop is installed. Prints the tables, "
    "and writes the JSON and the charts if asked.",
    f"about 12 min {helptext.HERE}, a minute or two with --quick",
    "concurrency-compare bench fanout --quick --json bench.json",
)


def repetitions(text: str) -> int:
    """``--repeat``: a whole number of interpreters per measurement, 1 to 100."""
    value = argtypes.number(text, 1, 100, "a number of interpreters")
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "workloads",
        nargs="*",
        type=plan.workload_name,
        metavar="WORKLOAD",
        help=f"the workloads to measure (default: all of them: {', '.join(WORKLOADS)})",
    )
    parser.add_argument(
        "--models",
        type=plan.model_list,
        default=None,
        help="comma-separated (default: "
        + ",".join(plan.available_models())
        + "; asyncio+uvloop when uvloop is installed)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes, fewer repetitions (default: full)"
    )
    parser.add_argument(
        "--repeat",
        type=repetitions,
        metavar="K",
        help="interpreters per measurement (default 3, --quick 1)",
    )
    output.add_json(parser, "the figures and the environment")
    parser.add_argument(
        "--charts",
        type=argtypes.writable_folder,
        metavar="DIR",
        help="write fanout.png and memory.png to DIR (default: no charts)",
    )
    output.add_quiet(parser)


def run(
    console: Console,
    args: argparse.Namespace,
    environment: documents.Environment,
    *,
    sizes: plan.Plan | None = None,
) -> int:
    """Run the bench that ``args`` asks for; exit status 1 if a job gave no figures."""
    workloads = plan.in_order(args.workloads)
    models: Sequence[str] = args.models or plan.available_models()
    sizes = sizes or (plan.QUICK if args.quick else plan.FULL)
    if args.repeat:
        sizes = dataclasses.replace(sizes, repeat=args.repeat)
    jobs, _ = plan.plan_jobs(sizes, workloads, models)
    with output.steps(console, len(jobs), "starting") as steps:

        def started(job: plan.Job) -> None:
            steps.doing(f"{job.workload} {job.model} {job.variant} {job.size:,}".replace("  ", " "))

        bench = measure.run(
            sizes, workloads, models, on_start=started, on_done=lambda _: steps.advance()
        )
    document = figures.document(bench, environment)
    console.print(present.terminal(document))
    output.save(console, document, args, charts.write_charts)
    took = output.clock(bench.seconds)
    if not bench.ok:
        output.final(console, "a job gave no figures: see the notes in red", "bold red")
        return 1
    doubt = untrusted(document)
    if doubt:
        output.final(console, doubt, "bold red")
        return UNTRUSTED
    output.final(console, f"bench done in {took}: every job gave figures, none untrusted")
    return OK


def untrusted(document: figures.BenchDocument) -> str | None:
    """Why the figures are not evidence (exit status 5), or None."""
    noisy = [r for found in document.results.values() for r in found
             if (r.busy_elsewhere or 0.0) > BUSY_ELSEWHERE]  # fmt: skip
    if not noisy:
        return None
    most = max(r.busy_elsewhere or 0.0 for r in noisy)
    return (f"figures untrusted: other programs kept up to {most:.2f} cores busy during "
            f"{len(noisy)} measurement(s)")  # fmt: skip


def command(args: argparse.Namespace, console: Console) -> int:
    return run(console, args, documents.environment())
