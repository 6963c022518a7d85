"""``concurrency-compare bench``: the command's arguments and its run, with a progress bar."""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from shared.bench import output, suite
from shared.bench.child import WORKLOADS


def model_list(text: str) -> list[str]:
    """``--models``: comma-separated, asyncio+uvloop included."""
    try:
        return suite.check_models([m.strip() for m in text.split(",") if m.strip()])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def repetitions(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"between 1 and 100, not {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "workloads",
        nargs="*",
        metavar="WORKLOAD",
        help=f"default: all of them: {', '.join(WORKLOADS)}",
    )
    parser.add_argument(
        "--models",
        type=model_list,
        default=None,
        help="comma-separated (default: "
        + ",".join(suite.available_models())
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
    parser.add_argument("--charts", metavar="DIR", help="write fanout.png and memory.png here")


def check_folder(path: str) -> None:
    """``path`` can be a folder of charts: it is one, or can be made. LookupError if not."""
    target = Path(path).resolve()
    existing = next((p for p in (target, *target.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK):
        raise LookupError(f"cannot write charts to {path}: not a writable folder")


def run(
    console: Console,
    args: argparse.Namespace,
    environment: dict[str, Any],
    *,
    plan: suite.Plan | None = None,
) -> int:
    """Run the bench that ``args`` asks for; exit status 1 if a job gave no figures."""
    workloads = suite.check_workloads(args.workloads)
    models: Sequence[str] = args.models or suite.available_models()
    if args.charts:
        check_folder(args.charts)
    plan = plan or (suite.QUICK if args.quick else suite.FULL)
    if args.repeat:
        plan = dataclasses.replace(plan, repeat=args.repeat)
    jobs, _ = suite.plan_jobs(plan, workloads, models)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        bar = progress.add_task("starting", total=len(jobs))

        def started(job: suite.Job) -> None:
            what = f"{job.workload} {job.model} {job.variant} {job.size:,}".replace("  ", " ")
            progress.update(bar, description=what)

        bench = suite.run(
            plan, workloads, models, on_start=started, on_done=lambda _: progress.advance(bar)
        )
    console.print(output.tables(bench))
    document = output.document(bench, environment)
    if args.json:
        output.write_json(args.json, document)
        console.print(f"figures written to {args.json}")
    if args.charts:
        for chart in output.write_charts(args.charts, document):
            console.print(f"chart written to {chart}")
    if not bench.ok:
        console.print(Text("a job gave no figures: see the notes in red", style="bold red"))
    return 0 if bench.ok else 1
