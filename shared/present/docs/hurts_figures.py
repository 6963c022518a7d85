"""docs/evaluation.md's blocks for "What hurts a service": each experiment's tables
and the sentences that quote its figures, all read from ``docs/hurts/hurts.json``."""

from __future__ import annotations

from collections.abc import Sequence

from shared import tables
from shared.measure.hurts.document import IDLE_DEFAULTS, IDLE_RAISED, HurtsDocument, Idle
from shared.present import hurts as hurts_output
from shared.present.docs import sources
from shared.present.docs.words import listed, possessive, span
from shared.tables import number


def cited(body: str) -> str:
    document = sources.hurts()
    return f"{body}\n\n{sources.cite(sources.HURTS, document.environment, link_from='docs')}"


def part(doc: HurtsDocument, name: str) -> str:
    """One experiment's tables in Markdown; a file without it is a bug of the docs."""
    found = hurts_output.parts(doc).get(name)
    if not found:
        raise LookupError(f"hurts.json has no {name} experiment")
    return "\n\n".join(tables.markdown(table) for table in found)


def ms(value: float | None) -> str:
    return "-" if value is None else number(value)


def cpu_block() -> str:
    """CPU in the handler: the tables, then what they say."""
    doc = sources.hurts()
    plan = doc.plan
    models = doc.cpu or []
    most = max(plan.cpu_ms)
    grown = []
    for model in models:
        p50 = {figure.cpu_ms: figure.load.latency_ms.p50 for figure in model.fixed}
        if p50.get(0) is not None and p50.get(most) is not None:
            grown.append(f"{possessive(model.model)} from {ms(p50[0])} to {ms(p50[most])} ms")
    carried = all(f.load.ok == f.load.sent for model in models for f in model.fixed)
    every = "every model answered every request at every C on one worker, and " if carried else ""
    said = (
        f"At {plan.cpu_rate:g} requests a second {every}the p50 grows with C: at C = "
        f"{most:g} ms, {listed(grown)}."
    )
    passes = []
    for model in models:
        found = [s for s in model.searches if s.workers == 1 and s.cpu_ms == most]
        for search in found:
            where = (f"at {search.passes_at:,.0f}" if search.passes_at is not None
                     else f"not yet at {search.steps[-1].load.rate:,.0f}" if search.steps
                     else "not measured")  # fmt: skip
            passes.append(f"for {model.model} {where}")
    if passes:
        said += (
            f" Rising rates at C = {most:g} ms find where one worker gives up: a core allows "
            f"at most {1000 / most:g} requests of {most:g} ms a second (a step of "
            f"{plan.ladder_seconds:g} s queues only what exceeds it, so the p99 may pass 1 s "
            f"above that), and the p99 passed 1 s {listed(passes)} requests a second."
        )
    layout = hurts_output.layout_line(doc.layout)
    run = f"The run: the {plan.name} plan, {doc.seconds / 60:.1f} minutes in all. {layout}."
    return cited(f"{run}\n\n{part(doc, 'cpu')}\n\n{said}")


def blocking_block() -> str:
    """A blocking call: the tables, then what they say."""
    doc = sources.hurts()
    plan = doc.plan
    p99: dict[tuple[str, str], float | None] = {}
    p999: dict[tuple[str, str], float | None] = {}
    for model in doc.blocking or []:
        for figure in model.figures:
            p99[model.model, figure.variant] = figure.load.latency_ms.p99
            p999[model.model, figure.variant] = figure.load.latency_ms.p99_9
    share = 100 / plan.block_every
    cooperative = [m for m in ("asyncio", "gevent") if (m, "none") in p99]
    said = (
        f"One request in {plan.block_every} makes a {plan.block_ms:g} ms call its model "
        f"does not cooperate with, at {plan.block_rate:g} requests a second: one call every "
        f"{plan.block_every / plan.block_rate:g} s."
    )
    if ("threads", "none") in p99 and _unmoved(p99["threads", "none"], p99["threads", "blocking"]):
        said += (
            f" In threads it holds its own thread only: p99 {ms(p99['threads', 'blocking'])} "
            f"ms against {ms(p99['threads', 'none'])} without the call, and only the "
            f"{share:g} % of requests that make the call wait for it (p99.9 "
            f"{ms(p999['threads', 'blocking'])} ms)."
        )
    if cooperative and not any(_unmoved(p99[m, "none"], p99[m, "blocking"]) for m in cooperative):
        went = listed(
            [f"{possessive(m)} p99 from {ms(p99[m, 'none'])} to {ms(p99[m, 'blocking'])} ms"
             for m in cooperative]
        )  # fmt: skip
        fixed = ", ".join(f"{m} {ms(p99[m, 'fixed'])} ms" for m in cooperative)
        tail = listed([ms(p999[m, "fixed"]) for m in cooperative])
        said += (
            f" In asyncio and gevent it holds the whole worker, and every request that "
            f"arrives meanwhile waits too: {went}. Offloaded, the call brings them back to "
            f"the threads' shape (p99 {fixed}; p99.9 {tail} ms, the calls themselves)."
        )
    return cited(f"{part(doc, 'blocking')}\n\n{said} {noticed(doc)}")


def noticed(doc: HurtsDocument) -> str:
    """What the detectors said of the burst of blocking calls, and of the offloaded ones."""
    plan = doc.plan
    calls = round(plan.detector_seconds * plan.detector_rate / plan.detector_every)
    said = []
    for model in doc.blocking or []:
        on_call = sum(report.about_the_call for report in model.detectors.blocking)
        after = sum(report.reports for report in model.detectors.fixed)
        names = listed([r.detector for r in model.detectors.blocking])
        offloaded = "nothing" if not after else f"{after} report(s)"
        if model.detectors.blocking:
            said.append(
                f"{model.model}'s {names.removeprefix(model.model + ' ')} pointed at "
                f"{on_call} of the burst's {calls} blocking calls, and said {offloaded} once "
                f"they were offloaded"
            )
        else:
            said.append(f"{model.model} have no detector, and nothing was said")
    return f"Who notices: {'; '.join(said)}." if said else ""


def _unmoved(before: float | None, after: float | None) -> bool:
    """Whether a p99 stayed within a fifth of what it was."""
    return before is not None and after is not None and after < 1.2 * before


def _largest(rows: Sequence[Idle], config: str) -> list[Idle]:
    chosen = [row for row in rows if row.config == config]
    most = max((row.connections for row in chosen), default=0)
    return [row for row in chosen if row.connections == most]


def idle_block() -> str:
    """Idle connections: the tables, then what they say."""
    doc = sources.hurts()
    rows = doc.idle or []
    raised = _largest(rows, IDLE_RAISED)
    parts = []
    costs = [(row, hurts_output.per_connection(row)) for row in raised]
    known = [(row, kib) for row, kib in costs if kib is not None]
    if known:
        count = known[0][0].connections
        each = ", ".join(f"{row.model} {number(kib)}" for row, kib in known)
        total = span([kib * count / 1024 for _, kib in known])
        parts.append(
            f"Held idle, with the limits raised, a keep-alive connection cost the worker "
            f"about {each} KiB ({count:,} held: {total} MiB in all)."
        )
    live = [row.live.load for row in rows if row.config == IDLE_RAISED]
    answered = all(load.ok == load.sent for load in live)
    p99s = [p for load in live if (p := load.latency_ms.p99) is not None]
    if live and p99s:
        every = "every model answered every live request" if answered else "live requests"
        parts.append(
            f"Meanwhile {every}, with a p99 of {span(p99s)} ms over every count: idle "
            f"connections cost memory and file descriptors, not latency."
        )
    opening = [1000 * row.opening_worker_cpu_seconds / row.connections for row in rows
               if row.opening_worker_cpu_seconds is not None and row.connections]  # fmt: skip
    if opening:
        parts.append(
            f"Accepting and answering each once cost the worker {span(opening)} ms of CPU."
        )
    defaults = [row for row in rows if row.config == IDLE_DEFAULTS]
    if defaults and all(row.released.still_open == 0 for row in defaults):
        parts.append(
            "As shipped, gunicorn's 2 s keep-alive closed every idle connection (none "
            "kept): a client that keeps its pool (a proxy, a mobile app) reconnects instead."
        )
    threads = [row.live.load.latency_ms.p50 for row in defaults if row.model == "threads"]
    if threads and all(p is not None for p in threads):
        cap = 1 / doc.plan.delay
        parts.append(
            f"The threads defaults' live requests queue for reasons of their own: one thread "
            f"and D = {doc.plan.delay * 1000:g} ms make {cap:g} requests a second its "
            f"ceiling, against {doc.plan.idle_rate:g} offered (p50 "
            f"{span([p for p in threads if p is not None])} ms)."
        )
    return cited(f"{part(doc, 'idle')}\n\n{' '.join(parts)}")


BLOCKS = {"hurts-cpu": cpu_block, "hurts-blocking": blocking_block, "hurts-idle": idle_block}
