"""What a bench runs: its plan (sizes, repetitions), its models and its jobs.

What each workload measures (the code is in ``<model>_impl/workloads.py``):

* ``spawn``: create, start and finish N trivial tasks (greenlets, threads); the
  time per task. Timed by pyperf: one value is N tasks, several values per
  worker process after a warm-up, several worker processes.
* ``memory``: N tasks parked on one event; the resident (RSS) and virtual
  (VMS) memory they add, per task, read while they all wait. One process per
  size, so an earlier size's freed memory cannot be reused.
* ``switch``: a ping-pong between two tasks through the model's own queue;
  the time per round trip (two switches). Timed by pyperf, as ``spawn``.
* ``fanout``: N GETs started at once against the local services, each answered
  after D = 0.1 s: the wall time, the overhead (wall - D, the model's and the
  client library's cost of running N at once), the errors. Two variants:
  *tuned*, where the limits are chosen for N (a connection, a thread per
  request), and *defaults*, the libraries' own, where the hidden caps show;
  tuned runs a second, warm pass over the same connections.
* ``throughput``: D = 0, a fixed number of workers each doing GETs back to back;
  requests per second, with the CPU the client and the server used beside it.

Every job is a fresh interpreter of its model, run one after the other (never
two at once: they would share two cores). Repetitions are interleaved, the
models taking turns, so that a change in the machine's load falls on every
model alike (``shared.measure.bench.measure`` runs them).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass

from shared import args as argtypes
from shared.contract import MODELS
from shared.harness.services import Services
from shared.measure.bench.child import JOB_TIMEOUT, MICRO, VARIANTS, WORKLOADS

UVLOOP = "asyncio+uvloop"

#: The threads model stops here. pid_max and threads-max count every thread of
#: every process on the machine: a benchmark that ran into them would make other
#: programs' fork() and thread starts fail. 10,000 is a fan-out's N.
THREAD_CAP = 10_000


@dataclass(frozen=True)
class Plan:
    """Sizes and repetitions of a bench."""

    name: str
    repeat: int  # fresh interpreters per memory, fanout and throughput measurement
    spawn_tasks: int  # one pyperf value: this many tasks
    switch_rounds: int  # one pyperf value: this many round trips
    processes: int  # pyperf worker processes (the micro-workloads' repetitions)
    values: int  # pyperf values per worker, after
    warmups: int  # this many warm-up values
    memory_sizes: tuple[int, ...]
    fanout_sizes: tuple[int, ...]
    delay: float  # D: seconds the server waits before answering a fan-out's GET
    deadline: float  # seconds a tuned fan-out pass may take before the rest is cancelled
    defaults_deadline: float  # the same for the defaults, which a cap may make very slow
    seconds: float  # how long a throughput measurement lasts
    concurrency: int  # throughput's workers


# Grouped by what they size: the micro-workloads and pyperf's repetitions, the
# memory, the fan-out (D and its deadlines), the throughput.
FULL = Plan(
    name="full", repeat=3,
    spawn_tasks=10_000, switch_rounds=20_000, processes=5, values=3, warmups=2,
    memory_sizes=(1_000, 10_000, 100_000),
    fanout_sizes=(10, 100, 1_000, 10_000), delay=0.1, deadline=60.0, defaults_deadline=20.0,
    seconds=3.0, concurrency=50,
)  # fmt: skip

QUICK = dataclasses.replace(
    FULL, name="quick", repeat=1,
    spawn_tasks=2_000, switch_rounds=5_000, processes=2, values=2,
    memory_sizes=(1_000, 10_000),
    fanout_sizes=(10, 100, 1_000), deadline=10.0, defaults_deadline=3.0,
    seconds=1.0,
)  # fmt: skip


# -- models and workloads -----------------------------------------------------


def uvloop_installed() -> bool:
    return importlib.util.find_spec("uvloop") is not None


def available_models() -> tuple[str, ...]:
    """The models a bench can run here: asyncio+uvloop when uvloop is installed."""
    extra = (UVLOOP,) if uvloop_installed() else ()
    return (MODELS[0], *extra, *MODELS[1:])


def package_of(model: str) -> tuple[str, list[str]]:
    """The impl package that runs ``model``, and the options that make it that variant."""
    if model == UVLOOP:
        return "asyncio", ["--uvloop"]
    return model, []


def model_list(text: str) -> list[str]:
    """``--models`` of a bench (an argparse type): the models, asyncio+uvloop included."""
    models = argtypes.model_list(text, known=(*MODELS, UVLOOP))
    if UVLOOP in models and not uvloop_installed():
        raise argparse.ArgumentTypeError(
            f"{UVLOOP} needs uvloop: pip install 'concurrency-compare[uvloop]'"
        )
    return models


def workload_name(text: str) -> str:
    """A workload's name (an argparse type)."""
    if text not in WORKLOADS:
        raise argparse.ArgumentTypeError(
            f"unknown workload {text!r} (known: {', '.join(WORKLOADS)})"
        )
    return text


def in_order(names: Sequence[str]) -> list[str]:
    """The workloads named (all of them if none), in the bench's order."""
    return [w for w in WORKLOADS if w in names] if names else list(WORKLOADS)


# -- jobs -----------------------------------------------------------------------


def options(**values: object) -> list[str]:
    """Command-line options: ``--name value`` for each."""
    return [part for name, value in values.items() for part in (f"--{name}", str(value))]


@dataclass(frozen=True)
class Job:
    """One fresh interpreter of one model running one workload once."""

    workload: str
    model: str
    variant: str  # fanout: tuned or defaults; "" otherwise
    size: int  # tasks (spawn, memory), round trips (switch), requests (fanout), workers
    repetition: int

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.workload, self.model, self.variant, self.size)

    def arguments(self, plan: Plan, services: Services | None) -> list[str]:
        """The child's command line after ``python -m <package>_impl bench``."""
        _, extra = package_of(self.model)
        head = [self.workload, *extra]
        if self.workload in MICRO:
            repeats = options(processes=plan.processes, values=plan.values, warmups=plan.warmups)
            return [*head, *repeats, *options(loops=self.size), "--quiet"]
        if self.workload == "memory":
            return [*head, *options(size=self.size)]
        assert services is not None, f"{self.workload} needs the local services"
        if self.workload == "fanout":
            url = f"{services.url}/events?delay={plan.delay}"
            passes = 2 if self.variant == "tuned" else 1  # tuned: cold, then warm
            return [*head, *options(url=url, size=self.size, variant=self.variant,
                                    passes=passes, deadline=self.deadline(plan))]  # fmt: skip
        url = f"{services.url}/events"
        return [*head, *options(url=url, seconds=plan.seconds, concurrency=self.size)]

    def deadline(self, plan: Plan) -> float:
        """A fan-out pass's deadline."""
        return plan.deadline if self.variant == "tuned" else plan.defaults_deadline

    def timeout(self, plan: Plan) -> float:
        """Seconds after which the job is stopped and reported as such: never a hang."""
        if self.workload == "fanout":
            return 2 * self.deadline(plan) + 60
        if self.workload == "throughput":
            return plan.seconds + 60
        return JOB_TIMEOUT


@dataclass(frozen=True)
class Skip:
    """A measurement not made, and the limit that says why."""

    workload: str
    model: str
    variant: str
    size: int
    reason: str

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.workload, self.model, self.variant, self.size)


def sizes_of(plan: Plan, workload: str) -> tuple[int, ...]:
    """The sizes a workload is measured at."""
    return {
        "spawn": (plan.spawn_tasks,),
        "switch": (plan.switch_rounds,),
        "memory": plan.memory_sizes,
        "fanout": plan.fanout_sizes,
        "throughput": (plan.concurrency,),
    }[workload]


def plan_jobs(
    plan: Plan, workloads: Sequence[str], models: Sequence[str]
) -> tuple[list[Job], list[Skip]]:
    """Every job of the bench, in the order they run, and the measurements skipped."""
    jobs: list[Job] = []
    skips: list[Skip] = []
    cap = f"not run: threads are capped at {THREAD_CAP:,} (pid_max is machine-wide)"
    for repetition in range(plan.repeat):
        for workload in workloads:
            if workload in MICRO:
                if repetition == 0:  # pyperf repeats these itself, in its worker processes
                    [size] = sizes_of(plan, workload)
                    jobs += [Job(workload, model, "", size, 0) for model in models]
                continue
            variants = VARIANTS if workload == "fanout" else ("",)
            for size in sizes_of(plan, workload):
                for variant in variants:
                    for model in models:
                        over = model == "threads" and size > THREAD_CAP and variant != "defaults"
                        if over and repetition == 0:
                            skips.append(Skip(workload, model, variant, size, cap))
                        if not over:
                            jobs.append(Job(workload, model, variant, size, repetition))
    return jobs, skips
