"""blocking: what stalls the ticker in each model, and which detector says so."""

from __future__ import annotations

import re

from shared.scenarios.blocking import LIBRARY, OFFLOADED, SLEEP, BlockingOutcome
from tests.support.batches import Runs
from tests.support.scenarios import outcome, quiet

# Whether the ticker stalled during each call, per model.
STALLED = {
    "asyncio": {SLEEP: True, LIBRARY: True, OFFLOADED: False},
    "gevent": {SLEEP: False, LIBRARY: True, OFFLOADED: False},
    "threads": {SLEEP: False, LIBRARY: False, OFFLOADED: False},
}
# What each model's detector says of a stall, and during which calls it must.
SAYS = {
    "asyncio": re.compile(r"Executing <Task \.\.\.> took 0\.\d+ seconds"),
    "gevent": re.compile(r"Greenlet <\.\.\.> appears to be blocked"),
}
CAUGHT = {
    "asyncio": {SLEEP: True, LIBRARY: True},
    "gevent": {LIBRARY: True},
    "threads": {},
}


# time.sleep stalls asyncio only; the original sleep stalls gevent too; a thread fixes both.
def test_what_stalls(demo_runs: Runs, model: str) -> None:
    assert demo_runs["blocking", model].problems == []
    assert outcome(demo_runs["blocking", model], BlockingOutcome).stalled == STALLED[model]


# Each stall is reported by the model's own detector, in its own words; threads have none.
def test_detector(demo_runs: Runs, model: str) -> None:
    found = outcome(demo_runs["blocking", model], BlockingOutcome)
    assert found.caught == CAUGHT[model]
    for step in CAUGHT[model]:
        said = [r.split(": ", 1)[1] for r in found.reports if r.startswith(f"{step}: ")]
        assert said and all(SAYS[model].fullmatch(line) for line in said), found.reports
    if model == "threads":
        assert found.reports == []
        assert found.detector == "none"


# The detectors' reports are captured, not printed: nothing on stderr, nothing left running.
def test_quiet_and_tidy(demo_runs: Runs, model: str) -> None:
    quiet(demo_runs["blocking", model])
