"""Hosts one model in its own interpreter: ``python -m <model>_impl SCENARIO``.

Run by hand, it prints the model's output in the article's style. Run by the
runner (``--result FILE``), it also writes a JSON report: the outcome, the
transcript, and the diagnostics, which say what the model did besides its job:

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
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any, TextIO

from shared import scenarios
from shared.bench import child
from shared.contract import MODELS, HttpSpec, Spec, Transcript
from shared.postgres import PostgresError, PostgresSpec, use_postgres
from shared.services import ServicesError, use_services


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit status 2."""


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


def open_sockets() -> int:
    """How many sockets this process has open (Linux; -1 where it cannot tell)."""
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return -1
    count = 0
    for fd in fds:
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


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


def parse(model: str, argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m {model}_impl",
        description=f"Run one scenario in the {model} model and print its output.",
    )
    parser.add_argument("scenario", help="one of: " + ", ".join(scenarios.CATALOGUE))
    parser.add_argument("--scale", type=float, help="shrink every duration by this factor")
    parser.add_argument("--spec", default="{}", help="spec fields as a JSON object")
    parser.add_argument("--services-url", help="use running services instead of starting them")
    parser.add_argument("--postgres-url", help="use a running PostgreSQL instead of starting one")
    parser.add_argument("--result", help="write the JSON report here (used by the runner)")
    return parser.parse_args(argv)


def build_spec(args: argparse.Namespace) -> tuple[Any, Spec]:
    try:
        scenario = scenarios.get(args.scenario)
        values = json.loads(args.spec)
        if not isinstance(values, dict):
            raise ValueError("--spec must be a JSON object")
        if args.scale is not None:
            values["scale"] = args.scale
        return scenario, scenario.spec(**values)
    except (LookupError, ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


def run_hosted(model: str, module: ModuleType, spec: Spec, result: str | None) -> int:
    runtime = importlib.import_module(f"{model}_impl.runtime")
    out = Transcript()
    recorder = StderrRecorder(sys.stderr, clock=out.elapsed)
    report: dict[str, Any] = {"model": model, "spec": spec.to_json(), "warnings": []}
    status = 0
    sys.stderr = recorder
    try:
        with recording_warnings(report["warnings"], recorder):
            runtime.prepare()
            try:
                report["outcome"] = module.run(spec, out).to_json()
            except Exception:
                traceback.print_exc()
                report["error"] = traceback.format_exc().strip().splitlines()[-1]
                status = 1
            report["pending"] = runtime.pending_work()
            report["sockets"] = open_sockets()
            recorder.phase = "collect"
            gc.collect()
            recorder.phase = "exit"
    finally:
        sys.stderr = recorder.stream
    report["transcript"] = {"lines": out.lines, "times": out.times}
    report["stderr"] = recorder.by_phase
    report["stderr_began"] = recorder.began
    if result:
        report["reported_at"] = time.time()
        with open(result, "w", encoding="utf-8") as file:
            json.dump(report, file)
    return status


def main(model: str, argv: list[str] | None = None) -> int:
    """The ``__main__`` of every impl package."""
    assert model in MODELS
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:  # a benchmark workload, not a scenario: see shared.bench
        return child.main(model, argv[1:])
    args = parse(model, argv)
    try:
        scenario, spec = build_spec(args)
        module = importlib.import_module(f"{model}_impl.{scenario.name}")
        if isinstance(spec, PostgresSpec) and not spec.postgres_url:
            with use_postgres(args.postgres_url) as server:
                spec = spec.pointed_at_postgres(server.url)
                return run_hosted(model, module, spec, args.result)
        if not isinstance(spec, HttpSpec) or spec.services_url:
            return run_hosted(model, module, spec, args.result)
        with use_services(args.services_url) as services:
            spec = spec.pointed_at(services.url, services.unreachable)
            return run_hosted(model, module, spec, args.result)
    except (UsageError, ServicesError, PostgresError) as exc:
        print(f"python -m {model}_impl: error: {exc}", file=sys.stderr)
        return 2
