"""``concurrency-compare load``: the open-loop generator, alone or in the experiment.

* ``load --target URL --rate R --duration S``: one run of the generator against
  any HTTP service (yours too), its percentiles, achieved rate and errors.
* ``load [--quick]``: latency against offered load for every deployment of the
  service (each model's deployed stacks under gunicorn, and each model alone on
  one parser), repeated and interleaved, the worker on a CPU of its own, with
  k6 beside the generator and wrk's closed loop beside both.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import os
import shutil
import time
from importlib import metadata
from pathlib import Path

from rich.console import Console
from rich.text import Text

from shared import args as argtypes
from shared import documents
from shared.cli import cores, helptext, output
from shared.contract import HTTP_TIMEOUT
from shared.documents import Environment
from shared.errors import OK, UNTRUSTED, UsageError
from shared.harness import processes
from shared.measure import deploy
from shared.measure.load import experiment, generator
from shared.measure.load.document import DELAY, Plan, TargetDocument
from shared.measure.load.generator import Schedule
from shared.present import load as present

#: Seconds a ladder (one deployment, one repeat) took here: the full run's 2,513 s
#: (docs/load/load.json's "seconds") over its 8 deployments x 5 repeats, and the
#: quick run's 96 s over 8 x 2. The estimate of the time left until a ladder ends.
LADDER_SECONDS = {"full": 63.0, "quick": 6.0}

DESCRIPTION = helptext.describe(
    "Measures latency against offered load, open-loop: every deployment of the "
    "same service (each model's stacks under gunicorn, and each model alone on "
    "one HTTP parser) climbs a ladder of rates until it saturates, repeated and "
    "interleaved, the worker on a CPU of its own, with k6 beside the generator and "
    "wrk's closed loop beside both. With --target, one run of the generator "
    "against any HTTP service, yours too: its percentiles, rate and errors.",
    f"about 48 min {helptext.HERE}, 1.5 min with --quick; with --target, the "
    "--duration and a second or two",
    "concurrency-compare load --quick --json load.json --charts charts",
)


#: ``--models``: the models that have a deployment (asyncio+uvloop among them).
model_list = functools.partial(
    argtypes.model_list, known=list(dict.fromkeys(d.model for d in deploy.DEPLOYMENTS.values()))
)


def config_list(text: str) -> list[str]:
    configs = [c.strip() for c in text.split(",") if c.strip()]
    if not configs or any(c not in deploy.CONFIGS for c in configs):
        raise argparse.ArgumentTypeError(
            f"configurations are {', '.join(deploy.CONFIGS)}, not {text!r}"
        )
    return configs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        type=generator.target_url,
        metavar="URL",
        help="load this URL only (default: the experiment)",
    )
    parser.add_argument("--rate", type=generator.RATE, help="with --target: requests per second")
    parser.add_argument(
        "--duration",
        type=generator.DURATION,
        default=10.0,
        help="with --target: seconds (default 10)",
    )
    parser.add_argument(
        "--warmup",
        type=generator.WARMUP,
        default=0.0,
        help="with --target: seconds sent, not measured (default 0)",
    )
    parser.add_argument(
        "--poisson", action="store_true", help="Poisson arrivals (default: evenly spaced)"
    )
    parser.add_argument(
        "--timeout",
        type=generator.TIMEOUT,
        default=None,
        help=f"seconds a request may take (default: {HTTP_TIMEOUT:g} with --target, "
        "else the plan's)",
    )
    parser.add_argument(
        "--connections",
        type=generator.CONNECTIONS,
        default=None,
        metavar="N",
        help="a fixed pool of N connections, as wrk2 (default: one per waiting request)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="the experiment's short form (default: the full one)"
    )
    parser.add_argument(
        "--models",
        type=model_list,
        default=None,
        help="comma-separated (default: every model that has a deployment)",
    )
    parser.add_argument(
        "--configs",
        type=config_list,
        default=[c for c in deploy.CONFIGS if c != deploy.DEFAULTS],
        help=f"comma-separated, of {','.join(deploy.CONFIGS)} (default: all but defaults)",
    )
    parser.add_argument(
        "--repeats",
        type=argtypes.whole(1, 50, "repeats"),
        default=None,
        metavar="R",
        help="times each ladder runs, interleaved (default: quick 2, full 5)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="the seed of the deployments' order (default 1)"
    )
    cores.add_argument(parser)
    parser.add_argument(
        "--delay",
        type=argtypes.within(0, 10, "seconds"),
        default=DELAY,
        metavar="D",
        help=f"the upstream's latency, seconds (default {DELAY:g})",
    )
    parser.add_argument(
        "--cpu",
        type=argtypes.within(0, 1000, "milliseconds"),
        default=0.0,
        metavar="C",
        help="CPU the handler spends per request, ms (default 0)",
    )
    parser.add_argument(
        "--no-wrk", action="store_true", help="skip wrk's closed-loop figure (default: run it)"
    )
    parser.add_argument(
        "--no-k6", action="store_true", help="skip k6 beside the generator (default: run it)"
    )
    output.add_json(parser, "the figures and the environment")
    parser.add_argument(
        "--charts",
        metavar="DIR",
        type=argtypes.writable_folder,
        help="write the experiment's charts to DIR (default: none)",
    )
    output.add_quiet(parser)


class BadArguments(ValueError):
    """Arguments that do not go together: the CLI reports them in one line, exit status 2."""


def check(args: argparse.Namespace) -> None:
    """Refuse arguments that do not go together, before anything starts."""
    if args.target and args.rate is None:
        raise BadArguments("--target needs --rate")
    if not args.target and args.rate is not None:
        raise BadArguments("--rate goes with --target (the experiment chooses its own rates)")
    if args.target and args.charts:
        raise BadArguments("--charts is for the experiment, not for one --target run")
    if args.target and (args.quick or args.repeats is not None):
        raise BadArguments("--quick and --repeats are for the experiment, not for --target")
    if args.warmup < 0:
        raise BadArguments(f"--warmup must be 0 or more, not {args.warmup:g}")
    if args.json and args.json != output.STDOUT:
        folder = Path(args.json).resolve().parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise BadArguments(f"cannot write {args.json}: no writable folder {folder}")
    if args.charts:  # a folder of charts is made if need be, under one that exists
        target = Path(args.charts).resolve()
        existing = next((p for p in (target, *target.parents) if p.exists()), None)
        if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK):
            raise BadArguments(f"cannot write charts to {args.charts}: not a writable folder")
    if not args.target and args.cores:
        deploy.core_layout(args.cores)  # a UsageError if this machine has too few CPUs
    if not args.target and not chosen(args):
        raise BadArguments("no deployment to run (asyncio+uvloop needs uvloop installed)")


def chosen(args: argparse.Namespace) -> list[deploy.Deployment]:
    """The deployments the experiment runs: the models and configurations asked for."""
    return [d for d in deploy.available(args.models) if d.config in args.configs]


def environment(base: Environment) -> Environment:
    """The CLI's environment, and what a load figure depends on besides."""
    packages = dict(base.packages)
    for package in ("gunicorn", "hdrhistogram", "httptools", "uvicorn", "uvicorn-worker", "k6"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            packages[package] = metadata.version(package)
    wrk = shutil.which("wrk")
    version = ""
    if wrk:
        done = processes.run([wrk, "--version"], timeout=10)
        lines = (done.stdout or done.stderr).strip().splitlines()
        version = lines[0] if lines else ""
    return dataclasses.replace(
        base, packages=packages, wrk=version or None, load=os.getloadavg()[0]
    )


def plan_of(args: argparse.Namespace) -> Plan:
    """The experiment's plan: quick or full, with what the options change."""
    plan = experiment.QUICK if args.quick else experiment.FULL
    changes: dict[str, object] = {
        "poisson": args.poisson or plan.poisson,
        "delay": args.delay,
        "cpu_ms": args.cpu,
        "seed": args.seed,
        "connections": args.connections,
        "k6": not args.no_k6,
    }
    if args.repeats is not None:
        changes["repeats"] = args.repeats
    if args.timeout is not None:
        changes["timeout"] = args.timeout
    return dataclasses.replace(plan, **changes)  # type: ignore[arg-type]


def run(console: Console, args: argparse.Namespace, environment_: Environment) -> int:
    check(args)
    env = environment(environment_)
    if args.target:
        return run_target(console, args, env)
    return run_experiment(console, args, env)


def run_target(console: Console, args: argparse.Namespace, env: Environment) -> int:
    if args.timeout is None:
        args.timeout = HTTP_TIMEOUT
    sending = f"sending {args.rate:g}/s to {args.target} for {args.duration:g} s"
    with output.steps(console, 1, sending, expected=args.warmup + args.duration) as steps:
        load = experiment.generate(Schedule.of(args))
        steps.advance()
    console.print(present.run_table(load))
    if args.json:
        output.write_json(args.json, TargetDocument(environment=env, load=load))
        console.print(f"figures written to {output.where(args.json)}")
    if not load.trusted:
        why = load.notes[0] if load.notes else "see the notes above"
        output.final(console, f"figures untrusted: {why}", "bold red")
        return UNTRUSTED
    output.final(console, f"{load.ok} of {load.sent} answered; the figures are trusted")
    return OK


def run_experiment(console: Console, args: argparse.Namespace, env: Environment) -> int:
    plan = plan_of(args)
    layout = cores.layout_of(args)
    deployments = chosen(args)
    use_wrk = not args.no_wrk
    if layout is not None:
        console.print(
            f"CPUs: the service's worker on {cpus(layout.worker)}; the generator, the "
            f"upstream, wrk, k6 and this program on {cpus(layout.rest)}"
        )
    console.print(
        f"{plan.name} run: {len(deployments)} deployments x {plan.repeats} repeats, "
        f"{plan.duration:g} s per rate after {plan.warmup:g} s of warm-up"
    )
    began = time.perf_counter()
    ladders = len(deployments) * plan.repeats  # a step of the progress: one deployment's ladder
    spectra = len(deployments) if plan.spectrum else 0  # ... or its spectrum steps, after them
    each = len(plan.spectrum) * (plan.warmup + (plan.spectrum_seconds or plan.duration) + 0.2)
    expected = LADDER_SECONDS.get(plan.name, 0.0) * ladders + each * spectra or None
    with output.steps(console, ladders + spectra, "starting", expected=expected) as steps:
        where = {"repeat": "", "ladder": ""}

        def on_repeat(repeat: int, order: list[deploy.Deployment]) -> None:
            where["repeat"] = (
                f"repeat {repeat}/{plan.repeats}" if repeat <= plan.repeats else "spectrum"
            )

        def on_step(deployment: deploy.Deployment, what: str) -> None:
            ladder = f"{where['repeat']}: {deployment.name}"
            if where["ladder"] and where["ladder"] != ladder:  # the one before has ended
                steps.advance()
            where["ladder"] = ladder
            steps.doing(f"{ladder}: {what}")

        steps.doing(f"the generator alone: {plan.generator_rate:g}/s")
        if layout is not None:
            deploy.pin_self(layout.rest)  # the generator's check on the generator's CPUs
        generator = experiment.check_generator(plan)
        results = experiment.run(plan, deployments, use_wrk=use_wrk, layout=layout,
                                 on_step=on_step, on_repeat=on_repeat)  # fmt: skip
        steps.advance()
    seconds = time.perf_counter() - began
    doc = experiment.document(plan, results, env, seconds, generator, layout)
    console.print(present.rendered(doc))
    if use_wrk and env.wrk is None:
        console.print(Text("wrk is not installed: no closed-loop cross-check", style="yellow"))
    output.save(console, doc, args, present.write_charts)
    took = f"{plan.name} run: {output.clock(doc.seconds)}"
    if not doc.trusted:
        output.final(console, f"{took}; {present.untrusted_line(doc)}", "bold red")
        return UNTRUSTED
    output.final(console, f"{took}; every figure trusted")
    return OK


def cpus(found: list[int]) -> str:
    return ("CPU " if len(found) == 1 else "CPUs ") + ",".join(str(c) for c in found)


def command(args: argparse.Namespace, console: Console) -> int:
    try:
        check(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return run(console, args, documents.environment())
