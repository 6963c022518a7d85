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

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from shared import documents, scenarios
from shared.args import model_list, postgres_url, services_url
from shared.cli import helptext, output
from shared.contract import DEMO_SCALE, MODELS, PostgresSpec, parse_scale
from shared.errors import DIFFERS, ENVIRONMENT, OK, EnvironmentFailure, UsageError
from shared.harness import postgres, runner
from shared.harness.services import Services, use_services

#: ``--models``: out of the three models.
MODEL_LIST = functools.partial(model_list, known=MODELS)

DESCRIPTION = helptext.describe(
    "Runs each scenario in each model, every run in an interpreter of its own "
    "against local services that answer after the article's delays (and a "
    "PostgreSQL of its own for the database scenario); shows the models' outputs "
    "side by side, checks each against what the scenario expects, and ends with a "
    "table of verdicts and times, then the verdict.",
    f"about 10 s for every scenario {helptext.HERE}, 2 to 4 s for one",
    "concurrency-compare run fetch ordering --models asyncio,threads",
)

#: The summary table's marks: each run's sign, its style, and what it means.
MARKS = {
    "ok": ("✓", "green", "as expected"),
    "differs": ("✗", "bold red", "differs"),
    "environment": ("!", "bold yellow", "the environment failed"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"the scenarios to run (default: all of them; `{PROG_LIST}` names them)",
    )
    parser.add_argument(
        "--models",
        type=MODEL_LIST,
        default=list(MODELS),
        help=f"comma-separated (default: {','.join(MODELS)})",
    )
    add_run_arguments(parser, "multiply the article's durations by this factor")
    output.add_json(parser, "every run's details")
    output.add_quiet(parser)


PROG_LIST = "concurrency-compare list"


def add_run_arguments(parser: argparse.ArgumentParser, scale: str) -> None:
    """What a run of the scenarios takes, ``run``'s and ``report``'s fresh one alike:
    ``--scale`` (its help is ``scale``), and the services and PostgreSQL to use."""
    parser.add_argument(
        "--scale", type=parse_scale, default=DEMO_SCALE, help=f"{scale} (default {DEMO_SCALE})"
    )
    parser.add_argument(
        "--services-url",
        type=services_url,
        metavar="URL",
        help="use the services `concurrency-compare serve` runs there (default: start them)",
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
    check_postgres(names, args.postgres_url)
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
    for name, group in by_scenario(runs).items():
        console.print(side_by_side(name, group))
    console.print(summary(runs, models))
    if args.json:
        write_json(args.json, runs)
        console.print(f"wrote every run's details to {output.where(args.json)}")
    failures = environment_failures(runs, watch)
    if database.error:
        failures.append(f"{database.error}: a scenario could not run")
    for line in failures:
        output.final(console, f"environment failure: {line}", "bold red")
    if failures:
        output.final(console, "the environment failed, not a model", "bold red")
        return ENVIRONMENT
    differ = [f"{run.job.scenario} in {run.job.model}" for run in runs if not run.ok]
    if differ:
        output.final(console, "a model differs: " + ", ".join(differ), "bold red")
        return DIFFERS
    output.final(console, "every model did what each scenario expects", "bold green")
    return OK


def by_scenario(runs: Sequence[runner.Run]) -> dict[str, list[runner.Run]]:
    """The runs, scenario by scenario, in the order they came."""
    found: dict[str, list[runner.Run]] = {}
    for run in runs:
        found.setdefault(run.job.scenario, []).append(run)
    return found


def summary(runs: Sequence[runner.Run], models: Sequence[str]) -> Group:
    """Scenario by model: each run's mark and wall time, ``✓ 1.23 s``, under a heading
    and over the marks' legend (as a title or caption, they would wrap within the
    table's width)."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("scenario", no_wrap=True)
    for model in models:
        table.add_column(model, justify="right", no_wrap=True)
    for name, group in by_scenario(runs).items():
        of = {run.job.model: run for run in group}
        table.add_row(name, *(mark(of[m]) if m in of else Text("") for m in models))
    legend = "   ".join(f"{sign} {means}" for sign, _, means in MARKS.values())
    heading = Text("summary: each run's verdict and wall time", style="bold")
    return Group(Text(""), heading, table, Text(legend, style="dim"))


def mark(run: runner.Run) -> Text:
    """A run's cell in the summary: its mark and its wall time."""
    kind = "environment" if run.environment else "ok" if run.ok else "differs"
    sign, style, _ = MARKS[kind]
    return Text(f"{sign} {run.wall:.2f} s", style=style)


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


def check_postgres(names: list[str], url: str | None) -> None:
    """A given PostgreSQL, when a scenario needs one, answers before anything starts
    (``postgres.PostgresUnreachable`` if not); without such a scenario, only its form counts."""
    if url and uses_postgres(names):
        postgres.check(url)


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
    with output.steps(console, len(jobs), "running") as steps, ThreadPoolExecutor(1) as side:

        def advance(run: runner.Run) -> None:
            steps.advance()
            steps.doing(f"{run.job.scenario} in {run.job.model} done")

        def run_later() -> list[runner.Run]:
            more = later() if later is not None else []
            steps.more(len(more))
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
    """The runs file (``runner.RunsDocument``), with this machine and interpreter;
    ``-``: on standard output."""
    try:
        if path == output.STDOUT:
            document = runner.RunsDocument(environment=documents.environment(),
                                           runs=[run.record() for run in runs])  # fmt: skip
            output.write_json(path, document)
            return
        runner.write_runs(path, runs, documents.environment())
    except OSError as exc:  # checked before the runs: the disk or the folder changed since
        raise EnvironmentFailure(f"cannot write {path}: {exc.strerror or exc}") from None
