"""Cross-check the bench against the standalone scripts in ``standalone/``.

    python -m shared.measure.bench.crosscheck [spawn switch memory fanout]
        [--models M,N] [--quick] [--json FILE]

For spawn, switch and memory, the bench's figure (its job, as ``concurrency-
compare bench`` runs it) and the standalone script's figure for the same N,
measured alternately in the same run; for the tuned fan-out, the bench's
overhead per request (wall - D, over N) against a minimal client's, both on
one server. Prints each pair, their ratio, and the load average around them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from shared import args as argtypes
from shared.harness import processes
from shared.harness.services import Services, open_services
from shared.measure.bench.figures import Measure
from shared.measure.bench.measure import run_job
from shared.measure.bench.plan import (
    FULL,
    QUICK,
    THREAD_CAP,
    Job,
    Plan,
    available_models,
    model_list,
)

HERE = Path(__file__).resolve().parent / "standalone"
DELAY = 0.1
CHECKS = ("spawn", "switch", "memory", "fanout")


def check_name(text: str) -> str:
    """A check's name (an argparse type)."""
    if text not in CHECKS:
        raise argparse.ArgumentTypeError(f"checks are {', '.join(CHECKS)}, not {text!r}")
    return text


def standalone(script: str, *args: object) -> dict[str, Any]:
    """The JSON line that ``standalone/SCRIPT ARGS`` prints last."""
    command = [sys.executable, str(HERE / script), *map(str, args)]
    done = processes.run(command, timeout=600)
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()[-1:] or [done.describe()]
        raise SystemExit(f"{script} {' '.join(map(str, args))}: {said[0]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench(job: Job, plan: Plan, services: Services | None) -> Measure:
    measure = run_job(job, plan, services)
    if measure.error:
        raise SystemExit(f"{job}: {measure.error}")
    return measure


def micro(workload: str, model: str, plan: Plan) -> tuple[float, float]:
    size = plan.spawn_tasks if workload == "spawn" else plan.switch_rounds
    metric = "us_per_task" if workload == "spawn" else "us_per_round_trip"
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(2):  # taking turns, so that a burst of load elsewhere falls on both
        ours += bench(Job(workload, model, "", size, 0), plan, None).values[metric]
        for _ in range(plan.processes):  # as many fresh processes as pyperf's workers
            theirs += standalone(f"{workload}.py", model, size, plan.warmups, plan.values)["us"]
    return statistics.median(ours), statistics.median(theirs)


def memory(model: str, size: int, rounds: int, plan: Plan) -> tuple[float, float]:
    ours, theirs = [], []
    for _ in range(rounds):
        ours += bench(Job("memory", model, "", size, 0), plan, None).values["resident_kib_per_task"]
        theirs.append(standalone("memory.py", model, size)["resident_kib"])
    return statistics.median(ours), statistics.median(theirs)


def fanout(
    model: str, size: int, rounds: int, plan: Plan, services: Services
) -> tuple[float, float]:
    ours, theirs = [], []
    url = f"{services.url}/events?delay={DELAY}"
    for _ in range(rounds):
        job = Job("fanout", model, "tuned", size, 0)
        ours += bench(job, plan, services).values["overhead_us_per_request"]
        result = standalone("fanout.py", model, url, size)
        if result["failures"]:
            raise SystemExit(f"the standalone client failed {result['failures']} requests")
        theirs.append((result["wall"] - DELAY) / size * 1e6)
    return statistics.median(ours), statistics.median(theirs)


def main() -> int:
    parser = argtypes.OneLineParser(
        prog="python -m shared.measure.bench.crosscheck", description=__doc__.splitlines()[0]
    )
    parser.add_argument("checks", nargs="*", type=check_name, default=list(CHECKS))
    parser.add_argument("--models", type=model_list, default=list(available_models()))
    parser.add_argument("--quick", action="store_true", help="the quick plan's sizes")
    parser.add_argument("--json", metavar="FILE", type=argtypes.writable_file)
    args = parser.parse_args()
    models = args.models
    plan = QUICK if args.quick else FULL
    rows: list[dict[str, Any]] = []

    def record(check: str, model: str, size: int, pair: tuple[float, float], load: float) -> None:
        ours, theirs = pair
        row = {"check": check, "model": model, "size": size, "bench": ours,
               "standalone": theirs, "ratio": ours / theirs,
               "load": f"{load:.2f}-{os.getloadavg()[0]:.2f}"}  # fmt: skip
        rows.append(row)
        ratio, around = row["ratio"], row["load"]
        line = (f"{check:<26} {model:<15} {size:>7,}  bench {ours:10.2f}  "
                f"standalone {theirs:10.2f}  ratio {ratio:.2f}  load {around}")  # fmt: skip
        print(line, flush=True)

    for workload in [w for w in ("spawn", "switch") if w in args.checks]:
        for model in models:
            load = os.getloadavg()[0]
            size = plan.spawn_tasks if workload == "spawn" else plan.switch_rounds
            record(f"{workload} µs", model, size, micro(workload, model, plan), load)
    for size in plan.memory_sizes if "memory" in args.checks else ():
        for model in models:
            if model == "threads" and size > THREAD_CAP:
                continue
            load = os.getloadavg()[0]
            record("memory resident KiB/task", model, size, memory(model, size, 3, plan), load)
    with open_services() as services:
        for size in plan.fanout_sizes[1:] if "fanout" in args.checks else ():
            for model in models:
                load = os.getloadavg()[0]
                # Below 1,000 the overhead is a few milliseconds in all: more rounds.
                rounds = {100: 9, 1_000: 3}.get(size, 2)
                pair = fanout(model, size, rounds, plan, services)
                record("fanout µs/request overhead", model, size, pair, load)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
