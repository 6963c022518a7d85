"""The open-loop load generator, in a process of its own.

``python -m shared.measure.load.generator --target URL --rate R --duration S`` sends GET
requests to URL on a schedule fixed before the first one leaves (every 1/R s,
or Poisson arrivals at rate R with ``--poisson``), and prints one JSON document
on stdout when the last answer is in.

Open loop: a send never waits for an earlier answer. By default a request
finds an idle keep-alive connection or opens a new one (up to ``--cap``), so a
server that stalls makes the generator open connections, not slow down; with
``--connections N`` (as wrk2) N connections are opened before the schedule
starts and a request waits for a free one. Either way every latency is measured from the
request's *intended* send time, the one in the schedule: when a server stalls
for a second, every request that the schedule placed in that second is charged
the part of the stall it waited through. A closed-loop tool (wrk, ab) would
have waited for the stalled answer before sending the next request, and
charged the stall to one request only: the coordinated omission that hides
stalls from its percentiles.

A connection per waiting request meets the server's listen backlog: once a stall
has filled its accept queue, the kernel drops each further SYN, and the client
sends it again after TCP's initial retransmission timeout of one second, so
every request past the backlog is charged about 1 s, not the rest of the stall
(a cluster at 1.0 s, p90 far above the stall's arithmetic). A pool never opens
connections during the stall, and gives the arithmetic whatever the backlog.

A request that fails or times out counts twice: in its errors or timeouts, and
in a second distribution at the timeout (what its user waited, for nothing),
beside the successes' one.

The generator checks itself: how late it sent each request against its own
schedule (its *lag*). When it cannot keep up (a busy machine, a rate beyond
what one process sends), its latencies include its own delay: the figures are
untrusted when that delay is a material share of them (``judge``), or when it
could not open the connections the schedule needed.

It speaks just enough HTTP/1.1 for the purpose (no pipelining, bodies by
``Content-Length``, chunked or close), on asyncio protocols and uvloop's event
loop when uvloop is installed: streams and a full HTTP client would cost more
CPU per request than the generator can afford on two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import sys
import time
from collections import deque
from dataclasses import dataclass, field, fields
from typing import cast
from urllib.parse import urlsplit

from hdrh.histogram import HdrHistogram

from shared import args as argtypes
from shared import documents
from shared.contract import HTTP_TIMEOUT
from shared.harness.services import raise_open_files_limit
from shared.measure.load.document import Connections, LoadRun, Percentiles

#: The percentiles of the distribution a chart draws (HdrHistogram's usual ladder).
LADDER = (0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100)

#: The generator is behind its own schedule when it sent its 99th-percentile
#: request this late: far above the event loop's millisecond timers and a busy
#: machine's scheduling noise, far below the delays the experiment measures.
LAG_LIMIT = 0.010
#: A run is untrusted when its lag p99 is over this share of the latency p99 it
#: measured (every request, failures at the timeout) and over LAG_FLOOR: a lag
#: adds at most itself to a latency, so a tenth moves the figures by less than
#: the spread between repeats, and under a millisecond it is timer noise that
#: changes no figure an engineer decides on.
LAG_SHARE = 0.10
LAG_FLOOR = 0.001
#: How often the running requests are checked against the timeout, in seconds.
SWEEP = 0.05
#: The cap of the default policy: at most this many connections open at once.
CAP = 10_000


@dataclass(frozen=True)
class Target:
    """Where the requests go, and the bytes of one request."""

    host: str
    port: int
    request: bytes

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"not an http:// URL: {url!r} (https is not supported)")
        port = parts.port or 80
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: concurrency-compare\r\n\r\n"
        return cls(parts.hostname, port, request.encode("ascii"))


@dataclass(frozen=True)
class Schedule:
    """One run of the generator: where it sends, how fast, for how long.

    Its fields are the generator's options (``--target``, ``--rate``, ...): the
    parent passes a run to the generator process as ``argv()``, and the
    generator reads it back from its arguments (``of``).
    """

    target: str
    rate: float  # requests per second
    duration: float  # seconds measured
    warmup: float = 0.0  # seconds sent before, not measured
    poisson: bool = False  # Poisson arrivals instead of a constant rate
    seed: int = 1  # of the Poisson schedule
    timeout: float = HTTP_TIMEOUT  # seconds a request may take, from its intended send
    # The connection policy: None, a connection per waiting request, at most ``cap``
    # at once; N, a pool of N opened before the schedule, a request waits for one.
    connections: int | None = None
    cap: int = CAP

    @classmethod
    def of(cls, args: argparse.Namespace) -> Schedule:
        """The run that parsed arguments ask for; what they do not say, at its default."""
        given = vars(args)
        return cls(**{f.name: given[f.name] for f in fields(cls) if f.name in given})

    def argv(self) -> list[str]:
        """The generator's options for this run."""
        options = ["--target", self.target, "--rate", f"{self.rate:g}",
                   "--duration", f"{self.duration:g}", "--warmup", f"{self.warmup:g}",
                   "--seed", str(self.seed), "--timeout", f"{self.timeout:g}",
                   "--cap", str(self.cap)]  # fmt: skip
        if self.connections is not None:
            options += ["--connections", str(self.connections)]
        return [*options, "--poisson"] if self.poisson else options

    @property
    def deadline(self) -> float:
        """Seconds the run may take at most, its last answers and a busy machine's delays in."""
        return self.warmup + self.duration + self.timeout + 30


def schedule(rate: float, duration: float, *, poisson: bool, seed: int) -> list[float]:
    """Intended send times, in seconds from the start, fixed before anything is sent."""
    if not poisson:
        count = int(rate * duration)
        return [i / rate for i in range(count)]
    chance = random.Random(seed)
    times: list[float] = []
    at = chance.expovariate(rate)
    while at < duration:
        times.append(at)
        at += chance.expovariate(rate)
    return times


@dataclass
class Tally:
    """What happened to the requests that count (those after the warm-up)."""

    timeout: float  # seconds: where a failure goes in ``every``
    latencies: HdrHistogram = field(default_factory=lambda: micros())  # the successes
    every: HdrHistogram = field(default_factory=lambda: micros())  # failures at the timeout
    lags: HdrHistogram = field(default_factory=lambda: micros())
    connects: HdrHistogram = field(default_factory=lambda: micros())  # every connection's
    sent: int = 0
    ok: int = 0
    timeouts: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    answered: list[float] = field(default_factory=list)  # when each success came in

    def success(self, seconds: float) -> None:
        self.answered.append(time.perf_counter())
        self.ok += 1
        micro = max(1, round(seconds * 1e6))
        self.latencies.record_value(micro)
        self.every.record_value(micro)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.every.record_value(round(self.timeout * 1e6))

    def timed_out(self) -> None:
        self.timeouts += 1
        self.every.record_value(round(self.timeout * 1e6))


def micros() -> HdrHistogram:
    """A histogram of microseconds, from 1 µs to an hour, to 3 significant digits."""
    return HdrHistogram(1, 3_600_000_000, 3)


class Connection(asyncio.Protocol):
    """One keep-alive connection, carrying at most one request at a time."""

    def __init__(self, load: Load) -> None:
        self.load = load
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.intended: float | None = None  # the running request's intended send time
        self.counted = False  # whether the running request counts (it is past the warm-up)
        self.reused = False  # whether the running request is not the connection's first
        self.received = 0  # bytes of the running request's answer so far
        self.status = 0
        self.remaining: int | None = None  # body bytes still due; None: headers not yet read
        self.chunked = False
        self.until_close = False
        self.keep = True
        self.wanted = True  # False: given up on while it connected

    # -- the running request -----------------------------------------------------

    def start(self, intended: float, counted: bool) -> None:
        self.intended, self.counted = intended, counted
        self.received, self.remaining, self.status = 0, None, 0
        self.chunked = self.until_close = False
        self.buffer.clear()
        assert self.transport is not None
        self.transport.write(self.load.target.request)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = transport = cast(asyncio.Transport, transport)
        if not self.wanted:
            transport.abort()
        elif self.intended is not None:
            self.start(self.intended, self.counted)

    def data_received(self, data: bytes) -> None:
        if self.intended is None:
            return  # nothing asked: a server's stray bytes
        self.received += len(data)
        self.buffer += data
        try:
            if self._parse():
                self.load.finished(self, ok=200 <= self.status < 400, kind=f"HTTP {self.status}")
        except ValueError:
            self.keep = False
            self.load.finished(self, ok=False, kind="bad answer")

    def _parse(self) -> bool:
        """Read what the buffer holds; True once the whole answer is in."""
        buffer = self.buffer
        if self.remaining is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return False
            lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
            del buffer[: end + 4]
            version, _, rest = lines[0].partition(" ")
            self.status = int(rest[:3])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip().lower()
            self.keep = version == "HTTP/1.1" and headers.get("connection") != "close"
            if self.status in (204, 304) or 100 <= self.status < 200:
                self.remaining = 0
            elif "chunked" in headers.get("transfer-encoding", ""):
                self.chunked, self.remaining = True, 0
            elif "content-length" in headers:
                self.remaining = int(headers["content-length"])
            else:
                self.until_close, self.remaining, self.keep = True, 0, False
                return False
        if self.until_close:
            buffer.clear()
            return False
        if not self.chunked:
            taken = min(self.remaining, len(buffer))
            del buffer[:taken]
            self.remaining -= taken
            return self.remaining == 0
        while True:  # chunked: size line, data, CRLF; a zero size ends it (no trailers)
            if self.remaining > 0:
                if len(buffer) < self.remaining + 2:
                    return False
                del buffer[: self.remaining + 2]
                self.remaining = 0
            end = buffer.find(b"\r\n")
            if end < 0:
                return False
            size = int(bytes(buffer[:end]).split(b";")[0], 16)
            del buffer[: end + 2]
            if size == 0:
                if buffer.startswith(b"\r\n"):
                    del buffer[:2]
                    return True
                return False
            self.remaining = size

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.intended is None:
            self.load.dropped(self)
        elif self.until_close:
            self.load.finished(self, ok=200 <= self.status < 400, kind=f"HTTP {self.status}")
        elif self.received == 0 and self.reused:
            # The server closed an idle keep-alive connection as we reused it:
            # what any client does is send again on a new connection.
            self.load.resend(self)
        else:
            kind = type(exc).__name__ if exc else "closed early"
            self.load.finished(self, ok=False, kind=kind)


class Load:
    """The schedule, the connections, and the tally."""

    def __init__(self, target: Target, *, timeout: float, max_connections: int) -> None:
        self.target = target
        self.timeout = timeout
        self.max_connections = max_connections
        self.tally = Tally(timeout)
        self.idle: list[Connection] = []
        self.busy: set[Connection] = set()
        self.waiting: deque[tuple[float, bool]] = deque()  # (intended, counted) with no connection
        self.opened = 0
        self.peak = 0
        self.capped = 0  # requests that waited for a connection: the cap (or pool) was full
        self.failed = 0  # connections that could not be opened
        self.outstanding = 0
        self.all_done = asyncio.Event()
        self.sending = True

    def send(self, intended: float, counted: bool) -> None:
        self.outstanding += 1
        if counted:
            self.tally.sent += 1
        if self.idle:
            connection = self.idle.pop()  # the most recent: the others may time out idle
            connection.reused = True
            self.busy.add(connection)
            connection.start(intended, counted)
        elif len(self.busy) + len(self.idle) < self.max_connections:
            self.connect(intended, counted)
        else:
            self.capped += 1
            self.waiting.append((intended, counted))

    def connect(self, intended: float, counted: bool) -> None:
        connection = Connection(self)
        connection.intended, connection.counted = intended, counted
        self.busy.add(connection)
        self.opened += 1
        self.peak = max(self.peak, len(self.busy) + len(self.idle))
        asyncio.get_running_loop().create_task(self._open(connection))

    async def fill(self, size: int) -> None:
        """Open a pool of ``size`` idle connections, before the schedule starts."""
        pool = [Connection(self) for _ in range(size)]
        self.opened += size
        opened = await asyncio.gather(*(self._open(c) for c in pool))
        self.idle.extend(c for c, ok in zip(pool, opened, strict=True) if ok)
        self.peak = len(self.idle)

    async def _open(self, connection: Connection) -> bool:
        loop = asyncio.get_running_loop()
        began = time.perf_counter()
        try:
            await loop.create_connection(lambda: connection, self.target.host, self.target.port)
        except OSError as exc:
            self.failed += 1
            connection.wanted = False
            if connection in self.busy:
                self.finished(connection, ok=False, kind=type(exc).__name__)
            return False
        self.tally.connects.record_value(max(1, round((time.perf_counter() - began) * 1e6)))
        return True

    def finished(self, connection: Connection, *, ok: bool, kind: str) -> None:
        intended, counted = connection.intended, connection.counted
        if intended is None:
            return
        connection.intended = None
        if connection.transport is None:
            connection.wanted = False  # still connecting: it is not needed any more
        took = time.perf_counter() - intended
        if counted:
            if not ok:
                self.tally.error(kind)
            elif took > self.timeout:  # in after the timeout, before the sweep saw it
                self.tally.timed_out()
            else:
                self.tally.success(took)
        self.busy.discard(connection)
        self.outstanding -= 1
        reusable = ok and connection.keep and connection.transport is not None
        if not reusable and connection.transport is not None:
            connection.transport.abort()
        if self.waiting:  # the cap was reached: a request waits for this connection
            intended, counted = self.waiting.popleft()
            if reusable:
                self.busy.add(connection)
                connection.reused = True
                connection.start(intended, counted)
            else:
                self.connect(intended, counted)
        elif reusable:
            self.idle.append(connection)
        self._settle()

    def resend(self, connection: Connection) -> None:
        intended, counted = connection.intended, connection.counted
        assert intended is not None
        self.busy.discard(connection)
        self.connect(intended, counted)

    def dropped(self, connection: Connection) -> None:
        if connection in self.idle:
            self.idle.remove(connection)

    def sweep(self) -> None:
        """Give up on the requests older than the timeout (counted from their intended time)."""
        limit = time.perf_counter() - self.timeout
        for connection in [c for c in self.busy if c.intended is not None]:
            if connection.intended is not None and connection.intended < limit:
                if connection.counted:
                    self.tally.timed_out()
                connection.counted = False
                connection.keep = False
                self.finished(connection, ok=False, kind="timeout")
        while self.waiting and self.waiting[0][0] < limit:
            _, counted = self.waiting.popleft()
            if counted:
                self.tally.timed_out()
            self.outstanding -= 1
        self._settle()

    def _settle(self) -> None:
        if not self.sending and self.outstanding <= 0:
            self.all_done.set()

    def close(self) -> None:
        for connection in [*self.idle, *self.busy]:
            if connection.transport is not None:
                connection.transport.abort()


def summary(histogram: HdrHistogram, *, most: float | None = None) -> Percentiles:
    """Percentiles and max of a histogram of microseconds, in milliseconds.

    ``most``: ms no figure exceeds, the timeout where failures were recorded at it:
    the histogram's bucket of it reads a little above or below, and a figure at the
    timeout must read as exactly the timeout (``LoadRun.at_timeout``).
    """
    if histogram.get_total_count() == 0:
        return Percentiles()
    values = [at(histogram, p, most) for p in (50, 90, 99, 99.9, 100)]
    return Percentiles(p50=values[0], p90=values[1], p99=values[2], p99_9=values[3],
                       max=values[4])  # fmt: skip


def ladder(histogram: HdrHistogram, *, most: float | None = None) -> list[tuple[float, float]]:
    """The (percentile, ms) of LADDER, for a chart; empty where nothing was timed."""
    if histogram.get_total_count() == 0:
        return []
    return [(p, at(histogram, p, most)) for p in LADDER]


def at(histogram: HdrHistogram, percentile: float, most: float | None) -> float:
    """A histogram's value at a percentile in ms; ``most`` where it falls in most's bucket."""
    if percentile >= 100:
        ms = float(histogram.get_max_value()) / 1000
    else:
        ms = float(histogram.get_value_at_percentile(percentile)) / 1000
    if most is not None and ms * 1000 >= histogram.get_lowest_equivalent_value(round(most * 1000)):
        return most
    return ms


async def run_load(run: Schedule) -> LoadRun:
    """Send the schedule to its target; the figures."""
    target = Target.parse(run.target)
    warmup, duration = run.warmup, run.duration
    times = schedule(run.rate, warmup + duration, poisson=run.poisson, seed=run.seed)
    pool = run.connections
    load = Load(target, timeout=run.timeout, max_connections=run.cap if pool is None else pool)
    if pool is not None:
        await load.fill(pool)
    cpu_before = os.times()
    began = time.perf_counter()
    lags = load.tally.lags

    async def sweeper() -> None:
        while True:
            await asyncio.sleep(SWEEP)
            load.sweep()

    sweeping = asyncio.get_running_loop().create_task(sweeper())
    start = time.perf_counter() + 0.02  # a moment to reach the first send
    measured_from = start + warmup
    try:
        for offset in times:
            intended = start + offset
            now = time.perf_counter()
            while now < intended:  # never early: uvloop's timers round to the millisecond
                await asyncio.sleep(intended - now)
                now = time.perf_counter()
            counted = intended >= measured_from
            if counted:
                lags.record_value(max(1, round((now - intended) * 1e6)))
            load.send(intended, counted)
        load.sending = False
        load._settle()
        await load.all_done.wait()
    finally:
        sweeping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeping
        load.close()
    cpu_after = os.times()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    wall = time.perf_counter() - began
    return report(load, run, cpu=cpu, wall=wall)


def throughput(tally: Tally, run: Schedule) -> float:
    """Answers per second to the requests that count: the pace they came in at.

    A service that keeps up answers at the offered rate; one that cannot answers
    at its own pace, which this gives even when every request is answered before
    the timeout. The pace is taken between the first and the last percent of the
    answers, so that one straggler does not stretch it, and is never more than the
    requests that count over the window (answers to warm-up requests left out).
    """
    times = tally.answered
    most = len(times) / run.duration
    trim = len(times) // 100
    inner = times[trim : len(times) - trim]
    if len(inner) < 3 or inner[-1] <= inner[0]:
        return most
    return min(most, (len(inner) - 1) / (inner[-1] - inner[0]))


def report(load: Load, run: Schedule, *, cpu: float, wall: float) -> LoadRun:
    """The figures of a run that has ended: ``cpu`` and ``wall`` seconds, the generator's."""
    tally = load.tally
    timeout_ms = run.timeout * 1000
    lag, every = summary(tally.lags), summary(tally.every, most=timeout_ms)
    behind = lag.p99 is not None and lag.p99 > LAG_LIMIT * 1000
    connections = Connections(load.opened, load.peak, load.capped, pool=run.connections,
                              failed=load.failed, connect_ms=summary(tally.connects))  # fmt: skip
    doubts = judge(lag, every, connections)
    notes = [f"{doubt} (untrusted)" for doubt in doubts]
    if behind and not doubts:
        notes.append(f"sent p99 {lag.p99:.1f} ms late, a small share of its latencies")
    if load.capped and run.connections is not None:
        notes.append(f"{load.capped} requests waited for one of {run.connections} connections")
    return LoadRun(
        target=run.target,
        rate=run.rate,
        duration=run.duration,
        timeout_ms=timeout_ms,
        poisson=run.poisson,
        sent=tally.sent,
        ok=tally.ok,
        errors=dict(sorted(tally.errors.items())),
        timeouts=tally.timeouts,
        throughput=throughput(tally, run),
        latency_ms=summary(tally.latencies),
        distribution=ladder(tally.latencies),
        latency_all_ms=every,
        distribution_all=ladder(tally.every, most=timeout_ms),
        lag_ms=lag,
        behind=behind,
        trusted=not doubts,
        connections=connections,
        seconds=round(wall, 3),
        cpu_seconds=round(cpu, 3),
        cpu_pct=round(100 * cpu / wall, 1) if wall > 0 else 0.0,
        notes=notes,
    )


def judge(lag: Percentiles, every: Percentiles, connections: Connections) -> list[str]:
    """Why a run's figures are not evidence, if they are not: the notes that say so."""
    doubts = []
    if lag.p99 is not None:
        limit = max(LAG_FLOOR * 1000, LAG_SHARE * (every.p99 or 0.0))
        if lag.p99 > limit:
            share = f"{LAG_SHARE:.0%} of its latency p99 or {LAG_FLOOR * 1000:g} ms"
            doubts.append(f"sent p99 {lag.p99:.1f} ms late, over {limit:.1f} ms: {share}")
    if connections.failed:
        doubts.append(f"{connections.failed} connections could not be opened")
    if connections.capped and connections.pool is None:
        doubts.append(f"{connections.capped} requests waited for a connection: the cap was reached")
    return doubts


def target_url(text: str) -> str:
    """``--target``: an http:// URL the generator can send to."""
    try:
        Target.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


#: ``--connections`` and ``--cap``: as `load --connections`.
CONNECTIONS = argtypes.whole(1, 100_000, "connections")
#: The bounds of `load --target`'s options, whose values the generator is given.
RATE = argtypes.positive_up_to(1_000_000, "requests per second")
DURATION = argtypes.positive_up_to(86_400, "seconds")
TIMEOUT = argtypes.positive_up_to(3_600, "seconds")
WARMUP = argtypes.within(0, 3_600, "seconds")


def make_parser() -> argparse.ArgumentParser:
    parser = argtypes.OneLineParser(prog="python -m shared.measure.load.generator")
    parser.add_argument("--target", type=target_url, help="an http:// URL")
    parser.add_argument("--rate", type=RATE, help="requests per second")
    parser.add_argument("--duration", type=DURATION, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=WARMUP, default=0.0, help="seconds sent, not measured")
    parser.add_argument("--poisson", action="store_true", help="Poisson arrivals, not constant")
    parser.add_argument("--seed", type=int, default=1, help="of the Poisson schedule")
    parser.add_argument("--timeout", type=TIMEOUT, default=HTTP_TIMEOUT)
    parser.add_argument(
        "--connections",
        type=CONNECTIONS,
        metavar="N",
        help="a pool of N connections opened before the schedule, a request waits for a free "
        "one (default: a connection per waiting request, at most --cap)",
    )
    parser.add_argument("--cap", type=CONNECTIONS, default=CAP, help="of the default policy")
    parser.add_argument(
        "--steps",
        action="store_true",
        help="read runs from stdin, one JSON list of these arguments a line; answer each "
        "with a JSON line (an experiment's steps, without an interpreter's start each)",
    )
    return parser


def run_one(args: argparse.Namespace) -> LoadRun:
    if not args.target or args.rate is None:
        raise SystemExit("a run needs --target and --rate")
    coroutine = run_load(Schedule.of(args))
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not args.steps and (not args.target or args.rate is None):
        parser.error("a run needs --target and --rate (or --steps)")
    raise_open_files_limit()  # one descriptor per connection, and a stall opens many
    # Collections of the few cycles a run makes would pause the schedule: rare ones suffice.
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    runs = (parser.parse_args(json.loads(line)) for line in sys.stdin) if args.steps else [args]
    for run in runs:
        json.dump(documents.to_json(run_one(run)), sys.stdout)
        print(flush=True)
        gc.collect()  # between runs, where a pause costs nothing
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
