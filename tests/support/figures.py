"""What the load and hurts tests check of any generator's figures."""

from __future__ import annotations

from shared.measure.load.document import LoadRun, Percentiles


def ordered(latency: Percentiles) -> bool:
    """Whether every percentile is there, each at most the next (they are of one histogram)."""
    values = [value for value in latency.values() if value is not None]
    return len(values) == len(Percentiles.NAMES) and values == sorted(values)


def every_answered(run: LoadRun) -> bool:
    """Whether every request the run counts was answered, none failed."""
    return run.ok == run.sent > 0 and not run.errors and not run.timeouts
