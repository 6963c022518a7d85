"""Article example 1b: two tasks block on I/O while a third keeps working."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.contract import Expected, Outcome, Scenario, Spec, Transcript, at_least


@dataclass(frozen=True, kw_only=True)
class CooperativeSpec(Spec):
    block: float = 2.0  # how long gr1 and gr2 wait on their "service"
    work: float = 1.0  # how long gr3 works before it says "Done!"


@dataclass(kw_only=True)
class CooperativeOutcome(Outcome):
    started: list[str] = field(default_factory=list)  # sorted: who started before anyone ended
    ended: list[str] = field(default_factory=list)  # sorted: who ended
    done_before_ends: bool = False  # gr3 finished while gr1 and gr2 were still blocked


def expect(spec: CooperativeSpec, model: str) -> Expected:
    block, work = spec.seconds(spec.block), spec.seconds(spec.work)
    return Expected(
        facts={"started": ["gr1", "gr2", "gr3"], "ended": ["gr1", "gr2"], "done_before_ends": True},
        bounds={
            # Everything starts at once; blocking one after the other would
            # push gr2's start to the end of gr1's block.
            "last_start": at_least(0.0, below=block / 2),
            "done": at_least(work, below=(work + block) / 2),
            # Concurrent: the total is one block, not the two blocks in a row.
            "total": at_least(block, below=1.5 * block),
        },
        # gr3 kept off the CPU says Done! after a block ended: as much a timing as
        # the bounds; a blocking model gets it wrong however often it runs.
        late=["done_before_ends"],
    )


SCENARIO = Scenario(
    name="cooperative",
    article="1b",
    summary="two tasks block on I/O while a third works; all done in one block's time",
    idea=(
        "gr1 and gr2 stand for two requests to slow services: each starts, waits, "
        "and ends. While both wait, gr3 does some work of its own and says Done! "
        "Because waiting gives control away, the three start together, gr3 ends "
        "first, and the whole run takes as long as one wait, not the sum."
    ),
    spec_type=CooperativeSpec,
    outcome_type=CooperativeOutcome,
    expect=expect,
)


def outcome_from(out: Transcript) -> CooperativeOutcome:
    """Read the outcome off the transcript, the same way for every model.

    The lines are the article's: "gr1 started work: ...", "Lets do some stuff
    ...", "Done!", "gr1 ended work: ...".
    """
    starts: dict[str, float] = {}
    ends: dict[str, float] = {}
    done = float("inf")
    for line, t in zip(out.lines, out.times, strict=True):
        if "started work" in line:
            starts[line.split()[0]] = t
        elif line.startswith("Lets do some stuff"):
            starts["gr3"] = t
        elif "ended work" in line:
            ends[line.split()[0]] = t
        elif line == "Done!":
            done = t
    # Timings count from the first start, so that a slow start-up (a busy
    # machine, an event loop being created) does not count as blocking.
    first = min(starts.values(), default=0.0)
    return CooperativeOutcome(
        started=sorted(name for name, t in starts.items() if t < min(ends.values(), default=done)),
        ended=sorted(ends),
        done_before_ends=done < min(ends.values(), default=0.0),
        timings={
            "last_start": max(starts.values(), default=0.0) - first,
            "done": done - first,
            "total": max(ends.values(), default=0.0) - first,
        },
    )
