"""gunicorn's settings for the deployments: ``-c python:shared.measure.load.gunicorn_conf``.

gunicorn reads the module's names that are settings; the one here is a hook.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any


def when_ready(server: Any) -> None:
    """Stop gunicorn when the process that deployed it is gone, however it ended.

    ``shared.measure.deploy`` holds the write end of gunicorn's stdin. When it closes
    (a clean stop, a Ctrl-C, a crash or a kill of the deploying process), the
    read below ends and the master stops itself as on a TERM: workers first,
    then itself. Only the master reads: the forked workers have no such thread.
    """

    def watch() -> None:
        while os.read(0, 4096):
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="deployer-watch", daemon=True).start()
