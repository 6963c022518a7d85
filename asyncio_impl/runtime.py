"""What the asyncio model leaves behind.

``asyncio.run`` quietly cancels every task still pending when the main coroutine
returns. To report that work, each new event loop records the tasks that were
still pending at that moment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

_left_pending: list[str] = []


def prepare() -> None:
    new_event_loop = asyncio.events.new_event_loop

    def recording_loop() -> asyncio.AbstractEventLoop:
        loop = new_event_loop()
        tasks: list[asyncio.Task[Any]] = []

        def main_returned(_: asyncio.Task[Any]) -> None:
            _left_pending.extend(task.get_name() for task in tasks[1:] if not task.done())

        def factory(
            loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any
        ) -> asyncio.Task[Any]:
            task = asyncio.Task(coro, loop=loop, **kwargs)
            if not tasks:
                task.add_done_callback(main_returned)
            tasks.append(task)
            return task

        loop.set_task_factory(factory)  # type: ignore[arg-type]
        return loop

    asyncio.events.new_event_loop = recording_loop


def pending_work() -> list[str]:
    """Tasks that were still pending when ``asyncio.run``'s main coroutine returned."""
    return [f"task {name}" for name in _left_pending]
