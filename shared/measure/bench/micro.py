"""pyperf's manager for the micro-workloads: ``python -m shared.measure.bench.micro``.

``spawn`` and ``switch`` take microseconds per operation, the case pyperf is
made for: each worker process (``python -m <model>_impl bench WORKLOAD
--worker ...``, a fresh interpreter of the model) runs a warm-up value, then
several values of ``--loops`` operations each, and records the load average.
This manager starts the workers one after the other and collects their values.

It runs in a plain interpreter, never under a model: its own work (starting
processes, reading their pipes) is not what is measured, and under gevent's
patch pyperf's blocking pipe read waits forever for a worker that has ended.
"""

from __future__ import annotations

import sys

from shared.args import OneLineParser
from shared.contract import MODELS
from shared.measure.bench.child import MICRO, make_parser, write_report


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in MODELS:
        OneLineParser(prog="python -m shared.measure.bench.micro").error(
            f"the first argument is the model's package: {', '.join(MODELS)}"
        )
    package, *rest = argv  # asyncio, gevent or threads; asyncio+uvloop is asyncio --uvloop
    parser = make_parser(package)
    args, pyperf_argv = parser.parse_known_args(rest)
    if args.workload not in MICRO:
        parser.error(f"pyperf times {' and '.join(MICRO)} only, not {args.workload}")
    import pyperf

    own = [args.workload, *(["--uvloop"] if args.uvloop else [])]
    runner = pyperf.Runner(program_args=("-m", f"{package}_impl", "bench", *own))
    runner.parse_args(pyperf_argv)
    benchmark = runner.bench_time_func(args.workload, lambda loops: 0.0)  # run by the workers
    runs = [run for run in benchmark.get_runs() if run.values]  # not calibration runs
    report = {
        "model": f"{package}+uvloop" if args.uvloop else package,
        "workload": args.workload,
        "seconds_per_op": list(benchmark.get_values()),
        "loops": benchmark.get_loops(),
        "processes": len(runs),
        "loads": [run.get_metadata().get("load_avg_1min") for run in runs],
    }
    write_report(report, args.result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
