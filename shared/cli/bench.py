"""``concurrency-compare bench``: the command's arguments and its run, with a progress bar."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from shared import args as argtypes
from shared import documents
from shared.errors import OK, UNTRUSTED, UsageError
from shared.measure.bench import figures, measure, plan
from shared.measure.bench.child import WORKLOADS
from shared.present import bench as output
from shared.present import charts

#: Cores that other programs may keep busy during a measurement before its figures are
#: not evidence (exit status 5): half a core takes turns from the bench's own.
BUSY_ELSEWHERE = 0.5


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
        help=f"default: all of them: {', '.join(WORKLOADS)}",
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
        "--quick", action="store_true", help="smaller sizes, fewer repetitions: under a minute"
    )
    parser.add_argument(
        "--repeat",
        type=repetitions,
        metavar="K",
        help="interpreters per measurement (default 3, --quick 1)",
    )
    parser.add_argument("--json", metavar="FILE", help="write the figures and environment here")
    parser.add_argument(
        "--charts",
        type=argtypes.writable_folder,
        metavar="DIR",
        help="write fanout.png and memory.png here",
    )


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
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        bar = progress.add_task("starting", total=len(jobs))

        def started(job: plan.Job) -> None:
            what = f"{job.workload} {job.model} {job.variant} {job.size:,}".replace("  ", " ")
            progress.update(bar, description=what)

        bench = measure.run(
            sizes, workloads, models, on_start=started, on_done=lambda _: progress.advance(bar)
        )
    document = figures.document(bench, environment)
    console.print(output.terminal(document))
    documents.save(console.print, document, args, charts.write_charts)
    if not bench.ok:
        console.print(Text("a job gave no figures: see the notes in red", style="bold red"))
        return 1
    doubt = untrusted(document)
    if doubt:
        console.print(Text(doubt, style="bold red"))
        return UNTRUSTED
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
    if args.json is not None:  # "" too: an empty name is refused, not ignored
        try:
            argtypes.writable_file(args.json)
        except argparse.ArgumentTypeError as exc:
            raise UsageError(str(exc)) from None
    return run(console, args, documents.environment())
