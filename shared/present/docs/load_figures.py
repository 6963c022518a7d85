"""docs/evaluation.md's blocks for "As a service": the load experiment's tables and
the sentences that quote its figures, all read from ``docs/load/load.json``."""

from __future__ import annotations

from shared.measure.load.document import DeploymentFigures, LoadDocument
from shared.present import load as load_output
from shared.present.docs import sources
from shared.present.docs.words import capital, listed, possessive, span
from shared.tables import number


def cited(body: str) -> str:
    document = sources.load()
    return f"{body}\n\n{sources.cite(sources.LOAD, document.environment, link_from='docs')}"


def table() -> str:
    """The load experiment's summary tables, as ``load --markdown`` prints them."""
    return load_output.markdown(sources.load())


def plan_line(doc: LoadDocument) -> str:
    """The committed run's plan, its generator's own check and where each process ran."""
    plan = doc.plan
    rates = ", ".join(f"{rate:,.0f}" for rate in plan.rates)
    arrivals = "Poisson arrivals" if plan.poisson else "a constant rate"
    refined = f", then {plan.refine} bisection steps" if plan.refine else ""
    return (
        f"The run: the {plan.name} plan, {plan.repeats} repeats with the deployments "
        f"interleaved (seed {plan.seed}), {arrivals} of {rates} requests a second{refined}, "
        f"{plan.duration:g} s measured per rate after {plan.warmup:g} s of warm-up, a "
        f"request given up after {plan.timeout:g} s; wrk {plan.wrk_seconds} s per repeat; "
        f"{doc.seconds / 60:.1f} minutes in all. "
        f"{capital(load_output.generator_line(doc.generator).plain)}. "
        f"{load_output.layout_line(doc).plain}."
    )


def figures_block() -> str:
    """The plan of the run, then its tables."""
    doc = sources.load()
    return cited(f"{plan_line(doc)}\n\n{table()}")


def reading() -> str:
    """The model or the stack, and the defaults' cap, from the figures."""
    doc = sources.load()
    bare = {d.model: d for d in doc.deployments if d.server == "bare"}
    deployed = [d for d in doc.deployments if d.server != "bare"]

    def cost(deployment: DeploymentFigures) -> float | None:
        return deployment.cpu_ms_per_answer.median

    parts = []
    alone = [c for d in bare.values() if (c := cost(d)) is not None]
    if alone:
        own = ", ".join(f"{name} {number(c)}" for name, d in bare.items()
                        if (c := cost(d)) is not None)  # fmt: skip
        stacks = []
        for model in dict.fromkeys(d.model.split("+")[0] for d in deployed):
            costs = [c for d in deployed
                     if d.model.split("+")[0] == model and (c := cost(d)) is not None]  # fmt: skip
            if costs:
                stacks.append(f"{possessive(model)} {span(costs)}")
        parts.append(
            f"**The model or the stack.** One worker is one core at most, so its CPU per "
            f"answer sets its rate. Alone, on one C parser, the models cost the worker "
            f"{own} ms of CPU per answer; deployed, {listed(stacks)} ms. What the bare "
            f"services share is the parser, so the gap between a model's bare and deployed "
            f'figures is its stack\'s (the table "the model alone, and the stack deployed"), '
            f"and the gap between the bare rows is the models'."
        )
    delay = doc.plan.delay
    caps = (
        f"**The defaults' caps.** gthread's default of one thread serves one request at a "
        f"time: with an upstream of {delay * 1000:g} ms it can never answer more than "
        f"{1 / delay:g} a second, whatever the CPU (`tests/measure/test_load.py` pins it). A "
        f"threaded service needs as many threads as requests in flight, the rate times the "
        f"latency (Little's law)"
    )
    threads = next((d for d in deployed if d.model == "threads"), None)
    most = threads.saturation.median if threads else None
    if threads and most:
        caps += (
            f": at its saturation of {most:,.0f} a second the tuned threads deployment "
            f"({threads.limits}) had some {most * delay:,.0f} requests in flight"
        )
    parts.append(caps + ".")
    return cited("\n\n".join(parts))


BLOCKS = {"load": figures_block, "load-reading": reading}
