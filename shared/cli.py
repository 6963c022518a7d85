"""``concurrency-compare``: the command line.

Exit statuses: see ``shared.errors`` (0 as expected, 1 a model differs, 2 bad
usage, 3 the environment failed, 4 a bug, 128+N a signal); ``--help`` lists them.
Every argument is checked before any work starts. Whatever ends the program
(Ctrl-C, SIGTERM, SIGHUP, a bug), the processes it started end with it and its
temporary files go (``shared.processes``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from shared import postgres, processes, report, runner, scenarios, show
from shared.bench import command as bench_command
from shared.contract import DEMO_SCALE, MODELS, http_timeout
from shared.errors import (
    DIFFERS,
    ENVIRONMENT,
    EXIT_STATUSES,
    OK,
    EnvironmentFailure,
    Parser,
    UsageError,
    model_list,
    port_number,
    run_command,
    scale,
    services_url,
    writable_file,
)
from shared.hurts import command as hurts_command
from shared.load import command as load_command
from shared.services import HOST, Services, ServicesError, use_services

PROG = "concurrency-compare"


# -- argument checks ----------------------------------------------------------


def scenario_names(names: Sequence[str]) -> list[str]:
    """The scenarios named (all of them if none); ``UsageError`` for an unknown name."""
    unknown = [name for name in names if name not in scenarios.CATALOGUE]
    if unknown:
        known = ", ".join(scenarios.CATALOGUE)
        raise UsageError(f"unknown scenario {unknown[0]!r} (known: {known})")
    if len(set(names)) < len(names):
        raise UsageError(f"a scenario named twice: {' '.join(names)}")
    return list(names) or list(scenarios.CATALOGUE)


def make_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="The same I/O scenarios in asyncio, gevent and threads.",
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", parser_class=Parser
    )

    listing = commands.add_parser("list", help="the scenarios, one line each")
    listing.set_defaults(handler=command_list)

    run = commands.add_parser(
        "run", help="run scenarios in each model, side by side, with a verdict"
    )
    run.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="default: all of them")
    run.add_argument("--models", type=model_list, default=list(MODELS), help="comma-separated")
    run.add_argument(
        "--scale",
        type=scale,
        default=DEMO_SCALE,
        help=f"multiply the article's durations by this factor (default {DEMO_SCALE})",
    )
    run.add_argument("--services-url", type=services_url, help="use services already running there")
    run.add_argument("--postgres-url", help="use a PostgreSQL already running there")
    run.add_argument(
        "--json", metavar="FILE", type=writable_file, help="also write every run's details here"
    )
    run.set_defaults(handler=command_run)

    show_ = commands.add_parser("show", help="a scenario's implementations side by side")
    show_.add_argument("scenario", metavar="SCENARIO")
    show_.add_argument("--models", type=model_list, default=list(MODELS), help="comma-separated")
    show_.add_argument(
        "--layout",
        choices=show.LAYOUTS,
        default="auto",
        help="columns, stacked, or (default) columns when the terminal is wide enough",
    )
    show_.set_defaults(handler=command_show)

    report_ = commands.add_parser(
        "report", help="a static HTML site: code side by side, outputs, verdicts, benchmarks"
    )
    report_.add_argument("--out", default="report", metavar="DIR", help="default: ./report")
    report_.add_argument("--bench", metavar="FILE", help="add the tables of `bench --json FILE`")
    report_.add_argument("--load", metavar="FILE", help="add the tables of `load --json FILE`")
    report_.add_argument("--hurts", metavar="FILE", help="add the tables of `hurts --json FILE`")
    report_.add_argument(
        "--runs", metavar="FILE", help="the runs of `run --json FILE` instead of a fresh run"
    )
    report_.add_argument(
        "--scale",
        type=scale,
        default=DEMO_SCALE,
        help=f"the fresh run's scale: multiplies the durations (default {DEMO_SCALE})",
    )
    report_.add_argument(
        "--services-url", type=services_url, help="use services already running there"
    )
    report_.add_argument("--postgres-url", help="use a PostgreSQL already running there")
    report_.set_defaults(handler=command_report)

    bench = commands.add_parser(
        "bench", help="what each model costs: spawn, memory, switch, fan-out, throughput"
    )
    bench_command.add_arguments(bench)
    bench.set_defaults(handler=command_bench)

    load = commands.add_parser(
        "load", help="the same service in each model under gunicorn, measured open-loop"
    )
    load_command.add_arguments(load)
    load.set_defaults(handler=command_load)

    hurts = commands.add_parser(
        "hurts", help="what hurts a service: CPU in the handler, a blocking call, idle connections"
    )
    hurts_command.add_arguments(hurts)
    hurts.set_defaults(handler=command_hurts)

    from shared import introspect  # its own module: python -m shared.introspect runs it too

    introspect.add_command(commands)

    serve_ = commands.add_parser("serve", help="run the local services in the foreground")
    serve_.add_argument("--port", type=port_number, default=0, help="default: a free port")
    serve_.set_defaults(handler=command_serve)
    return parser


# -- commands -----------------------------------------------------------------


def command_list(args: argparse.Namespace, console: Console) -> int:
    table = Table(box=None)
    table.add_column("scenario", no_wrap=True)
    table.add_column("article", no_wrap=True)  # "tutorial: Locks and Semaphores" stays whole
    table.add_column("what it shows")
    for scenario in scenarios.CATALOGUE.values():
        table.add_row(scenario.name, scenario.article, scenario.summary)
    console.print(table)
    return 0


def command_run(args: argparse.Namespace, console: Console) -> int:
    names = scenario_names(args.scenarios)
    models, note = models_for(args.models, gil_enabled())
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


def gil_enabled() -> bool:
    """Whether this interpreter runs with the GIL (a free-threaded build may not)."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return bool(is_enabled()) if is_enabled is not None else True


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
    return any(issubclass(scenarios.get(n).spec_type, postgres.PostgresSpec) for n in names)


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


def check_writable(path: str) -> None:
    try:
        writable_file(path)
    except argparse.ArgumentTypeError as exc:
        raise UsageError(str(exc)) from None


def environment() -> dict[str, Any]:
    """The machine and the interpreter the figures come from: in every JSON written."""
    versions = {}
    for package in ("aiohttp", "gevent", "greenlet", "requests", "urllib3", "uvloop", "pyperf"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "gil_enabled": gil_enabled(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "packages": versions,
    }


def write_json(path: str, runs: list[runner.Run]) -> None:
    document = {"environment": environment(), "runs": [run.to_json() for run in runs]}
    try:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(document, file, indent=2)
    except OSError as exc:  # checked before the runs: the disk or the folder changed since
        raise EnvironmentFailure(f"cannot write {path}: {exc.strerror or exc}") from None


def command_show(args: argparse.Namespace, console: Console) -> int:
    scenario_names([args.scenario])  # an unknown name is a usage error, before any reading
    show.show(console, args.scenario, args.models, args.layout)
    return 0


def command_report(args: argparse.Namespace, console: Console) -> int:
    out = Path(args.out)
    # `is not None`: an empty name is refused as unreadable, not ignored.
    bench = report.load_bench(Path(args.bench)) if args.bench is not None else None
    load = report.load_load(Path(args.load)) if args.load is not None else None
    hurts = report.load_hurts(Path(args.hurts)) if args.hurts is not None else None
    runs = report.load_runs(Path(args.runs)) if args.runs is not None else None
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
    report.build(out, runs, bench=bench, load=load, hurts=hurts, environment=environment())
    index = (out / "index.html").resolve()
    console.print(f"report written: {index.as_uri()}")
    failures = environment_failures(runs, watch)
    if not_run:
        failures.append(f"{not_run}: a scenario could not run")
    for line in failures:
        console.print(Text(f"environment failure: {line}", style="bold red"))
    if failures:
        return ENVIRONMENT
    all_ok = all(run.ok for run in runs)
    if not all_ok:
        console.print(Text("a model differs from its expectation: see the verdicts", style="red"))
    return OK if all_ok else DIFFERS


def command_bench(args: argparse.Namespace, console: Console) -> int:
    if args.json is not None:  # "" too: an empty name is refused, not ignored
        check_writable(args.json)
    return bench_command.run(console, args, environment())


def command_load(args: argparse.Namespace, console: Console) -> int:
    try:
        load_command.check(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return load_command.run(console, args, environment())


def command_hurts(args: argparse.Namespace, console: Console) -> int:
    return hurts_command.run(console, args, environment())


def command_serve(args: argparse.Namespace, console: Console) -> int:
    def ready(urls: dict[str, str]) -> None:
        console.print(f"serving on {urls['url']} (unreachable: {urls['unreachable']})")
        console.print("endpoints: /events /ip/ipify /ip/ip-api /ip/malformed /hang /stats")
        console.print("Ctrl-C stops it")

    from shared.server import serve  # here, so other commands need not import aiohttp.web

    try:
        asyncio.run(serve(args.port, ready))
    except OSError as exc:
        raise UsageError(f"cannot listen on {HOST}:{args.port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None, console: Console | None = None) -> int:
    """The CLI; ``console``: rich's, sized from the terminal (or $COLUMNS) unless given."""
    # SIGTERM and SIGHUP (a CI runner, `timeout`, a closed terminal) clean up as
    # Ctrl-C does; signals can only be handled in the main thread.
    in_main = threading.current_thread() is threading.main_thread()
    with processes.handle_termination() if in_main else contextlib.nullcontext():
        return run_main(argv, console or Console())


def run_main(argv: list[str] | None, console: Console) -> int:
    return run_command(PROG, lambda: run_parsed(argv, console), (ServicesError, report.ReportError))


def run_parsed(argv: list[str] | None, console: Console) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `concurrency-compare`: what it can do
        parser.print_help()
        return OK
    try:
        http_timeout()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    status: int = args.handler(args, console)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
