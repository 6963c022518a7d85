"""What the gevent model leaves behind: greenlets that are still alive."""

from __future__ import annotations

import gc

import gevent


def prepare() -> None:
    """Nothing to prepare: the package patched the process when it was imported."""


def pending_work() -> list[str]:
    """Greenlets spawned and not yet dead."""
    alive = [g for g in gc.get_objects() if isinstance(g, gevent.Greenlet) and not g.dead]
    return [f"greenlet {g.name}" for g in alive]
