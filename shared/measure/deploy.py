"""The service of "As a service", and its deployments.

The service is the same in every model (``<model>_impl/service.py``): one
endpoint, ``GET /?delay=D&cpu=C``, that does what a backend-for-frontend does:
it calls an upstream (the local services' ``/events?delay=D``) with the model's
own HTTP client, spends C milliseconds of CPU in pure Python
(``shared.measure.cpu.spend``), and answers a small JSON document, the same in every
model (``answer``). This module holds what the three share: the query
(``Ask``), the answer, and where the upstream is (the environment variables
that the deployment sets).

A *deployment* is the service as users deploy it: gunicorn as the process
manager, one worker process, only the worker class differing, in two
configurations (``DEFAULTS``, ``TUNED``); or, in the configuration ``BARE``,
the model alone (``<model>_impl/bare.py``: the model's own sockets, one HTTP
parser for all three) as a single process with no gunicorn. ``open_deployment``
starts one on 127.0.0.1 and a free port, waits until it answers, and stops it,
whatever happens, on exit. It runs in a process group of its own (a Ctrl-C in
the terminal reaches us, and we stop it in order), and watches its stdin: if
the deploying process dies, it stops too. Given ``cpus``, every process and
thread of the deployment runs on those CPUs only (``core_layout`` splits the
machine into the worker's CPUs and the rest, ``pin_self`` moves the caller).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psutil

from shared.contract import HOST
from shared.errors import EnvironmentFailure, UsageError
from shared.harness import processes
from shared.harness.services import READY_TIMEOUT

UPSTREAM_ENV = "CONCURRENCY_COMPARE_UPSTREAM"  # the upstream's base URL
POOL_ENV = "CONCURRENCY_COMPARE_POOL"  # the upstream client's connections; unset: its default

DEFAULTS, TUNED, BARE = "defaults", "tuned", "bare"
CONFIGS = (DEFAULTS, TUNED, BARE)
UVLOOP, UVICORN = "asyncio+uvloop", "asyncio+uvicorn"
GUNICORN = "gunicorn"  # a deployment's server: gunicorn, or BARE (the model's own process)


# -- the service ------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """What a request asks of the service: the upstream's delay, the CPU to spend."""

    delay: float = 0.0  # seconds the upstream waits before answering
    cpu_ms: float = 0.0  # milliseconds of CPU the handler spends after the upstream answered
    # "What hurts a service" (shared.measure.hurts): every ``every``-th request the worker
    # serves also makes a call of ``block_ms`` that its model does not cooperate
    # with; ``offload`` hands that call to a thread, the model's fix.
    block_ms: float = 0.0
    every: float = 1.0
    offload: float = 0.0  # 1: offload the blocking call

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Ask:
        """Read ``?delay=D&cpu=C[&block=B&every=N&offload=1]``; ``ValueError`` with a
        one-line reason if it is wrong."""
        values = {}
        for name, key, low, top, default in (
            ("delay", "delay", 0.0, 60.0, "0"),
            ("cpu_ms", "cpu", 0.0, 10_000.0, "0"),
            ("block_ms", "block", 0.0, 10_000.0, "0"),
            ("every", "every", 1.0, 1e6, "1"),
            ("offload", "offload", 0.0, 1.0, "0"),
        ):
            text = query.get(key, default)
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{key} must be a number, not {text!r}") from None
            if not low <= value <= top:
                raise ValueError(f"{key} must be between {low:g} and {top:g}, not {text!r}")
            values[name] = value
        return cls(**values)

    def blocks(self, served: int) -> bool:
        """Whether the ``served``-th request of the worker (from 1) makes the blocking call."""
        return self.block_ms > 0 and served % max(1, round(self.every)) == 0


def upstream_url(ask: Ask) -> str:
    """The upstream call a request makes (the local services' events, after ``ask.delay``)."""
    return f"{os.environ[UPSTREAM_ENV].rstrip('/')}/events?delay={ask.delay:g}"


def client_pool() -> int | None:
    """The upstream client's pool size this deployment sets, or None for the library's own."""
    text = os.environ.get(POOL_ENV, "")
    return int(text) if text else None


def answer(events: list[dict[str, Any]], ask: Ask) -> dict[str, Any]:
    """The service's answer, the same in every model: what the upstream said, what was asked."""
    return {
        "events": len(events),
        "types": [event["type"] for event in events],
        "delay": ask.delay,
        "cpu_ms": ask.cpu_ms,
    }


# -- deployments ------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    """One model's service in one configuration: under gunicorn, or bare.

    A gunicorn deployment runs ``gunicorn --worker-class WORKER_CLASS APP``; a
    bare one runs ``python -m APP --fd N``, the model alone in one process
    (``worker_class`` and ``options`` are gunicorn's, empty for it).
    """

    model: str  # asyncio, asyncio+uvloop, asyncio+uvicorn, gevent, threads
    config: str  # defaults, tuned or bare
    worker_class: str  # gunicorn's worker class ("" for a bare deployment)
    app: str  # gunicorn's APP_MODULE, or the bare service's module
    options: tuple[str, ...] = ()  # gunicorn options of this configuration
    pool: int | None = None  # the upstream client's connections (None: the library's default)
    limits: str = ""  # the limits that matter, in words, for tables
    server: str = GUNICORN  # GUNICORN or BARE

    @property
    def name(self) -> str:
        return f"{self.model} {self.config}"

    @property
    def program(self) -> str:
        """What runs, in words, for messages: ``gunicorn`` or ``asyncio_impl.bare``."""
        return self.app if self.server == BARE else GUNICORN

    def command(self, bind_fd: int, workers: int = 1) -> list[str]:
        """The argv that serves on the inherited listening socket ``bind_fd``."""
        if self.server == BARE:
            # Refused rather than started N times on the fd: several processes on
            # one socket is a process manager's work, gunicorn's, and the bare
            # layer is there to show the model without one.
            if workers != 1:
                raise UsageError(f"{self.name} is one process: it cannot run {workers} workers")
            return [sys.executable, "-m", self.app, "--fd", str(bind_fd)]
        return [
            sys.executable, "-m", "gunicorn",
            "--workers", str(workers),
            "--worker-class", self.worker_class,
            *self.options,
            "--bind", f"fd://{bind_fd}",
            "--config", "python:shared.measure.load.gunicorn_conf",
            "--graceful-timeout", "3",
            "--log-level", "warning",
            self.app,
        ]  # fmt: skip

    def installed(self) -> bool:
        """Whether what it runs is here: uvloop, uvicorn's worker, the model's bare.py."""
        if self.server == BARE:
            # The package's folder, not an import of the module: importing
            # gevent_impl would monkey-patch this process.
            package, _, module = self.app.partition(".")
            spec = importlib.util.find_spec(package)
            places = (spec.submodule_search_locations or []) if spec else []
            return any(os.path.exists(os.path.join(place, f"{module}.py")) for place in places)
        needs = {UVLOOP: ("uvloop",), UVICORN: ("uvicorn_worker", "uvloop", "httptools")}
        return all(importlib.util.find_spec(name) for name in needs.get(self.model, ()))


def _bare(model: str) -> Deployment:
    # The tuned deployments' upstream pool: a pool of 100 would cap a bare service at
    # 100 / D = 2,000 answers a second, below what its CPU allows.
    return Deployment(model, BARE, "", f"{model}_impl.bare", pool=1000,
                      limits="upstream pool 1,000", server=BARE)  # fmt: skip


def _deployments() -> dict[str, Deployment]:
    aiohttp_app = "asyncio_impl.service:make_app()"  # gunicorn calls it in the worker
    asgi_app = "asyncio_impl.service:make_app('asgi')"
    uvicorn = "uvicorn_worker.UvicornWorker"  # loop and http "auto": uvloop, httptools
    found = [
        Deployment("asyncio", DEFAULTS, "aiohttp.GunicornWebWorker", aiohttp_app,
                   limits="aiohttp client: 100 connections"),
        Deployment("asyncio", TUNED, "aiohttp.GunicornWebWorker", aiohttp_app, pool=1000,
                   limits="aiohttp client: 1,000 connections"),
        Deployment(UVLOOP, DEFAULTS, "aiohttp.GunicornUVLoopWebWorker", aiohttp_app,
                   limits="aiohttp client: 100 connections"),
        Deployment(UVLOOP, TUNED, "aiohttp.GunicornUVLoopWebWorker", aiohttp_app, pool=1000,
                   limits="aiohttp client: 1,000 connections"),
        Deployment(UVICORN, DEFAULTS, uvicorn, asgi_app,
                   limits="aiohttp client: 100 connections"),
        Deployment(UVICORN, TUNED, uvicorn, asgi_app, pool=1000,
                   limits="aiohttp client: 1,000 connections"),
        Deployment("gevent", DEFAULTS, "gevent", "gevent_impl.service:make_app()",
                   limits="1,000 worker connections, requests pool 10"),
        Deployment("gevent", TUNED, "gevent", "gevent_impl.service:make_app()",
                   ("--worker-connections", "10000"), pool=1000,
                   limits="10,000 worker connections, requests pool 1,000"),
        Deployment("threads", DEFAULTS, "gthread", "threads_impl.service:make_app()",
                   ("--threads", "1"), limits="1 thread, requests pool 10"),
        Deployment("threads", TUNED, "gthread", "threads_impl.service:make_app()",
                   ("--threads", "64"), pool=64, limits="64 threads, requests pool 64"),
        _bare("asyncio"),
        _bare("gevent"),
        _bare("threads"),
    ]  # fmt: skip
    return {d.name: d for d in found}


DEPLOYMENTS = _deployments()


def available(models: list[str] | None = None) -> list[Deployment]:
    """The deployments of ``models`` (default: all) whose packages and modules are here."""
    wanted = [d for d in DEPLOYMENTS.values() if models is None or d.model in models]
    return [d for d in wanted if d.installed()]


class DeployError(EnvironmentFailure):
    """A deployment did not start: the reason in one line (the CLI's exit status 3)."""


@dataclass
class Deployed:
    """A running deployment: where it answers, and its processes."""

    deployment: Deployment
    url: str
    master: int  # the process started: gunicorn's arbiter, or the bare service itself
    log: str = field(repr=False)  # the file its output goes to
    cpus: tuple[int, ...] | None = None  # the CPUs it is pinned to (None: any)

    def workers(self) -> list[int]:
        """The processes that serve: gunicorn's workers (the master's children), or the
        bare service itself."""
        if self.deployment.server == BARE:
            return [self.master]
        return children_of(self.master)

    def worker(self) -> int | None:
        """The (first) serving process's pid, or None if there is none."""
        found = self.workers()
        return found[0] if found else None

    def output(self) -> str:
        with open(self.log, encoding="utf-8", errors="replace") as file:
            return file.read()


def children_of(pid: int) -> list[int]:
    """The pids of ``pid``'s children (gunicorn's workers, for its master)."""
    try:
        return [child.pid for child in psutil.Process(pid).children()]
    except psutil.Error:
        return []


def free_listener() -> socket.socket:
    """A listening socket on 127.0.0.1 and a free port, for the deployment to inherit.

    We bind it, so the port is known before the deployment starts and no other
    program can take it meanwhile. The backlog is Linux's default cap.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, 0))
    listener.listen(4096)
    return listener


# -- cores --------------------------------------------------------------------------


def core_layout(cores: int) -> tuple[list[int], list[int]]:
    """This process's CPUs split into the worker's (the last ``cores``) and the rest.

    The rest is for everything else of an experiment (itself, the generator,
    the upstream), so it must keep at least one CPU.
    """
    usable = sorted(os.sched_getaffinity(0))
    if cores < 1 or cores + 1 > len(usable):
        raise UsageError(f"--cores {cores} needs {cores + 1} CPUs, this machine has {len(usable)}")
    return usable[-cores:], usable[:-cores]


def pin_self(cpus: Sequence[int]) -> None:
    """Run the calling process, every thread of it, and what it starts later, on ``cpus``.

    Linux's affinity belongs to a thread, and a new thread or process inherits
    its creator's: so every thread that exists now is moved, and the ones to come
    follow.
    """
    wanted = _checked(cpus)
    for thread in psutil.Process().threads():
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.sched_setaffinity(thread.id, wanted)


def _checked(cpus: Sequence[int]) -> set[int]:
    wanted = set(cpus)
    count = os.cpu_count() or 1
    if not wanted or not all(0 <= cpu < count for cpu in wanted):
        raise UsageError(f"CPUs must be some of 0 to {count - 1}, not {sorted(wanted)}")
    return wanted


# Pins the child, then becomes the deployment: it sets its affinity alone, before
# the exec, so the deployment's every process and thread inherits it. A preexec_fn
# would do the same between fork and exec, where a process that has threads (the
# generator's, the tests') may deadlock on a lock another thread held at the fork;
# taskset is util-linux's, not everywhere. -I -S: the wrapper alone skips site and
# the PYTHON* variables (the deployment it becomes reads them): it costs ~2 ms.
_PINNED = (
    "import os, sys; os.sched_setaffinity(0, map(int, sys.argv[1].split(',')));"
    " os.execv(sys.argv[2], sys.argv[2:])"
)


def pinned(command: Sequence[str], cpus: Sequence[int]) -> list[str]:
    """``command`` run on ``cpus`` only, it and everything it starts."""
    wanted = ",".join(str(cpu) for cpu in sorted(_checked(cpus)))
    return [sys.executable, "-I", "-S", "-c", _PINNED, wanted, *command]


# -- starting and stopping ------------------------------------------------------------


@contextlib.contextmanager
def open_deployment(
    deployment: Deployment,
    upstream: str,
    *,
    cpus: Sequence[int] | None = None,
    workers: int = 1,
) -> Iterator[Deployed]:
    """Start ``deployment`` calling ``upstream``; stop it and its workers on exit.

    ``cpus``: the CPUs its processes run on (None: wherever the system likes);
    ``workers``: gunicorn's worker processes (a bare deployment is one process).
    """
    with open_deployments([deployment], upstream, cpus=cpus, workers=workers) as (running,):
        yield running


@contextlib.contextmanager
def open_deployments(
    deployments: Sequence[Deployment],
    upstream: str,
    *,
    cpus: Sequence[int] | None = None,
    workers: int = 1,
) -> Iterator[list[Deployed]]:
    """Start several deployments at once (they start in parallel); stop them all on exit."""
    if workers < 1:
        raise UsageError(f"a deployment needs at least one worker, not {workers}")
    for deployment in deployments:  # a command it cannot build is refused before any starts
        deployment.command(0, workers)
    if cpus is not None:
        _checked(cpus)
    started: list[tuple[subprocess.Popen[bytes], Deployed]] = []
    try:
        for deployment in deployments:
            started.append(_start(deployment, upstream, cpus, workers))
        for child, running in started:
            _wait_ready(child, running, workers)
        yield [running for _, running in started]
    finally:
        _stop([child for child, _ in started])
        for _, running in started:
            with contextlib.suppress(OSError):
                os.unlink(running.log)


def _start(
    deployment: Deployment, upstream: str, cpus: Sequence[int] | None, workers: int
) -> tuple[subprocess.Popen[bytes], Deployed]:
    listener = free_listener()
    port = listener.getsockname()[1]
    env = {**os.environ, UPSTREAM_ENV: upstream}
    if deployment.pool is not None:
        env[POOL_ENV] = str(deployment.pool)
    else:
        env.pop(POOL_ENV, None)
    command = deployment.command(listener.fileno(), workers)
    if cpus is not None:
        command = pinned(command, cpus)
    fd, log = tempfile.mkstemp(prefix=f"cc-{deployment.server}-{deployment.model}-", suffix=".log")
    with listener, os.fdopen(fd, "w") as output:  # the child keeps its own copy of both
        # In a group of its own (``spawn``): Ctrl-C stays ours, and we stop it in order.
        child = processes.DEFAULT.spawn(
            command,
            stdin=subprocess.PIPE,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            pass_fds=(listener.fileno(),),
        )
    where = None if cpus is None else tuple(sorted(set(cpus)))
    return child, Deployed(deployment, f"http://{HOST}:{port}", child.pid, log, where)


def _wait_ready(child: subprocess.Popen[bytes], running: Deployed, workers: int) -> None:
    """Until it answers, and every worker asked for is there (gunicorn forks them
    before they load the app, so this costs no extra wait)."""
    deadline = time.monotonic() + READY_TIMEOUT
    probe = running.url + "/?delay=0"
    what = f"{running.deployment.program} ({running.deployment.name})"
    while True:
        if child.poll() is not None:
            raise DeployError(f"{what} did not start: {failure(running.output())}")
        try:
            with urllib.request.urlopen(probe, timeout=1) as answer:
                if answer.status == 200 and len(running.workers()) >= workers:
                    return
        except urllib.error.HTTPError as exc:  # answering, not yet as it should
            exc.close()
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            raise DeployError(f"{what} did not answer in {READY_TIMEOUT:g} s")
        time.sleep(0.05)


def failure(output: str) -> str:
    """gunicorn's reason for failing, in one line, from its output.

    Its own complaint (``Error: class uri ... invalid or not found``), then the
    exception behind it (``ModuleNotFoundError: ...``), then its last word
    (``Reason: Worker failed to boot.``).
    """
    lines = [line.strip() for line in output.splitlines() if line.strip()]

    def is_exception(line: str) -> bool:
        head = line.split(":", 1)[0]
        return ":" in line and " " not in head and head.endswith(("Error", "Exception"))

    said = next((line[6:].strip().rstrip(":") for line in lines if line.startswith("Error:")), "")
    exception = next((line for line in reversed(lines) if is_exception(line)), "")
    reason = next((line.split("Reason:", 1)[1].strip() for line in lines if "Reason:" in line), "")
    text = ": ".join(part for part in (said, exception) if part)
    if text and reason:
        return f"{text} ({reason.rstrip('.').lower()})"
    return text or reason or (lines[-1] if lines else "it exited without a word")


def _stop(children: Sequence[subprocess.Popen[bytes]]) -> None:
    """TERM (gunicorn's graceful stop, a bare service's stop) to every deployment at
    once, then KILL each group that lingers.

    Together, not one after the other: an event-loop worker notices the TERM
    only at its next heartbeat (aiohttp's and gevent's workers wake once a
    second), so that stopping them in turn would cost a second each.
    """
    workers = {child.pid: children_of(child.pid) for child in children}
    for child in children:
        assert child.stdin is not None
        with contextlib.suppress(OSError):
            child.stdin.close()
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        # The worker is in the master's group: nothing of it may outlive the master.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
        processes.DEFAULT.finish(child)
    # We reap the masters only; a worker its master had not reaped is killed too,
    # and is waited for here, so that it is gone when the block that started it ends.
    processes.wait_gone([pid for pids in workers.values() for pid in pids])
