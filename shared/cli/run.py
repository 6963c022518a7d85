"""``concurrency-compare run``: scenarios in each model, side by side, with a verdict.

Every spec is made before anything starts, so a bad one is bad usage; the
scenarios that need no database start while PostgreSQL is still starting.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from rich.console import Console, Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from shared import documents, scenarios
from shared.args import model_list, postgres_url, services_url, writable_file
from shared.contract import DEMO_SCALE, MODELS, PostgresSpec, parse_scale
from shared.errors import DIFFERS, ENVIRONMENT, OK, EnvironmentFailure, UsageError
from shared.harness import postgres, runner
from shared.harness.services import Services, use_services

#: ``--models``: out of the three models.
MODEL_LIST = functools.partial(model_list, known=MODELS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="default: all of them")
    parser.add_argument("--models", type=MODEL_LIST, default=list(MODELS), help="comma-separated")
    add_run_arguments(parser, "multiply the article's durations by this factor")
    parser.add_argument(
        "--json", metavar="FILE", type=writable_file, help="also write every run's details here"
    )


def add_run_arguments(parser: argparse.ArgumentParser, scale: str) -> None:
    """What a run of the scenarios takes, ``run``'s and ``report``'s fresh one alike:
    ``--scale`` (its help is ``scale``), and the services and PostgreSQL to use."""
    parser.add_argument(
        "--scale", type=parse_scale, default=DEMO_SCALE, help=f"{scale} (default {DEMO_SCALE})"
    )
    parser.add_argument(
        "--services-url", type=services_url, help="use services already running there"
    )
    parser.add_argument(
        "--postgres-url", type=postgres_url, help="use a PostgreSQL already running there"
    )


def scenario_names(names: Sequence[str]) -> list[str]:
    """The scenarios named (all of them if none); ``UsageError`` for an unknown name."""
    unknown = [name for name in names if name not in scenarios.CATALOGUE]
    if unknown:
        known = ", ".join(scenarios.CATALOGUE)
        raise UsageError(f"unknown scenario {unknown[0]!r} (known: {known})")
    if len(set(names)) < len(names):
        raise UsageError(f"a scenario named twice: {' '.join(names)}")
    return list(names) or list(scenarios.CATALOGUE)


def command(args: argparse.Namespace, console: Console) -> int:
    names = scenario_names(args.scenarios)
    models, note = models_for(args.models, documents.gil_enabled())
    check_jobs(names, models, args.scale)  # every spec, before anything starts
    if note:
        console.print(Text(note, style="yellow"))
    needs_services = any(scenarios.get(n).uses_services for n in names)
    watch: runner.Watch | None = None
    with (
        postgres.in_background(uses_postgres(names), args.postgres_url) as database,
        use_services(args.services_url) if needs_services else contextlib.nullcontext() as svc,
    ):
        jobs, later = jobs_now_and_later(names, models, svc, database, console, args.scale)
        watch = runner.Watch(svc) if svc is not None else None
        runs = run_with_progress(jobs, console, watch, later)
    by_scenario: dict[str, list[runner.Run]] = {}
    for run in runs:
        by_scenario.setdefault(run.job.scenario, []).append(run)
    for name, group in by_scenario.items():
        console.print(side_by_side(name, group))
    if args.json:
        write_json(args.json, runs)
        console.print(f"wrote every run's details to {args.json}")
    failures = environment_failures(runs, watch)
    if database.error:
        failures.append(f"{database.error}: a scenario could not run")
    for line in failures:
        console.print(Text(f"environment failure: {line}", style="bold red"))
    if failures:
        console.print(Text("the environment failed, not a model", style="bold red"))
        return ENVIRONMENT
    all_ok = all(run.ok for run in runs)
    verdict = "every model did what each scenario expects" if all_ok else "a model differs"
    console.print(Text(verdict, style="bold green" if all_ok else "bold red"))
    return OK if all_ok else DIFFERS


def check_jobs(names: Sequence[str], models: Sequence[str], scale_: float) -> None:
    """Every spec of the run made once, before anything starts: bad ones are bad usage."""
    try:
        runner.jobs_for(names, models, None, scale=scale_)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def environment_failures(runs: Sequence[runner.Run], watch: runner.Watch | None) -> list[str]:
    """What failed in the environment during the runs, one line each; [] if nothing did."""
    if watch is not None and watch.failure:
        return [watch.failure]  # the runs it stopped say only that they were stopped
    return [f"{run.job.scenario} in {run.job.model}: {run.environment}"
            for run in runs if run.environment]  # fmt: skip


def models_for(models: Sequence[str], gil: bool) -> tuple[list[str], str]:
    """The models to run on this interpreter, and a line saying why one is left out."""
    if gil or "gevent" not in models:
        return list(models), ""
    kept = [m for m in models if m != "gevent"]
    note = "gevent left out: it needs the GIL, and this free-threaded interpreter runs without it"
    if not kept:
        raise UsageError(note)
    return kept, note


def uses_postgres(names: list[str]) -> bool:
    return any(issubclass(scenarios.get(n).spec_type, PostgresSpec) for n in names)


def without_postgres(names: list[str], database: postgres.Starting, console: Console) -> list[str]:
    """``names``, less the scenarios that need PostgreSQL if it could not start (said once)."""
    if not database.url() and database.error:
        console.print(Text(f"{database.error}: the database scenario is not run", style="red"))
        return [n for n in names if not uses_postgres([n])]
    return names


def jobs_now_and_later(
    names: list[str],
    models: Sequence[str],
    svc: Services | None,
    database: postgres.Starting,
    console: Console,
    scale_: float,
) -> tuple[list[runner.Job], Callable[[], list[runner.Job]]]:
    """The jobs that can start at once, and a function giving the rest once PostgreSQL is up.

    initdb takes a second or two (more on a busy machine): the scenarios that
    need no database do not wait for it.
    """
    now = [n for n in names if not uses_postgres([n])]

    def later() -> list[runner.Job]:
        waiting = [n for n in without_postgres(names, database, console) if n not in now]
        return runner.jobs_for(waiting, models, svc, database.url(), scale=scale_)

    return runner.jobs_for(now, models, svc, scale=scale_), later


def run_with_progress(
    jobs: list[runner.Job],
    console: Console,
    watch: runner.Watch | None = None,
    later: Callable[[], list[runner.Job]] | None = None,
) -> list[runner.Run]:
    """Run the jobs, and alongside them the ``later`` ones as soon as they can start."""
    columns = (TextColumn("running"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with (
        Progress(*columns, console=console, transient=True) as progress,
        ThreadPoolExecutor(1) as side,
    ):
        bar = progress.add_task("runs", total=len(jobs))

        def advance(_: runner.Run) -> None:
            progress.advance(bar)

        def run_later() -> list[runner.Run]:
            more = later() if later is not None else []
            progress.update(bar, total=len(jobs) + len(more))
            return runner.run_all(more, on_done=advance) if more else []

        rest = side.submit(run_later)
        return runner.run_all(jobs, on_done=advance, watch=watch) + rest.result()


def side_by_side(name: str, runs: list[runner.Run]) -> Table:
    scenario = scenarios.get(name)
    table = Table(title=f"{name} (article {scenario.article}): {scenario.summary}",
                  title_justify="left", expand=True)  # fmt: skip
    for run in runs:
        table.add_column(run.job.model, ratio=1, overflow="fold")
    table.add_row(*(Text("\n".join(run.transcript)) for run in runs))
    table.add_row(*(verdict_cell(run) for run in runs))
    table.caption = f"verdict: {runner.verdict(runs)}"
    table.caption_justify = "left"
    table.caption_style = "green" if all(run.ok for run in runs) else "bold red"
    return table


def verdict_cell(run: runner.Run) -> Group:
    lines = [Text(f"as expected, {run.wall:.2f} s", style="green") if run.ok else
             Text(f"failed: {run.environment}", style="bold red") if run.environment else
             Text("differs: " + "; ".join(run.problems), style="red")]  # fmt: skip
    if run.remeasured:
        lines.append(Text(f"measured {len(run.remeasured) + 1} times: over a timing bound "
                          "before (a busy machine?)", style="yellow"))  # fmt: skip
    diagnostics = run.diagnostics
    for phase, text in diagnostics.stderr.items():
        lines.append(Text(f"stderr at {phase}: {len(text.splitlines())} line(s)", style="yellow"))
    if diagnostics.warnings:
        lines.append(Text(f"warnings: {len(diagnostics.warnings)}", style="yellow"))
    if diagnostics.pending:
        lines.append(Text("left running: " + ", ".join(diagnostics.pending), style="yellow"))
    if diagnostics.sockets > 0:
        lines.append(Text(f"sockets left open: {diagnostics.sockets}", style="yellow"))
    return Group(*lines)


def write_json(path: str, runs: list[runner.Run]) -> None:
    """The runs file (``runner.RunsDocument``), with this machine and interpreter."""
    try:
        runner.write_runs(path, runs, documents.environment())
    except OSError as exc:  # checked before the runs: the disk or the folder changed since
        raise EnvironmentFailure(f"cannot write {path}: {exc.strerror or exc}") from None
