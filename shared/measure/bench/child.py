"""One workload in a model's own interpreter: ``python -m <model>_impl bench WORKLOAD``.

``shared.harness.host`` hands over here when its first argument is ``bench``, so the
model's package was imported first (gevent's patch included). Nothing here
prepares the model the way a scenario run does (no task factory, no warnings
recorder): the figures are those of the model as its users run it.

The micro-workloads (``spawn``, ``switch``) go through pyperf: its manager
(``shared.measure.bench.micro``, a plain interpreter) starts its workers as this same
command with pyperf's worker options, each a fresh interpreter of the model.
The other workloads are run once here; ``shared.measure.bench.measure`` repeats the command.

Run by hand it prints the result as JSON; ``--result FILE`` writes it there.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import inspect
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from shared import args as argtypes
from shared.contract import jsonable
from shared.harness import processes
from shared.harness.services import raise_open_files_limit
from shared.measure.bench.records import Parked

WORKLOADS = ("spawn", "memory", "switch", "fanout", "throughput")
MICRO = ("spawn", "switch")  # timed by pyperf, in its own worker processes
VARIANTS = ("tuned", "defaults")
#: Seconds a job that is not a fan-out or a throughput may take before it is stopped.
JOB_TIMEOUT = 300.0

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def make_parser(model: str) -> argparse.ArgumentParser:
    parser = argtypes.OneLineParser(
        prog=f"python -m {model}_impl bench",
        description=f"Run one benchmark workload in the {model} model.",
        epilog="spawn and switch also take pyperf's options (--processes, --values, --loops...)",
    )
    parser.add_argument("workload", choices=WORKLOADS)
    size = argtypes.whole(1, 10_000_000, "tasks or requests")
    parser.add_argument("--size", type=size, default=1000, help="tasks or requests")
    parser.add_argument("--url", type=argtypes.http_url, help="the URL to GET (fanout, throughput)")
    parser.add_argument("--variant", choices=VARIANTS, default="tuned", help="fanout's limits")
    passes = argtypes.whole(1, 100, "passes")
    parser.add_argument("--passes", type=passes, default=1, help="fanout: passes over one session")
    seconds = argtypes.positive_number
    parser.add_argument("--deadline", type=seconds, default=60.0, help="fanout: seconds per pass")
    parser.add_argument("--seconds", type=seconds, default=1.0, help="throughput: how long")
    workers = argtypes.whole(1, 100_000, "workers")
    parser.add_argument(
        "--concurrency", type=workers, default=50, help="throughput: how many workers"
    )
    parser.add_argument("--uvloop", action="store_true", help="asyncio on uvloop's event loop")
    parser.add_argument(
        "--result", metavar="FILE", type=argtypes.writable_file, help="write the JSON result here"
    )
    return parser


def call(function: Callable[..., Any], *args: Any, loop_factory: LoopFactory | None) -> Any:
    """``function(*args)``; a coroutine (asyncio's workloads) runs in a fresh event loop."""
    outcome = function(*args)
    if inspect.iscoroutine(outcome):
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(outcome)
    return outcome


def loop_factory_for(model: str, uvloop: bool) -> LoopFactory | None:
    if not uvloop:
        return None
    if model != "asyncio":
        raise SystemExit(f"python -m {model}_impl bench: error: --uvloop is for asyncio only")
    import uvloop as module  # an optional extra: concurrency-compare[uvloop]

    factory: LoopFactory = module.new_event_loop
    return factory


def run_worker(
    workload: Callable[..., Any],
    args: argparse.Namespace,
    pyperf_argv: list[str],
    loop_factory: LoopFactory | None,
) -> None:
    """Be one of pyperf's worker processes for ``spawn`` or ``switch``."""
    import pyperf

    runner = pyperf.Runner()
    runner.parse_args(pyperf_argv)

    def timed(loops: int) -> float:
        # One value is `loops` tasks (or round trips); pyperf divides by loops.
        seconds: float = call(workload, loops, loop_factory=loop_factory)
        return seconds

    runner.bench_time_func(args.workload, timed)


def run_once(
    workload: Callable[..., Any], args: argparse.Namespace, loop_factory: LoopFactory | None
) -> dict[str, Any]:
    if args.workload == "memory":
        arguments: tuple[Any, ...] = (args.size,)
    elif args.workload == "fanout":
        tuned = args.variant == "tuned"
        arguments = (args.url, args.size, tuned, args.passes, args.deadline)
    else:
        arguments = (args.url, args.seconds, args.concurrency)
    load = os.getloadavg()[0]
    before = os.times()
    outcome = call(workload, *arguments, loop_factory=loop_factory)
    after = os.times()
    cpu = (after.user - before.user) + (after.system - before.system)
    shown = per_task(outcome) if isinstance(outcome, Parked) else jsonable(outcome)
    return {"outcome": shown, "cpu_seconds": cpu, "load": load}


def per_task(parked: Parked) -> dict[str, Any]:
    """The memory that parked tasks added, per task in KiB, as the bench's tables say it."""
    tasks = parked.tasks

    def kib(total: int) -> float | None:
        return total / tasks / 1024 if tasks else None

    return {
        "tasks": tasks,
        "resident_kib_per_task": kib(parked.resident),
        "virtual_kib_per_task": kib(parked.virtual),
        "stopped": parked.stopped,
    }


def main(model: str, argv: list[str]) -> int:
    parser = make_parser(model)
    args, rest = parser.parse_known_args(argv)
    if rest and args.workload not in MICRO:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.workload in ("fanout", "throughput") and not args.url:
        parser.error(f"{args.workload} needs --url")
    if args.uvloop and model != "asyncio":
        parser.error("--uvloop is for asyncio only")
    if args.workload in MICRO and "--worker" not in rest:
        # pyperf's manager starts the workers and reads their results: it runs in a
        # plain interpreter, not under the model (under gevent's patch it hangs).
        return by_the_manager(model, argv)
    raise_open_files_limit()  # a fan-out of 10,000 needs 10,000 sockets at once
    loop_factory = loop_factory_for(model, args.uvloop)
    workload = getattr(importlib.import_module(f"{model}_impl.workloads"), args.workload)
    if args.workload in MICRO:
        import pyperf  # noqa: F401 - imported before the freeze below, like everything else
    # Everything imported so far (this host, the client libraries) stays alive and
    # unchanged: frozen, the garbage collector stops re-scanning it, so a figure does
    # not depend on how much a model's process happened to import (unfrozen, the
    # collections that spawning many tasks sets off would scan it all again and again).
    gc.freeze()
    if args.workload in MICRO:
        run_worker(workload, args, rest, loop_factory)
        return 0
    report = run_once(workload, args, loop_factory)
    report |= {"model": model, "workload": args.workload, "uvloop": args.uvloop}
    write_report(report, args.result)
    return 0


def by_the_manager(model: str, argv: list[str]) -> int:
    """``spawn`` or ``switch`` run by hand: pyperf's manager (``shared.measure.bench.micro``)
    times it, its report on this stdout; the exit status is the manager's."""
    command = [sys.executable, "-m", "shared.measure.bench.micro", model, *argv]
    finished = processes.run(command, timeout=JOB_TIMEOUT, stdout=None)
    sys.stderr.write(finished.stderr)
    if finished.returncode is None:
        print(f"pyperf's manager: {finished.describe()}", file=sys.stderr)
        return 1
    return finished.returncode


def write_report(report: dict[str, Any], path: str | None) -> None:
    """The JSON report to ``path``, or to stdout when there is none."""
    text = json.dumps(report)
    if path:
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
    else:
        print(text, flush=True)
