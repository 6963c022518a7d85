"""``python -m shared.hurts``: the same as ``concurrency-compare hurts``."""

from __future__ import annotations

from shared.hurts.command import main

raise SystemExit(main())
