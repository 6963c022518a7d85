"""The service alone (``<model>_impl/bare.py``): the deployed service's answers, on
the model's own sockets, keep-alive, clean refusals, and nothing left behind."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
import pytest

from shared.contract import EVENTS, MODELS
from shared.harness import processes
from shared.harness.services import READY_TIMEOUT, Services
from shared.measure import deploy, http1
from shared.measure.deploy import Ask
from shared.measure.load import experiment
from shared.measure.load.generator import Schedule
from tests.support.batches import Batches, batch
from tests.support.processes import alive, listening_here

#: Requests sent at once, each answered by the upstream after D: one after the
#: other the last waits 4 s, at once about 0.2 s; the bound sits far from both.
AT_ONCE, D, AT_ONCE_BOUND = 20, 0.2, 1.5
#: Seconds a connection must stay silent to count as kept open.
STILL_OPEN = 0.5
#: Seconds a service may take to stop once told (it promises one).
STOP_BOUND = 3.0


def get(target: str, *headers: str, version: str = "1.1") -> bytes:
    lines = [f"GET {target} HTTP/{version}", "Host: 127.0.0.1", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Conversation:
    """What a server answered on one connection, and whether it closed it after."""

    answers: list[Answer] = field(default_factory=list)
    closed: bool = False

    @property
    def statuses(self) -> list[int]:
        return [answer.status for answer in self.answers]


def converse(url: str, steps: list[tuple[bytes, int]]) -> Conversation:
    """On a new connection, each step's bytes sent, then its count of answers read.

    An answer that does not come within 5 s is missing from the result (a hang).
    """
    parts = urlsplit(url)
    seen = Conversation()
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        buffer = bytearray()

        def more() -> bool:
            chunk = sock.recv(65536)
            buffer.extend(chunk)
            return bool(chunk)

        try:
            for data, count in steps:
                sock.sendall(data)
                for _ in range(count):
                    while b"\r\n\r\n" not in buffer:
                        if not more():
                            seen.closed = True
                            return seen
                    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
                    status_line, *lines = head.decode("latin-1").split("\r\n")
                    headers = dict(line.split(":", 1) for line in lines)
                    headers = {k.lower(): v.strip() for k, v in headers.items()}
                    length = int(headers["content-length"])
                    buffer[:] = rest
                    while len(buffer) < length and more():
                        pass
                    seen.answers.append(Answer(int(status_line.split()[1]), headers,
                                               bytes(buffer[:length])))  # fmt: skip
                    del buffer[:length]
            sock.settimeout(STILL_OPEN)
            seen.closed = not more()
        except TimeoutError:  # silent: still open (or hung, if an answer is missing)
            pass
        except ConnectionResetError:
            seen.closed = True
    return seen


def one(url: str, data: bytes) -> Conversation:
    return converse(url, [(data, 1)])


@dataclass
class Bare:
    """One model's service alone, running."""

    model: str
    url: str
    child: subprocess.Popen[bytes]
    output: Path  # its stdout and stderr


@contextlib.contextmanager
def running(model: str, upstream: str) -> Iterator[Bare]:
    """``python -m <model>_impl.bare`` on a listener of ours, as gunicorn's fd:// bind."""
    listener = deploy.free_listener()
    port = listener.getsockname()[1]
    output = processes.scratch() / f"bare-{model}-{port}.log"
    with listener, output.open("wb") as log:  # the child keeps its own copies
        child = processes.DEFAULT.spawn(
            [sys.executable, "-m", f"{model}_impl.bare", "--fd", str(listener.fileno())],
            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, deploy.UPSTREAM_ENV: upstream},
            pass_fds=(listener.fileno(),),
        )  # fmt: skip
    try:
        yield Bare(model, f"http://127.0.0.1:{port}", child, output)
    finally:
        processes.DEFAULT.finish(child)


def ready(bare: Bare) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and bare.child.poll() is None:
        probe = f"{bare.url}/?delay=0"
        with contextlib.suppress(OSError), urllib.request.urlopen(probe, timeout=1) as answer:
            if answer.status == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{bare.model}_impl.bare did not start: {bare.output.read_text()}")


def many_at_once(url: str) -> float:
    """The slowest of AT_ONCE requests sent within a tenth of a second, each costing D
    upstream, in seconds from its intended send.

    The project's open-loop generator sends them from a process of its own: threads
    of this one would wait for the suite's other work to give up the GIL.
    """
    run = experiment.generate(Schedule(f"{url}/?delay={D:g}", AT_ONCE * 10, 0.1))
    assert (run.sent, run.ok) == (AT_ONCE, AT_ONCE)
    assert run.latency_ms.max is not None
    return run.latency_ms.max / 1000


#: The conversations every service has, all at once: name -> the steps.
CONVERSATIONS: dict[str, list[tuple[bytes, int]]] = {
    "answer": [(get("/?delay=0.01&cpu=0.5"), 1)],
    # A bad query is answered, and the connection stays: it was good HTTP.
    "keep_alive": [(get("/?delay=0"), 1), (get("/?delay=soon"), 1), (get("/?delay=0"), 1)],
    "close": [(get("/?delay=0", "Connection: close"), 1)],
    "http10": [(get("/?delay=0", version="1.0"), 1)],
    "http10_keep_alive": [(get("/?delay=0", "Connection: keep-alive", version="1.0"), 1)],
    # Three requests in one write: answered in order, the slowest first.
    "pipelined": [(get("/?delay=0.1") + get("/?delay=0") + get("/?delay=0.05"), 3)],
    "bad_line": [(b"GIBBERISH\r\n\r\n", 1)],
    "http2": [(get("/?delay=0", version="2.0"), 1)],
    "body_on_get": [(get("/?delay=0", "Content-Length: 5")[:-2] + b"\r\nhello", 1)],
    "chunked_get": [(get("/?delay=0", "Transfer-Encoding: chunked") + b"2\r\nhi\r\n0\r\n\r\n", 1)],
    "post": [(b"POST /?delay=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\nhi", 1)],
    # A good request, then bad bytes in the same write: the first answered, then a 400.
    "good_then_bad": [(get("/?delay=0") + b"GIBBERISH\r\n\r\n", 2)],
}


#: Bad arguments, each refused in one line: (model, its arguments, whether the
#: upstream's variable is set). What each model does with them is http1.main's.
BAD_ARGUMENTS = {
    "none": ("asyncio", [], True),
    "both": ("gevent", ["--fd", "3", "--port", "0"], True),
    "port": ("threads", ["--port", "70000"], True),
    "not a socket": ("threads", ["--fd", "0"], True),  # stdin: /dev/null
    "no upstream": ("threads", ["--port", "0"], False),
}


def refused_arguments(model: str, argv: list[str], upstream: bool) -> processes.Finished:
    env = {k: v for k, v in os.environ.items() if k != deploy.UPSTREAM_ENV}
    if upstream:
        env[deploy.UPSTREAM_ENV] = "http://127.0.0.1:9"
    command = [sys.executable, "-m", f"{model}_impl.bare", *argv]
    return processes.run(command, timeout=30, stdin=subprocess.DEVNULL, env=env)


def idle_connection(url: str) -> socket.socket:
    """A connection that was answered once and idles, kept alive."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    sock.sendall(get("/?delay=0"))
    sock.recv(65536)
    return sock


def upstream_connections(bare: Bare, upstream: str) -> int:
    """The service's connections to the upstream that are open."""
    port = urlsplit(upstream).port
    connections = psutil.Process(bare.child.pid).net_connections("inet")
    return sum(1 for c in connections if c.raddr and c.raddr.port == port
               and c.status == psutil.CONN_ESTABLISHED)  # fmt: skip


def stopped(bare: Bare, stop: Callable[[Bare], None]) -> tuple[int | None, float]:
    """``stop(bare)``, then the service's exit status and how long it took to exit."""
    began = time.perf_counter()
    stop(bare)
    with contextlib.suppress(subprocess.TimeoutExpired):
        bare.child.wait(timeout=10)
    return bare.child.returncode, time.perf_counter() - began


def terminate(bare: Bare) -> None:
    bare.child.send_signal(signal.SIGTERM)


def close_stdin(bare: Bare) -> None:
    assert bare.child.stdin is not None
    bare.child.stdin.close()


@dataclass
class Seen:
    """What one model's service did, and how it ended."""

    conversations: dict[str, Conversation]
    wall: float  # the slowest of AT_ONCE requests of D sent at once
    term: tuple[int | None, float]  # exit status and seconds after SIGTERM, a connection idle
    eof: tuple[int | None, float]  # the same for a second one, told by closing its stdin
    output: str  # everything both wrote
    left_running: list[int]
    upstream_connections: int  # open to the upstream once every conversation was answered


@dataclass
class Everything:
    models: dict[str, Seen]
    still_listening: list[str]
    bad_arguments: dict[str, processes.Finished]


@batch
def bare_services(services: Services) -> Everything:
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(64) as pool:
        bares = {m: stack.enter_context(running(m, services.url)) for m in MODELS}
        spares = {m: stack.enter_context(running(m, services.url)) for m in MODELS}
        bad = {case: pool.submit(refused_arguments, *how) for case, how in BAD_ARGUMENTS.items()}
        for started in [pool.submit(ready, b) for b in (*bares.values(), *spares.values())]:
            started.result()
        talks = {(m, name): pool.submit(converse, bares[m].url, steps)
                 for m in MODELS for name, steps in CONVERSATIONS.items()}  # fmt: skip
        walls = {m: pool.submit(many_at_once, bares[m].url) for m in MODELS}
        for future in (*talks.values(), *walls.values()):
            future.result()
        kept = {m: upstream_connections(bares[m], services.url) for m in MODELS}
        # Stopped while a keep-alive connection idles: it must not hold the service up.
        idle = [idle_connection(b.url) for b in bares.values()]
        terms = {m: pool.submit(stopped, bares[m], terminate) for m in MODELS}
        eofs = {m: pool.submit(stopped, spares[m], close_stdin) for m in MODELS}
        seen = {
            m: Seen(
                conversations={name: talks[m, name].result() for name in CONVERSATIONS},
                wall=walls[m].result(),
                term=terms[m].result(),
                eof=eofs[m].result(),
                output=bares[m].output.read_text() + spares[m].output.read_text(),
                left_running=[b.child.pid for b in (bares[m], spares[m]) if alive(b.child.pid)],
                upstream_connections=kept[m],
            )
            for m in MODELS
        }
        for sock in idle:
            sock.close()
        urls = [b.url for b in (*bares.values(), *spares.values())]
        return Everything(
            seen,
            listening_here(urls),
            {case: future.result() for case, future in bad.items()},
        )


# -- what they answer ------------------------------------------------------------


def seen_by(batches: Batches, model: str) -> Seen:
    return batches[bare_services].models[model]


# The same JSON document as the deployed service, for the same query.
def test_the_deployed_services_answer(batches: Batches, model: str) -> None:
    (answer,) = seen_by(batches, model).conversations["answer"].answers
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == deploy.answer(list(EVENTS), Ask(delay=0.01, cpu_ms=0.5))


# HTTP/1.1 keeps the connection for the next request, a bad query included (400 and
# Ask's one-line reason, as the deployed services answer it).
def test_keep_alive(batches: Batches, model: str) -> None:
    talk = seen_by(batches, model).conversations["keep_alive"]
    assert talk.statuses == [200, 400, 200] and not talk.closed
    with pytest.raises(ValueError) as reason:
        Ask.from_query({"delay": "soon"})
    assert talk.answers[1].body.decode() == str(reason.value)


# Connection: close is honoured; HTTP/1.0 closes unless it asked for keep-alive.
def test_close(batches: Batches, model: str) -> None:
    talks = seen_by(batches, model).conversations
    for name, closed in [("close", True), ("http10", True), ("http10_keep_alive", False)]:
        assert (talks[name].statuses, talks[name].closed) == ([200], closed), name
    assert talks["close"].answers[0].headers["connection"] == "close"
    assert talks["http10_keep_alive"].answers[0].headers["connection"] == "keep-alive"


# Pipelined requests are answered in order, the slowest (sent first) first.
def test_pipelined_requests_in_order(batches: Batches, model: str) -> None:
    talk = seen_by(batches, model).conversations["pipelined"]
    assert talk.statuses == [200] * 3 and not talk.closed
    assert [answer.json()["delay"] for answer in talk.answers] == [0.1, 0, 0.05]


# What a service does not handle is answered, and the connection closed: no hang.
@pytest.mark.parametrize(
    ("name", "statuses"),
    [
        ("bad_line", [400]),
        ("http2", [505]),
        ("body_on_get", [400]),
        ("chunked_get", [400]),
        ("post", [405]),
        ("good_then_bad", [200, 400]),
    ],
)
def test_refused_cleanly(batches: Batches, model: str, name: str, statuses: list[int]) -> None:
    talk = seen_by(batches, model).conversations[name]
    assert (talk.statuses, talk.closed) == (statuses, True)
    assert talk.answers[-1].headers["connection"] == "close"


# Requests waiting on the upstream are served at once, not one after the other.
def test_concurrent(batches: Batches, model: str) -> None:
    wall = seen_by(batches, model).wall
    assert D - 0.01 <= wall < AT_ONCE_BOUND


# The upstream client keeps its connections for the next requests: some are open
# once all were answered (none if each request had its own), at most the pool's.
def test_upstream_connections_kept(batches: Batches, model: str) -> None:
    assert 1 <= seen_by(batches, model).upstream_connections <= http1.POOL


# -- how they end ----------------------------------------------------------------


# SIGTERM, or the end of stdin (the parent gone), stops a service at once and cleanly,
# an idle keep-alive connection notwithstanding; it printed nothing meanwhile.
def test_stops_cleanly(batches: Batches, model: str) -> None:
    seen = seen_by(batches, model)
    for status, seconds in (seen.term, seen.eof):
        assert status == 0 and seconds < STOP_BOUND
    assert seen.output == ""
    assert seen.left_running == []


# Nothing listens on their ports once they are gone.
def test_nothing_left_listening(batches: Batches) -> None:
    assert batches[bare_services].still_listening == []


# Bad arguments: one line on stderr, exit status 2, nothing served.
@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_bad_arguments(batches: Batches, case: str) -> None:
    finished = batches[bare_services].bad_arguments[case]
    model = BAD_ARGUMENTS[case][0]
    assert finished.returncode == 2 and finished.stdout == ""
    assert finished.stderr.startswith(f"python -m {model}_impl.bare: error: ")
    assert finished.stderr.count("\n") == 1
