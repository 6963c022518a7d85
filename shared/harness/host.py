"""Hosts one model in its own interpreter: ``python -m <model>_impl SCENARIO``.

Run by hand, it prints the model's output in the article's style. Run by the
runner (``--result FILE``), it also writes a JSON report (``HostReport`` in the
contract): the outcome, the transcript, and the diagnostics, which say what the
model did besides its job:

* ``stderr``: what reached standard error while the scenario ran (``run``), while
  the garbage collector swept up after it (``collect``); the runner adds what
  came during interpreter shutdown (``exit``); ``stderr_began``: when each
  phase's text began, on the transcript's clock;
* ``warnings``: every warning shown, ResourceWarning included (Python hides it
  by default; here an unclosed socket is exactly what we want to see);
* ``pending``: work still alive when the scenario returned, in the model's own
  terms (tasks, greenlets, threads);
* ``sockets``: sockets the process still has open at that moment.

This module is imported after the model's package, so gevent is already
monkey-patched by then.

Its exit statuses are the CLI's (``shared.errors``): 1 when the scenario
raised (the model's failure, summarised in one line, ExceptionGroups
included), 2 for bad usage, 3 when the services it started failed, 4 for a bug.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TextIO, cast

from shared import scenarios
from shared.args import Parser, postgres_url, services_url, writable_file
from shared.contract import (
    MAX_SCALE,
    MIN_SCALE,
    HostReport,
    HttpSpec,
    Outcome,
    PostgresSpec,
    Runtime,
    Scenario,
    ScenarioModule,
    Spec,
    Transcript,
    http_timeout,
    parse_scale,
)
from shared.errors import DIFFERS, EXIT_STATUSES, OK, UsageError, summary
from shared.harness import procfs
from shared.harness.postgres import check, use_postgres
from shared.harness.services import use_services


class StderrRecorder:
    """Passes everything through to the real stderr and keeps a copy per phase.

    With a ``clock``, it also notes when each phase's text began: on the
    transcript's clock, that says whether a report came before or after a line
    the scenario printed.
    """

    def __init__(self, stream: TextIO, clock: Callable[[], float] | None = None) -> None:
        self.stream = stream
        self.phase = "run"
        self.by_phase: dict[str, str] = {}
        self.clock = clock
        self.began: dict[str, float] = {}

    def write(self, text: str) -> int:
        if text and self.clock is not None and self.phase not in self.began:
            self.began[self.phase] = self.clock()
        self.by_phase[self.phase] = self.by_phase.get(self.phase, "") + text
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextlib.contextmanager
def recording_warnings(log: list[str], recorder: StderrRecorder) -> Iterator[None]:
    shown = warnings.showwarning

    def record(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
        log.append(f"{recorder.phase}: {category.__name__}: {message}")
        shown(message, category, *args, **kw)

    warnings.simplefilter("default", ResourceWarning)
    warnings.showwarning = record
    try:
        yield
    finally:
        warnings.showwarning = shown


def make_parser(model: str) -> Parser:
    parser = Parser(
        prog=f"python -m {model}_impl",
        description=f"Run one scenario in the {model} model and print its output.",
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", help="one of: " + ", ".join(scenarios.CATALOGUE))
    parser.add_argument(
        "--scale",
        type=parse_scale,
        help=f"multiply every duration by this factor ({MIN_SCALE:g} to {MAX_SCALE:g})",
    )
    parser.add_argument("--spec", default="{}", help="spec fields as a JSON object")
    parser.add_argument(
        "--services-url", type=services_url, help="use running services instead of starting them"
    )
    parser.add_argument(
        "--postgres-url",
        type=postgres_url,
        help="use a running PostgreSQL instead of starting one",
    )
    parser.add_argument(
        "--result", type=writable_file, help="write the JSON report here (used by the runner)"
    )
    return parser


def parse(model: str, argv: list[str]) -> argparse.Namespace:
    return make_parser(model).parse_args(argv)


def build_spec(args: argparse.Namespace) -> tuple[Scenario[Any, Any], Spec]:
    """The scenario and its spec from the arguments; ``UsageError`` if they make no sense."""
    try:
        http_timeout()
        scenario = scenarios.get(args.scenario)
        values = json.loads(args.spec)
        if not isinstance(values, dict):
            raise ValueError("--spec must be a JSON object")
    except LookupError as exc:
        raise UsageError(str(exc.args[0])) from None
    except ValueError as exc:
        text = f"--spec: {exc}" if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise UsageError(text) from None
    if args.scale is not None:
        values["scale"] = args.scale
    try:
        return scenario, scenario.spec(**values)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


def run_hosted(model: str, module: ScenarioModule[Any, Outcome], spec: Spec,
               result: str | None) -> int:  # fmt: skip
    runtime = cast(Runtime, importlib.import_module(f"{model}_impl.runtime"))
    out = Transcript()
    recorder = StderrRecorder(sys.stderr, clock=out.elapsed)
    report = HostReport(model=model, spec=spec.to_json())
    status = OK
    sys.stderr = recorder
    try:
        with recording_warnings(report.warnings, recorder):
            runtime.prepare()
            try:
                report.outcome = module.run(spec, out).to_json()
            except Exception as exc:  # the model's own failure: its result, not ours
                traceback.print_exc()
                report.error = summary(exc)
                # The traceback's last line may be the border of an exception
                # group's box: the summary says what failed, in one line.
                print(f"python -m {model}_impl: the scenario failed: {report.error}",
                      file=sys.stderr)  # fmt: skip
                status = DIFFERS
            report.pending = runtime.pending_work()
            report.sockets = procfs.open_sockets()
            recorder.phase = "collect"
            gc.collect()
            recorder.phase = "exit"
    finally:
        sys.stderr = recorder.stream
    report.lines, report.times = out.lines, out.times
    report.stderr = recorder.by_phase
    report.stderr_began = recorder.began
    if result:
        report.reported_at = time.time()
        with open(result, "w", encoding="utf-8") as file:
            json.dump(report.to_json(), file)
    return status


def host_scenario(model: str, argv: list[str]) -> int:
    """Runs the scenario ``argv`` names, with the services or the database it needs."""
    args = parse(model, argv)
    scenario, spec = build_spec(args)
    module = cast(
        ScenarioModule[Any, Outcome],
        importlib.import_module(f"{model}_impl.{scenario.name}"),
    )
    if isinstance(spec, PostgresSpec) and spec.postgres_url and args.result is None:
        # Run by hand: asked once, with a short timeout, so that a dead server is
        # refused in one line (exit 2), not found by the scenario's own connections
        # after 30 s. A runner's run (``--result``) was checked by its command.
        check(spec.postgres_url)
    if isinstance(spec, PostgresSpec) and not spec.postgres_url:
        with use_postgres(args.postgres_url) as server:
            spec = spec.pointed_at_postgres(server.url)
            return run_hosted(model, module, spec, args.result)
    if not isinstance(spec, HttpSpec) or spec.services_url:
        return run_hosted(model, module, spec, args.result)
    with use_services(args.services_url) as services:
        spec = spec.pointed_at(services.url, services.unreachable)
        return run_hosted(model, module, spec, args.result)
