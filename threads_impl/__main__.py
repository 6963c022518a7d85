"""``python -m threads_impl SCENARIO``: run a scenario in the threads model."""

from shared.cli.model import main

raise SystemExit(main("threads"))
