"""``--cores N`` of ``load`` and ``hurts``: the service's workers on CPUs of their own.

The worker(s) run on the last N CPUs, this program and what it starts (the
upstream, the generator, wrk, k6, the holder) on the others, so that what the
worker can do is not shared with what measures it (``shared.measure.deploy``).
"""

from __future__ import annotations

import argparse

from shared import args as argtypes
from shared.measure import deploy
from shared.measure.load.document import Layout


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cores",
        type=argtypes.whole(0, 1024, "cores"),
        default=1,
        metavar="N",
        help="CPUs for the service's N workers, the rest for the generator (default 1; 0: "
        "no pinning)",
    )


def layout_of(args: argparse.Namespace) -> Layout | None:
    """The CPUs of the service's workers and of the rest; None: nothing pinned.

    ``UsageError`` in one line when the machine has too few CPUs for the layout.
    """
    if args.cores == 0:
        return None
    worker, rest = deploy.core_layout(args.cores)
    return Layout(worker=worker, rest=rest)
