"""Looking into a live process of each model: what is it waiting on, right now?

    concurrency-compare inspect [MODEL ...]      default: every model

Each model runs the as_completed scenario with requests that the local
services keep waiting for 50 seconds; once the services count them in flight,
each process is looked into with its model's own tool, from outside:

- asyncio (3.14+): ``python -m asyncio pstree PID`` reads the tasks and their
  await chains out of the process's memory; nothing was prepared in it.
- gevent: ``gevent.util.print_run_info()`` runs inside the process, so the
  process must have been prepared: here a SIGUSR1 handler, run by the hub.
- threads: ``faulthandler.register(SIGUSR1)``, prepared the same way, dumps
  every thread's stack from the signal handler, even while they all block.
  (``sys._current_frames()`` gives the same frames as objects, in-process.)

Then the processes and the services are stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO

from shared.args import OneLineParser
from shared.contract import HTTP_TIMEOUT_VARIABLE, MODELS
from shared.errors import EnvironmentFailure, run_command
from shared.harness import processes
from shared.harness.services import Services, open_services

DELAYS = (50.0, 51.0, 52.0)  # seconds: longer than any look (a run may take 60 s at most)
IN_FLIGHT_WITHIN = 30.0  # seconds for every model's requests to reach the services
QUIET = 0.5  # seconds of silence on stderr that end a dump
NEEDS = (3, 14)  # python -m asyncio ps / pstree
HELP = "look into a live process of each model, with the model's own tool"

# Prepared before the model's own entry point runs, as a user would in their
# program: the handler that makes the process report on SIGUSR1.
PREPARE = {
    "asyncio": "",
    "gevent": (
        "from gevent import monkey; monkey.patch_all()\n"
        "import gevent, gevent.util, signal\n"
        "gevent.signal_handler(signal.SIGUSR1, gevent.util.print_run_info)\n"
    ),
    "threads": (
        "import faulthandler, signal\nfaulthandler.register(signal.SIGUSR1, all_threads=True)\n"
    ),
}
START = "import runpy; runpy.run_module({package!r}, run_name='__main__', alter_sys=True)\n"


def model_command(model: str, services: Services) -> list[str]:
    """The model's process: its scenario, waiting on ``services``, prepared to be looked into."""
    spec = json.dumps({"delays": list(DELAYS)})
    argv = ["as_completed", "--scale", "1", "--services-url", services.url, "--spec", spec]
    if not PREPARE[model]:
        return [sys.executable, "-m", f"{model}_impl", *argv]
    code = PREPARE[model] + "import sys; sys.argv[1:] = " + repr(argv) + "\n"
    return [sys.executable, "-c", code + START.format(package=f"{model}_impl")]


def asyncio_tool_available() -> bool:
    return sys.version_info >= NEEDS


class Lines:
    """A child's stream, read into lines by a thread of its own."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self.last = 0.0
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))
            self.last = time.monotonic()

    def after(self, start: int, timeout: float) -> list[str]:
        """The lines from index ``start``, once they stop coming (or ``timeout`` passes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.lines) > start and time.monotonic() - self.last > QUIET:
                break
            time.sleep(0.05)
        return self.lines[start:]


def wait_in_flight(services: Services, count: int) -> None:
    deadline = time.monotonic() + IN_FLIGHT_WITHIN
    while services.stats()["in_flight"] < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{count} requests not in flight after {IN_FLIGHT_WITHIN:g} s")
        time.sleep(0.05)


def look(model: str, child: subprocess.Popen[str], stderr: Lines) -> tuple[str, list[str]]:
    """The tool's command line and what it printed about ``child``."""
    if model == "asyncio":
        pstree = [sys.executable, "-m", "asyncio", "pstree", str(child.pid)]
        done = processes.run(pstree, timeout=60)
        return "python -m asyncio pstree PID", (done.stdout + done.stderr).splitlines()
    start = len(stderr.lines)
    os.kill(child.pid, signal.SIGUSR1)
    tool = "gevent.util.print_run_info()" if model == "gevent" else "faulthandler, all threads"
    return f"kill -USR1 PID: {tool}", stderr.after(start, timeout=10.0)


@contextlib.contextmanager
def live(
    models: list[str], services: Services
) -> Iterator[dict[str, tuple[subprocess.Popen[str], Lines]]]:
    """Each model's process, started and waiting on ``services``; all stopped on exit."""
    with contextlib.ExitStack() as stack:
        started: dict[str, tuple[subprocess.Popen[str], Lines]] = {}
        for model in models:
            child: subprocess.Popen[str] = stack.enter_context(
                processes.started(
                    model_command(model, services),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                    # The client must outwait the services: a timeout above the delays.
                    env=os.environ | {HTTP_TIMEOUT_VARIABLE: str(2 * max(DELAYS) + 10)},
                )
            )
            assert child.stderr is not None
            started[model] = (child, Lines(child.stderr))
        yield started


def inspect(models: list[str]) -> dict[str, tuple[str, list[str]]]:
    """For each model: the tool used and what it said of a process waiting on the services."""
    models = [m for m in models if m != "asyncio" or asyncio_tool_available()]
    found: dict[str, tuple[str, list[str]]] = {}
    if not models:
        return found
    with open_services() as services, live(models, services) as started:
        try:
            wait_in_flight(services, len(DELAYS) * len(models))
        except TimeoutError as exc:
            said = {m: lines.lines[-1:] for m, (_, lines) in started.items()}
            raise EnvironmentFailure(f"{exc}; the models' last words: {said}") from None
        for model, (child, stderr) in started.items():
            found[model] = look(model, child, stderr)
    return found


def model_name(text: str) -> str:
    if text not in MODELS:
        raise argparse.ArgumentTypeError(f"unknown model {text} (known: {', '.join(MODELS)})")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("models", nargs="*", type=model_name, metavar="MODEL",
                        help="default: every model")  # fmt: skip


PROG = "python -m shared.harness.introspect"


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog=PROG, description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv).models)


def run(models: list[str]) -> int:
    models = list(dict.fromkeys(models)) or list(MODELS)
    if "asyncio" in models and not asyncio_tool_available():
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        print(f"asyncio: python -m asyncio ps/pstree need Python 3.14+, this is {version}")
    for model, (tool, lines) in inspect(models).items():
        print(f"== {model}: {tool}")
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    # A dead model or services are said in one line (exit status 3), a bug with its
    # traceback (4), as the CLI's `inspect` says them.
    raise SystemExit(run_command(PROG, main))
