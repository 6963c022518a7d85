"""``concurrency-compare report``: the static HTML site, from a fresh run or a runs file."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from shared import documents, scenarios
from shared.args import writable_folder
from shared.cli import helptext, output
from shared.cli.run import (
    add_run_arguments,
    check_jobs,
    check_postgres,
    environment_failures,
    jobs_now_and_later,
    run_with_progress,
    uses_postgres,
)
from shared.contract import MODELS
from shared.errors import DIFFERS, ENVIRONMENT, OK
from shared.harness import postgres, runner
from shared.harness.services import use_services
from shared.present import report

DESCRIPTION = helptext.describe(
    "Writes a static HTML site, readable without a server or a script: each "
    "scenario's code in each model side by side, their outputs and verdicts, and "
    "the figures of bench, load and hurts from their JSON files (--bench, --load, "
    "--hurts). The runs are made afresh, as `run` makes them, unless --runs gives them.",
    f"about 12 s {helptext.HERE} with a fresh run, 2 s with --runs",
    "concurrency-compare report --load docs/load/load.json --out report",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        default="report",
        metavar="DIR",
        type=writable_folder,
        help="the site's folder (default: ./report)",
    )
    parser.add_argument("--bench", metavar="FILE", help="add the tables of `bench --json FILE`")
    parser.add_argument("--load", metavar="FILE", help="add the tables of `load --json FILE`")
    parser.add_argument("--hurts", metavar="FILE", help="add the tables of `hurts --json FILE`")
    parser.add_argument(
        "--runs", metavar="FILE", help="the runs of `run --json FILE` instead of a fresh run"
    )
    add_run_arguments(parser, "the fresh run's scale: multiplies the durations")
    output.add_quiet(parser)


def command(args: argparse.Namespace, console: Console) -> int:
    out = Path(args.out)
    # `is not None`: an empty name is refused as unreadable, not ignored.
    bench = report.load_bench(Path(args.bench)) if args.bench is not None else None
    load = report.load_load(Path(args.load)) if args.load is not None else None
    hurts = report.load_hurts(Path(args.hurts)) if args.hurts is not None else None
    runs = report.load_runs(Path(args.runs)) if args.runs is not None else None
    if runs is None:  # a dead --postgres-url refused before the folder is made
        check_postgres(list(scenarios.CATALOGUE), args.postgres_url)
    report.make_folder(out)  # before a run that would be lost
    not_run = ""  # why a scenario could not run, if one could not
    watch: runner.Watch | None = None
    if runs is None:
        names = list(scenarios.CATALOGUE)
        check_jobs(names, MODELS, args.scale)
        with (
            postgres.in_background(uses_postgres(names), args.postgres_url) as database,
            use_services(args.services_url) as svc,
        ):
            jobs, later = jobs_now_and_later(names, MODELS, svc, database, console, args.scale)
            watch = runner.Watch(svc)
            runs = run_with_progress(jobs, console, watch, later)
            not_run = database.error
    report.build(
        out,
        runs,
        bench=bench,
        load=load,
        hurts=hurts,
        environment=documents.to_json(documents.environment()),
    )
    index = (out / "index.html").resolve()
    output.final(console, f"report written: {index.as_uri()}")
    failures = environment_failures(runs, watch)
    if not_run:
        failures.append(f"{not_run}: a scenario could not run")
    for line in failures:
        output.final(console, f"environment failure: {line}", "bold red")
    if failures:
        return ENVIRONMENT
    all_ok = all(run.ok for run in runs)
    if not all_ok:
        output.final(console, "a model differs from its expectation: see the verdicts", "red")
    return OK if all_ok else DIFFERS
