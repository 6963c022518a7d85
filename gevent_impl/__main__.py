"""``python -m gevent_impl SCENARIO``: run a scenario in the gevent model."""

from shared.cli.model import main

raise SystemExit(main("gevent"))
