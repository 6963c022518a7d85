"""What the asyncio model leaves behind.

``asyncio.run`` quietly cancels every task still pending when the main coroutine
returns. To report that work, each new event loop records the tasks that were
still pending at that moment.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Coroutine
from typing import Any

_left_pending: list[str] = []


def prepare() -> None:
    new_event_loop = asyncio.events.new_event_loop

    def recording_loop() -> asyncio.AbstractEventLoop:
        loop = new_event_loop()
        # Weak references: holding the tasks would keep them alive as long as the
        # loop, and so delay what asyncio says when a task is destroyed ("Task
        # exception was never retrieved") to whenever the loop is collected.
        tasks: list[weakref.ref[asyncio.Task[Any]]] = []

        def main_returned(_: asyncio.Task[Any]) -> None:
            alive = (ref() for ref in tasks[1:])
            _left_pending.extend(task.get_name() for task in alive if task and not task.done())

        def factory(
            loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any
        ) -> asyncio.Task[Any]:
            task = asyncio.Task(coro, loop=loop, **kwargs)
            if not tasks:
                task.add_done_callback(main_returned)
            tasks.append(weakref.ref(task))
            return task

        loop.set_task_factory(factory)  # type: ignore[arg-type]
        return loop

    asyncio.events.new_event_loop = recording_loop


def pending_work() -> list[str]:
    """Tasks that were still pending when ``asyncio.run``'s main coroutine returned."""
    return [f"task {name}" for name in _left_pending]
