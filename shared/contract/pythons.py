"""What changes between the Pythons the project supports, pinned per version.

The models differ from each other (the scenarios' ``Difference``); each model
also changes under a newer CPython. A ``Change`` says what one model does
before and from a given version, and which test pins it on every interpreter
of the matrix (tests/contract/test_versions.py). The README's versions table is made
from ``CHANGES`` (``python -m shared.present.docs``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

SUPPORTED = ("3.11", "3.12", "3.13", "3.14", "3.15")


@dataclass(frozen=True)
class Change:
    """A behaviour of one model that a CPython version changed, pinned by a test."""

    model: str  # asyncio, gevent, threads, asyncio+uvloop, or all
    topic: str
    since: str  # the first version with the new behaviour: "3.13"
    before: str
    after: str
    pinned_by: str

    def holds(self, version: tuple[int, int] | None = None) -> bool:
        """Whether ``after`` is the behaviour of ``version`` (default: this interpreter)."""
        major, minor = (int(part) for part in self.since.split("."))
        return (version or sys.version_info[:2]) >= (major, minor)


CHANGES = (
    Change(
        model="asyncio",
        topic="`async for` over `asyncio.as_completed(tasks)`",
        since="3.13",
        before="TypeError: a plain iterator only",
        after="the finished tasks themselves, in arrival order",
        pinned_by="tests/contract/test_versions.py::test_as_completed_async_for",
    ),
    Change(
        model="asyncio",
        topic="`asyncio.get_event_loop()` with no loop (the article's idiom)",
        since="3.12",
        before="a new loop, silently",
        after="a new loop and a DeprecationWarning",
        pinned_by="tests/contract/test_versions.py::test_get_event_loop_without_a_loop",
    ),
    Change(
        model="asyncio",
        topic="`asyncio.get_event_loop()` with no loop (the article's idiom)",
        since="3.14",
        before="a new loop and a DeprecationWarning",
        after="RuntimeError: there is no current event loop",
        pinned_by="tests/contract/test_versions.py::test_get_event_loop_without_a_loop",
    ),
    Change(
        model="asyncio",
        topic="event loop policies (`asyncio.get_event_loop_policy()`)",
        since="3.14",
        before="silent",
        after="a DeprecationWarning: choose the loop with `loop_factory=`",
        pinned_by="tests/contract/test_versions.py::test_event_loop_policies",
    ),
    Change(
        model="asyncio+uvloop",
        topic="`uvloop.install()` (a policy)",
        since="3.12",
        before="silent",
        after="a DeprecationWarning: `uvloop.run()` or `loop_factory=uvloop.new_event_loop`",
        pinned_by="tests/contract/test_versions.py::test_uvloop_install",
    ),
    Change(
        model="all",
        topic="importing hdrhistogram (the load generator's histograms)",
        since="3.14",
        before="silent",
        after="DeprecationWarning: ctypes `_pack_` without `_layout_` (an error from 3.19)",
        pinned_by="tests/contract/test_versions.py::test_hdrhistogram_import",
    ),
    Change(
        model="threads",
        topic="`ThreadPoolExecutor()`'s default `max_workers`",
        since="3.13",
        before="min(32, `os.cpu_count()` + 4): every CPU of the machine",
        after="min(32, `os.process_cpu_count()` + 4): the CPUs the process may use",
        pinned_by="tests/contract/test_versions.py::test_thread_pool_default_workers",
    ),
)
