"""``python -m shared.cli``: the same as ``concurrency-compare``."""

from shared.cli.main import main

raise SystemExit(main())
