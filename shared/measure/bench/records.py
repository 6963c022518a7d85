"""What a workload reports back, and the probes the model code uses.

The model code (``<model>_impl/workloads.py``) imports this module, so it stays
cheap to import: the standard library (psutil only when the memory is read).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Parked:
    """Memory taken by tasks parked on an event (the ``memory`` workload)."""

    tasks: int  # how many were parked: fewer than asked only when a limit stopped it
    resident: int  # bytes of resident memory (RSS) they added
    virtual: int  # bytes of address space (VMS) they added
    stopped: str = ""  # the limit that stopped it, when one did


@dataclass
class Pass:
    """One fan-out: ``count`` GETs started at once (the ``fanout`` workload)."""

    wall: float  # seconds from the first request started to the last answered (or the deadline)
    completed: int  # requests answered with a success status
    errors: dict[str, int] = field(default_factory=dict)  # kind of failure -> how many
    unfinished: int = 0  # still running at the deadline, then cancelled


@dataclass
class Throughput:
    """Requests done back to back by a fixed number of workers (the ``throughput`` workload)."""

    seconds: float
    requests: int  # answered with a success status
    errors: dict[str, int] = field(default_factory=dict)


def memory_in_use() -> tuple[int, int]:
    """This process's resident and virtual memory, in bytes."""
    # Imported here: only the memory workload reads it, and it does so first
    # before it parks anything, so the import is not in the figure.
    import psutil

    memory = psutil.Process().memory_info()
    return memory.rss, memory.vms


def tally(failures: Iterable[BaseException | None]) -> dict[str, int]:
    """How many failures of each kind (by exception class name); ``None`` is a success."""
    return dict(Counter(type(f).__name__ for f in failures if f is not None))
