"""The suite's batches of runs, and the fixtures over the models (a pytest plugin).

``model`` is parametrized over the three models, in the manner of anyio's
``anyio_backend``: a test that takes it runs once per model. ``demo_runs`` runs
every scenario in every model once per session, all in parallel, so the many
tests that read the runs share one batch of interpreters.

A test module that needs runs of its own declares them as a ``@batch``: the
first time a test asks for any batch, every declared batch starts at once, in
the background. Runs spend most of their time waiting (on sleeps, on the
services), so overlapping the batches shortens the suite far more than it
loads the machine; the runner caps how many model interpreters run at once.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

import pytest

from shared import scenarios
from shared.contract import DEMO_SCALE, MODELS, PostgresSpec
from shared.harness import postgres, processes, runner
from shared.harness.services import Services, open_services

Runs = dict[tuple[str, str], runner.Run]
T = TypeVar("T")
Build = Callable[[Services], Any]

_declared: list[Build] = []
_heavy: set[Build] = set()
_quiet: set[Build] = set()
# The session's PostgreSQL, started in the background with the batches (initdb
# takes a second or two): a batch that needs it calls ``postgres_url()``.
_postgres: list[postgres.Starting] = []
# Not empty once a signal stopped the suite (see pytest_configure).
_interrupted: list[int] = []


def batch(build: Callable[[Services], T]) -> Callable[[Services], T]:
    """Declare a batch of runs; ``batches[build]`` is its result once it is done."""
    _declared.append(build)
    return build


def heavy_batch(build: Callable[[Services], T]) -> Callable[[Services], T]:
    """Declare a batch that keeps the CPU busy on purpose (a service under load).

    Heavy batches run one at a time, once every other batch is done: run beside
    the scenarios, they would starve the interpreters whose timings the other
    tests check, and each other's figures.
    """
    _heavy.add(build)
    return batch(build)


def quiet_batch(build: Callable[[Services], T]) -> Callable[[Services], T]:
    """Declare a batch that times requests at low rates (the load generator, k6).

    Quiet batches run together once the light ones are done, before the heavy
    ones: beside the scenarios' interpreters, which fill both cores, their
    latencies would be the machine's; beside each other they take little CPU.
    """
    _quiet.add(build)
    return batch(build)


class Batches:
    """The declared batches, all under way; indexing waits for one to finish."""

    def __init__(self, futures: dict[Build, Future[Any]]) -> None:
        self._futures = futures

    def __getitem__(self, build: Callable[[Services], T]) -> T:
        result: T = self._futures[build].result()
        return result


def pytest_configure(config: pytest.Config) -> None:
    """Let Ctrl-C, SIGTERM and SIGHUP stop the suite at once, and cleanly.

    CI runners, ``timeout`` and a closed terminal stop a suite with SIGTERM or
    SIGHUP, and by default Python then dies on the spot: the fixtures' clean-up
    never runs, and the services, gunicorns and PostgreSQL the suite started
    stay behind. As a KeyboardInterrupt, pytest unwinds and every fixture stops
    what it began; the flag tells the batches not to finish their runs first.
    """

    def interrupt(signum: int, _frame: object) -> None:
        signal.signal(signum, signal.SIG_DFL)  # a second one ends it at once
        _interrupted.append(signum)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Stop after this test if a signal came during it.

    The KeyboardInterrupt may have been caught on its way: a test that runs the
    CLI in this process sees the CLI handle Ctrl-C as a user's (status 130),
    and the suite would otherwise go on.
    """
    if _interrupted:
        item.session.shouldstop = f"stopped by {signal.Signals(_interrupted[0]).name}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that wait for the batches go after the others, so that the
    others run while the batches do; those that read a quiet or heavy batch go last.

    A quiet or heavy batch starts only once the light ones have ended: a test that waits
    for one, placed before the readers of the light batches, would hold them
    all back until it ends. A stable sort: each group keeps pytest's order. The
    batches themselves start with the session (``_batches_from_the_start``),
    not with the first test that reads one.
    """
    heavy_modules = {build.__module__ for build in _heavy | _quiet}

    def group(item: pytest.Item) -> int:
        if not waits_for_the_batches(item):
            return 0
        module = getattr(item, "module", None)
        return 2 if module is not None and module.__name__ in heavy_modules else 1

    items.sort(key=group)


def reads_a_batch(item: pytest.Item) -> bool:
    return "batches" in getattr(item, "fixturenames", ())


def waits_for_the_batches(item: pytest.Item) -> bool:
    """Whether ``item`` reads a batch, or runs models in its thread (against the
    session's services, or marked ``runs_models``).

    A model run in the test's own thread queues for the runner's slots behind
    the batches' runs (the longest waiting run goes first, and context_switch
    promises no time at all): run beside them, it would wait for most of them.
    """
    if item.get_closest_marker("runs_models"):  # without the session's services
        return True
    return reads_a_batch(item) or "services" in getattr(item, "fixturenames", ())


@pytest.fixture(scope="session", autouse=True)
def _batches_from_the_start(request: pytest.FixtureRequest) -> None:
    """Start every batch before the first test, if any collected test reads one."""
    if any(reads_a_batch(item) for item in request.session.items):
        request.getfixturevalue("batches")


@pytest.fixture(params=MODELS)
def model(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=list(scenarios.CATALOGUE))
def scenario(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    with open_services() as running:
        yield running


def uses_postgres(name: str) -> bool:
    return issubclass(scenarios.get(name).spec_type, PostgresSpec)


def postgres_url() -> str:
    """The session's PostgreSQL, once it accepts connections (for a batch's specs)."""
    url = _postgres[0].url()
    if not url:
        raise RuntimeError(_postgres[0].error)
    return url


#: Demo runs at twice the demo's scale. Their upper bound is the sum of the
#: delays (where a sequential model lands), so the margin over a concurrent
#: run is the shortest delay: 0.19 s at the demo's scale, less than requests'
#: clients (gevent, threads) can lose on a crowded machine. Twice the scale
#: gives 0.38 s, for 0.2 s more a run.
TWICE_THE_SCALE = ["error_handling", "future_exceptions"]


@batch
def demo(services: Services) -> Runs:
    names = [name for name in scenarios.CATALOGUE if not uses_postgres(name)]
    usual = [n for n in names if n != "ordering" and n not in TWICE_THE_SCALE]
    jobs = runner.jobs_for(usual, MODELS, services, scale=DEMO_SCALE)
    # ordering's delays 0.15 s apart rather than 0.05 s at this scale: on a
    # crowded machine a thread can start 50 ms late and finish behind its neighbour.
    jobs += runner.jobs_for(["ordering"], MODELS, services, scale=DEMO_SCALE, step=0.6)
    jobs += runner.jobs_for(TWICE_THE_SCALE, MODELS, services, scale=2 * DEMO_SCALE)
    return {(run.job.scenario, run.job.model): run for run in runner.run_all(jobs)}


@batch
def demo_database(services: Services) -> Runs:
    """The demo runs of the scenarios that need PostgreSQL, once it is up."""
    names = [name for name in scenarios.CATALOGUE if uses_postgres(name)]
    jobs = runner.jobs_for(names, MODELS, services, postgres_url(), scale=DEMO_SCALE)
    return {(run.job.scenario, run.job.model): run for run in runner.run_all(jobs)}


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.Starting]:
    with postgres.in_background(True) as starting:
        _postgres.append(starting)
        yield starting


#: When each batch began and ended, in seconds from the first batch's start:
#: with ``--durations``, the suite prints them at its end (where its time goes).
_timeline: dict[str, tuple[float, float]] = {}
_began: list[float] = []


def _timed(build: Build, services: Services) -> Any:
    start = time.monotonic()
    zero = _began[0] if _began else start
    try:
        return build(services)
    finally:
        name = f"{build.__module__.removeprefix('tests.')}.{build.__name__}"
        _timeline[name] = (start - zero, time.monotonic() - zero)


@pytest.fixture(scope="session")
def batches(
    request: pytest.FixtureRequest, postgres_server: postgres.Starting, services: Services
) -> Iterator[Batches]:
    # The batches of the modules whose tests run, and this plugin's own (the
    # demo runs): a module none of whose tests run starts none.
    running = {item.module.__name__ for item in request.session.items if hasattr(item, "module")}
    wanted = [build for build in _declared if build.__module__ in running | {__name__}]
    light = [build for build in wanted if build not in _heavy | _quiet]
    quiet = [build for build in wanted if build in _quiet]
    heavy = [build for build in wanted if build in _heavy]
    _began.append(time.monotonic())
    with (
        ThreadPoolExecutor(len(light)) as pool,
        ThreadPoolExecutor(max(1, len(quiet))) as together,
        ThreadPoolExecutor(1) as one_by_one,
    ):
        futures = {build: pool.submit(_timed, build, services) for build in light}
        light_ones = list(futures.values())

        def after(earlier: list[Future[Any]], build: Build) -> Any:
            wait(earlier)
            if _interrupted:
                raise KeyboardInterrupt("the suite was stopped before this batch began")
            return _timed(build, services)

        futures |= {build: together.submit(after, light_ones, build) for build in quiet}
        quiet_ones = [futures[build] for build in quiet]
        futures |= {
            build: one_by_one.submit(after, light_ones + quiet_ones, build) for build in heavy
        }
        yield Batches(futures)
        if _interrupted:  # stopped from outside: start no batch, stop every run
            for future in futures.values():
                future.cancel()
            processes.stop_all(close=True)


@pytest.fixture(scope="session")
def demo_runs(batches: Batches) -> Runs:
    return {**batches[demo], **batches[demo_database]}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """List the runs measured again, so that the machine's noise stays in sight;
    with ``--durations``, when each batch ran."""
    if terminalreporter.config.option.durations is not None and _timeline:
        terminalreporter.section("batches (seconds from the first one's start)")
        for name, (start, end) in sorted(_timeline.items(), key=lambda item: item[1]):
            terminalreporter.write_line(f"{start:5.1f} to {end:5.1f}  {name}")
    if not _remeasured.lines:
        return
    terminalreporter.section("timings measured again (see runner.ATTEMPTS)")
    for line in _remeasured.lines:
        terminalreporter.write_line(line)


class _Remeasured(logging.Handler):
    """The runner's word for each run it measured again, kept for the summary."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


_remeasured = _Remeasured()
runner.log.addHandler(_remeasured)
runner.log.setLevel(logging.INFO)
