"""The gevent tutorial's Monkeypatching: one blocking call in the middle of concurrent work."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.contract import Bound, Difference, Expected, Outcome, Scenario, Spec, at_least

#: The calls made in the middle of the ticking, one after the other:
SLEEP = "time.sleep()"  # the standard library's sleep, as the code calls it
LIBRARY = "a library's own wait"  # a C library that blocks on its own (the original sleep)
OFFLOADED = "that wait, in a thread"  # the same, handed to a thread by the model's means
STEPS = (SLEEP, LIBRARY, OFFLOADED)

#: Each model's own detector of a stalled loop or hub.
DETECTOR = {
    "asyncio": "asyncio debug mode",
    "gevent": "gevent monitor thread",
    "threads": "none",
}


@dataclass(frozen=True, kw_only=True)
class BlockingSpec(Spec):
    tick: float = 0.04  # the ticker's period
    block: float = 0.8  # how long each call in the middle takes

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < 4 * self.tick <= self.block:
            raise ValueError(
                f"tick {self.tick!r} must be positive and at most a quarter of block "
                f"{self.block!r}: a stall must stand out from the ticks"
            )

    def threshold(self) -> float:
        """A gap above this is a stall (article seconds).

        A stalled ticker misses the whole call, never less: the threshold sits
        just below it, so a busy machine that delays a tick is not taken for
        a stall.
        """
        return 0.75 * self.block


@dataclass(kw_only=True)
class BlockingOutcome(Outcome):
    stalled: dict[str, bool] = field(default_factory=dict)  # step -> the ticker stalled
    detector: str = ""  # which of DETECTOR
    # step -> whether the detector reported it, for the steps that stalled. A
    # report during a step that did not stall is noise (a busy machine makes a
    # callback slow too): kept in ``reports``, not compared.
    caught: dict[str, bool] = field(default_factory=dict)
    reports: list[str] = field(default_factory=list)  # "step: what the detector said"

    def facts(self) -> dict[str, Any]:
        facts = super().facts()
        del facts["reports"]
        return facts


#: The steps that stall the ticker, per model.
STALLS = {
    # A coroutine that calls any blocking function holds the loop for its duration.
    "asyncio": {SLEEP: True, LIBRARY: True, OFFLOADED: False},
    # The patched time.sleep yields to the hub; the original does not.
    "gevent": {SLEEP: False, LIBRARY: True, OFFLOADED: False},
    # The ticker has a thread of its own.
    "threads": {SLEEP: False, LIBRARY: False, OFFLOADED: False},
}


def expect(spec: BlockingSpec, model: str) -> Expected:
    block = spec.seconds(spec.block)
    stalls = STALLS[model]
    bounds = {
        # A stalled ticker waits the whole call; one that is not, about a tick.
        f"gap {step}": at_least(block, below=3 * block)
        if stalls[step]
        else Bound(0.0, spec.seconds(spec.threshold()))
        for step in STEPS
    }
    caught = {step: DETECTOR[model] != "none" for step in STEPS if stalls[step]}
    return Expected(
        facts={"stalled": stalls, "detector": DETECTOR[model], "caught": caught},
        bounds=bounds,
    )


SCENARIO = Scenario(
    name="blocking",
    article="tutorial: Monkeypatching",
    summary="one blocking call amid concurrent work: the stall, its detector, its fix",
    idea=(
        "A ticker ticks every few milliseconds while, beside it, one call blocks "
        "for a while; the ticker's longest gap shows whether the call stalled "
        "everything else. Three calls, one after the other: time.sleep as written; "
        "a library's own wait (the original, unpatched time.sleep, standing in for "
        "a C library doing its own I/O, which no monkey-patching reaches); and that "
        "same wait handed to a thread. In a coroutine, any blocking call holds the "
        "event loop; gevent's patched time.sleep yields to the hub, but the "
        "original stalls it; threads are unaffected. The fix in both cooperative "
        "models is a thread: asyncio.to_thread, gevent's hub threadpool. Each model "
        "has a detector for the stall, run here and its report captured: asyncio's "
        "debug mode logs the slow step ('Executing <Task ...> took 0.201 seconds'), "
        "gevent's monitor thread reports the blocked hub ('... appears to be "
        "blocked'); threads need none."
    ),
    spec_type=BlockingSpec,
    outcome_type=BlockingOutcome,
    expect=expect,
    differences=(
        Difference(
            "what stalls the other work",
            {
                "asyncio": "any blocking call in a coroutine, `time.sleep` included",
                "gevent": "only an unpatched call: the patched `time.sleep` yields",
                "threads": "nothing",
            },
            "tests/scenarios/test_blocking.py::test_what_stalls",
        ),
        Difference(
            "the fix",
            {
                "asyncio": "`asyncio.to_thread`",
                "gevent": "the hub's threadpool: `get_hub().threadpool.apply`",
                "threads": "none needed",
            },
            "tests/scenarios/test_blocking.py::test_what_stalls",
        ),
        Difference(
            "the detector that reports the stall",
            {
                "asyncio": "debug mode: 'Executing <Task ...> took N seconds' (logger `asyncio`)",
                "gevent": "the monitor thread: '... appears to be blocked', a report per stall",
                "threads": "none",
            },
            "tests/scenarios/test_blocking.py::test_detector",
        ),
    ),
)
