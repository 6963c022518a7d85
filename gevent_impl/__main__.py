"""``python -m gevent_impl SCENARIO``: run a scenario in the gevent model."""

from shared.host import main

raise SystemExit(main("gevent"))
