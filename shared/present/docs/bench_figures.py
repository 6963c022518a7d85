"""docs/evaluation.md's blocks for "What it costs": the bench's tables and the
sentences that quote its figures, all read from ``docs/bench/bench.json``."""

from __future__ import annotations

import statistics

from shared import tables
from shared.measure.bench.figures import BenchDocument, Result
from shared.present import bench as bench_output
from shared.present.docs import sources
from shared.tables import number


def cited(body: str) -> str:
    """A block of the bench's figures, with the line that says where they come from."""
    document = sources.bench()
    return f"{body}\n\n{sources.cite(sources.BENCH, document.environment, link_from='docs')}"


def one(document: BenchDocument, workload: str, model: str, size: int | None = None,
        variant: str = "") -> Result:  # fmt: skip
    """The result of one cell; a missing cell is a bug of the docs, not of the figures."""
    found = [r for r in document.of(workload, size, variant) if r.model == model]
    if not found:
        raise LookupError(f"bench.json has no {workload} {variant} {size} for {model}")
    return found[0]


def median(result: Result, metric: str) -> float:
    figure = result.figure(metric)
    if figure is None:
        raise LookupError(f"bench.json: {result.model} has no {metric}")
    return figure.median


def percent(more: float, less: float) -> str:
    """How much more ``more`` is than ``less``, in whole per cent."""
    return f"{100 * (more - less) / less:.0f} %"


#: A process at this share of one core (%) or more is taken for the bottleneck.
SATURATED = 90.0


def pace(time: float, other: float) -> str:
    """How one time per operation compares with another: within 15 % reads "about as fast"."""
    if abs(time / other - 1) < 0.15:
        return "about as fast as"
    return "faster than" if time < other else "slower than"


def tables_block() -> str:
    """The models at a glance and the fan-out at every N, then where it was measured."""
    document = sources.bench()
    body = bench_output.markdown(document)
    return cited(f"{body}\n\n{tables.markdown(bench_output.facts(document))}")


def pitfalls() -> str:
    """What the figures show beyond the ranking, each point with its figures."""
    d = sources.bench()
    sizes = d.plan.fanout_sizes
    big = max(sizes)
    mid = sorted(sizes)[-2]
    delay_ms = d.plan.delay * 1000

    def wall(model: str, size: int, variant: str, warm: bool = False) -> float:
        return median(one(d, "fanout", model, size, variant), "warm_wall_s" if warm else "wall_s")

    def peak(model: str, size: int, variant: str) -> int:
        return round(median(one(d, "fanout", model, size, variant), "server_peak_in_flight"))

    def overhead(model: str, size: int, warm: bool = False) -> float:
        name = "warm_overhead_us_per_request" if warm else "overhead_us_per_request"
        return median(one(d, "fanout", model, size, "tuned"), name)

    def cpu_per_request(model: str) -> float:
        """The client's CPU per request over a tuned fan-out's passes, in ms."""
        result = one(d, "fanout", model, big, "tuned")
        passes = 2 if result.figure("warm_wall_s") else 1
        return 1000 * median(result, "client_cpu_s") / (passes * big)

    def switch(model: str) -> float:
        return median(one(d, "switch", model), "us_per_round_trip")

    def rate(model: str) -> float:
        return median(one(d, "throughput", model), "requests_per_s")

    def cpu(model: str, who: str) -> float:
        return median(one(d, "throughput", model), f"{who}_cpu_pct")

    a_peak, t_peak = peak("asyncio", mid, "defaults"), peak("threads", mid, "defaults")
    caps = (
        f"- **Hidden caps.** With their defaults, aiohttp's connector holds 100 connections "
        f"and `ThreadPoolExecutor` min(32, CPUs + 4) workers: the server saw at most "
        f"{a_peak:,} and {t_peak:,} requests in flight. At N = {mid:,}, asyncio took "
        f"{number(wall('asyncio', mid, 'defaults'))} s with its defaults against "
        f"{number(wall('asyncio', mid, 'tuned'))} s tuned, and threads "
        f"{number(wall('threads', mid, 'defaults'))} s with the default executor: "
        f"{mid // a_peak:,} rounds of {a_peak:,} and about {mid / t_peak:,.0f} rounds of "
        f"{t_peak:,} requests of {delay_ms:g} ms. gevent has no cap, and neither has "
        f"requests' pool of 10 connections per host: with more at once it opens more and "
        f"closes each one that does not fit back in, so at N = {big:,} gevent's defaults "
        f"took {percent(wall('gevent', big, 'defaults'), wall('gevent', big, 'tuned'))} "
        f"longer than tuned, and its warm pass was "
        f"{percent(wall('gevent', big, 'tuned'), wall('gevent', big, 'tuned', warm=True))} "
        f"quicker than its cold one."
    )
    warm = (
        f"- **Cold against warm connections.** Over connections already open, a tuned pass "
        f"cost asyncio {number(overhead('asyncio', mid, warm=True))} µs of overhead a "
        f"request at N = {mid:,} against {number(overhead('asyncio', mid))} µs cold, and "
        f"{number(wall('asyncio', big, 'tuned', warm=True))} s against "
        f"{number(wall('asyncio', big, 'tuned'))} s of wall time at {big:,}. The "
        f"requests-based models gain less (gevent {number(overhead('gevent', mid, warm=True))}"
        f" against {number(overhead('gevent', mid))} µs, threads "
        f"{number(overhead('threads', mid, warm=True))} against "
        f"{number(overhead('threads', mid))}): their cost is the client's CPU per request, "
        f"not the connecting. A benchmark that reuses connections and one that does not "
        f"measure different things."
    )
    client = (
        f"- **The client library, not the model.** gevent and threads use requests, asyncio "
        f"uses aiohttp. gevent switches {pace(switch('gevent'), switch('asyncio+uvloop'))} "
        f"uvloop ({number(switch('gevent'))} against {number(switch('asyncio+uvloop'))} µs a round "
        f"trip), yet its fan-out of {big:,} took {number(wall('gevent', big, 'tuned'))} s "
        f"against {number(wall('asyncio+uvloop', big, 'tuned'))}: its client spent "
        f"{number(cpu_per_request('gevent'))} ms of CPU a request against aiohttp's "
        f"{number(cpu_per_request('asyncio+uvloop'))} on uvloop. In throughput the client "
        f"is at about a core in every model ({number(min(cpu(m, 'client') for m in d.models))}"
        f" to {number(max(cpu(m, 'client') for m in d.models))} %): "
        f"{rate('gevent'):,.0f} requests a second with gevent and {rate('threads'):,.0f} "
        f"with threads are requests' ceiling on one core, not the model's."
    )
    busiest = cpu("asyncio+uvloop", "server")
    server = (
        f"- **The server as the bottleneck.** With uvloop the client did "
        f"{rate('asyncio+uvloop'):,.0f} requests a second and the one-process aiohttp "
        f"server was at {busiest:.0f} % of a core"
    )
    server += (
        ": the figure is near the server's limit, and a faster client would show little more."
        if busiest >= SATURATED
        else "."
    )
    overflowed = [r for r in d.of("fanout", big, "tuned") if r.figure("listen_overflows")]
    if overflowed:
        overflow = "the server's accept queue overflowed"
        said = ", ".join(
            ", ".join([r.model, *filter(None, [note.removeprefix(overflow).strip(" ()")])])
            for r in overflowed
            for note in r.notes.split("; ")
            if note.startswith(overflow)
        )
        server += (
            f" At a fan-out of {big:,} the clients connect faster than the server accepts: "
            f"its accept queue holds {d.machine.somaxconn:,} (`net.core.somaxconn`), and a "
            f"connection that does not fit is dropped and retried a second later (it "
            f"overflowed for {said})."
        )
    server += (
        f" And tuned threads had at most {peak('threads', big, 'tuned'):,} requests in "
        f"flight at {big:,}: by the time the client has started the next threads and "
        f"requests, the first ones are answered."
    )
    return cited("\n".join([caps, warm, client, server]))


def limits() -> str:
    """Where threads stop, the fan-out's deadlines, and the noise of the machine."""
    d = sources.bench()
    machine, plan = d.machine, d.plan
    mid = sorted(plan.fanout_sizes)[-2]
    big = max(plan.fanout_sizes)
    executor = one(d, "fanout", "threads", mid, "defaults")
    per_second = mid / median(executor, "wall_s")
    busy = sorted(r.busy_elsewhere for found in d.results.values() for r in found
                  if r.busy_elsewhere is not None)  # fmt: skip
    tenth = busy[int(0.9 * (len(busy) - 1))]
    stops = (
        f"**Where threads stop.** The machine has pid_max {machine.pid_max:,} and "
        f"threads-max {machine.threads_max:,}, and both count every thread of every process "
        f"on it: a benchmark that ran into them would make the other programs' thread starts "
        f"and forks fail. So threads stop at {machine.thread_cap:,}, and the tables say so "
        f"where that applies. A fan-out pass has a deadline ({plan.deadline:g} s tuned, "
        f"{plan.defaults_deadline:g} s with the defaults) after which the rest is cancelled "
        f"and the cell says so: threads behind the default executor answered "
        f"{per_second:,.0f} requests a second at N = {mid:,}, so {big:,} would take "
        f"{big / per_second:,.0f} s."
    )
    noise = (
        f"**The noise.** Under every terminal table, and beside every figure in the JSON, "
        f"the bench gives the cores that *other* programs kept busy while it measured (the "
        f"machine's busy time, less the bench's own and its server's); the JSON also gives "
        f"the 1-minute load average. The first is the one to read: the load average counts "
        f"the bench's own threads too, and releasing thousands of parked threads sends it "
        f"up for a minute. In this run the other programs kept "
        f"{statistics.median(busy):.2f} cores busy on median over the cells, {tenth:.2f} at "
        f"the 90th percentile and {busy[-1]:.2f} at most."
    )
    return cited(f"{stops}\n\n{noise}")


BLOCKS = {"bench": tables_block, "bench-pitfalls": pitfalls, "bench-limits": limits}
