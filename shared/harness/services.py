"""The local HTTP services that stand in for the article's public APIs.

One aiohttp.web server in a process of its own, on 127.0.0.1 and a free port:

========================  ===========================================  ======================
endpoint                  answers                                      stands in for
========================  ===========================================  ======================
``GET /``                 where everything is, as JSON                 -
``GET /events?delay=S``   a JSON list of events, a ``Date`` header     GitHub's events API
``GET /ip/ipify``         ``{"ip": IP}``                               api.ipify.org
``GET /ip/ip-api``        ``{"query": IP}``                            ip-api.com
``GET /ip/malformed``     JSON without the attribute clients ask for   an API that changed
``GET /hang``             accepts, never answers                       a stalled service
``GET /stats``            in flight, peak in flight, served, aborted   what the server saw
``POST /stats/reset``     zeroes the counters                          -
the ``unreachable`` URL   connection refused                           the article's "borken"
========================  ===========================================  ======================

Every endpoint but ``/stats`` takes ``?delay=S``: the seconds it waits before answering.

``aborted`` counts requests whose client left before the answer: it shows from
the outside whether a model really cancelled the work it gave up on.

This module is the client side, standard library only, so that a model's
interpreter does not pay for importing the server: ``open_services()`` runs the
server (``shared.harness.server``) in a child process for the tests, the CLI and
``python -m <model>_impl``; ``connect()`` finds one already running. The child
watches its stdin, so it ends with its parent however the parent ends.
``concurrency-compare serve`` runs the server in the foreground.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

from shared.errors import EnvironmentFailure
from shared.harness import processes
from shared.harness.pipes import last_line, line_within

READY_TIMEOUT = 20.0  # seconds a child may take to start serving
#: The server's environment on top of ours. Importing aiohttp loads the
#: system's CA bundle for its client's default TLS contexts, a quarter of the
#: server's start-up (and the suite starts dozens of servers); the server makes
#: no client connection, so it is pointed at none.
NO_CA_BUNDLE = {"SSL_CERT_FILE": os.devnull, "SSL_CERT_DIR": os.devnull}


class ServicesError(Exception):
    """The local services could not be started or reached."""


def raise_open_files_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit; return the new limit.

    Both ends of a big fan-out hold one descriptor per connection, and many
    systems start processes with a soft limit of 1,024.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):  # the system allows less than it says: keep what we have
            return soft
        return wanted
    return soft


@dataclass
class Services:
    """Where the local services are, and a way to read what they saw."""

    url: str
    unreachable: str
    pid: int | None = None  # the server's process, when open_services started it
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    def check(self, timeout: float) -> str:
        """What is wrong with the services, in a few words; "" when they answer in time."""
        ended = self.process.poll() if self.process is not None else None
        if ended is not None:
            return f"the local services ended ({processes.describe_status(ended)})"
        try:
            with urllib.request.urlopen(self.url + "/stats", timeout=timeout) as answer:
                answer.read()
        except (OSError, urllib.error.URLError) as exc:
            reason = getattr(exc, "reason", exc)
            if self.process is not None:  # a dying server resets connections before it ends
                with contextlib.suppress(subprocess.TimeoutExpired):
                    ended = self.process.wait(timeout=1)
                    return f"the local services ended ({processes.describe_status(ended)})"
            if isinstance(reason, TimeoutError):
                return f"the local services stopped answering (nothing in {timeout:g} s)"
            return f"the local services failed ({reason})"
        return ""

    def stats(self) -> dict[str, int]:
        return self._call("GET", "/stats")

    def reset(self) -> dict[str, int]:
        return self._call("POST", "/stats/reset")

    def _call(self, method: str, path: str) -> dict[str, int]:
        body = b"" if method == "POST" else None
        request = urllib.request.Request(self.url + path, method=method, data=body)
        with urllib.request.urlopen(request, timeout=5) as answer:
            counters: dict[str, int] = json.load(answer)
        return counters


def connect(url: str) -> Services:
    """The services already running at ``url``; ``ServicesError`` if none answer there."""
    base = url.rstrip("/")
    try:
        with urllib.request.urlopen(base + "/", timeout=3) as answer:
            about = json.load(answer)
        return Services(url=base, unreachable=str(about["unreachable"]))
    except (OSError, ValueError, KeyError, urllib.error.URLError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServicesError(f"no concurrency-compare services at {base} ({reason})") from None


@contextlib.contextmanager
def use_services(url: str | None) -> Iterator[Services]:
    """The services at ``url`` if one is given, else services of our own."""
    if url:
        yield connect(url)
    else:
        with open_services() as services:
            yield services


@contextlib.contextmanager
def open_services(port: int = 0) -> Iterator[Services]:
    """Start the services in a child process; stop it, whatever happens, on exit."""
    # A session of its own (see shared.harness.processes) keeps Ctrl-C for the parent,
    # which then stops the child in order; closing its stdin stops it even if
    # the parent dies.
    with processes.started(
        [sys.executable, "-m", "shared.harness.server", "--port", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **NO_CA_BUNDLE},
    ) as child:
        yield _wait_ready(child)


def _wait_ready(child: subprocess.Popen[bytes]) -> Services:
    assert child.stdout is not None and child.stderr is not None
    line = line_within(child.stdout, READY_TIMEOUT)
    if not line:
        processes.kill_group(child)
        child.wait()
        last = last_line(child.stderr.read()) or "no answer in time"
        raise EnvironmentFailure(f"the local services did not start: {last}")
    urls = json.loads(line)
    return Services(url=urls["url"], unreachable=urls["unreachable"], pid=child.pid, process=child)
