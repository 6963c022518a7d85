"""``python -m threads_impl SCENARIO``: run a scenario in the threads model."""

from shared.host import main

raise SystemExit(main("threads"))
