"""What the threads model leaves behind: threads that are still running."""

from __future__ import annotations

import threading


def prepare() -> None:
    """Nothing to prepare: threads need no set-up."""


def pending_work() -> list[str]:
    """Threads other than the main one that are still alive."""
    main = threading.main_thread()
    return [f"thread {t.name}" for t in threading.enumerate() if t is not main]
