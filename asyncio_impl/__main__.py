"""``python -m asyncio_impl SCENARIO``: run a scenario in the asyncio model."""

from shared.cli.model import main

raise SystemExit(main("asyncio"))
