"""What a scenario prints, in the article's style, with when it printed it."""

from __future__ import annotations

import os
import sys
import threading
import time

# -- the transcript -----------------------------------------------------------


class Transcript:
    """What a scenario prints, in the article's style, kept as it is printed.

    Every model prints through ``say`` so that the lines reach the terminal as
    they happen and also come back to the runner, with the second at which each
    was said. A lock keeps lines whole when threads print at once.
    """

    def __init__(self, *, echo: bool = True) -> None:
        self.lines: list[str] = []
        self.times: list[float] = []
        self._echo = echo
        self._start = time.perf_counter()
        self._lock = threading.Lock()

    def elapsed(self) -> float:
        """Seconds since the transcript began."""
        return time.perf_counter() - self._start

    def say(self, line: str) -> None:
        with self._lock:
            self.lines.append(line)
            self.times.append(self.elapsed())
            if self._echo:
                try:
                    print(line, flush=True)
                except BrokenPipeError:
                    # The reader went away (``| head -n 3``). The scenario goes on
                    # quietly: a thread that died here would never pass the baton
                    # it holds, and the others would wait forever. Python's own
                    # advice: point stdout at /dev/null, so the flush at exit
                    # does not fail again.
                    self._echo = False
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, sys.stdout.fileno())
                    os.close(devnull)
