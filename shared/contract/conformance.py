"""What mypy checks of the impl packages: each provides what the host calls.

Never imported at run time (everything here is under ``TYPE_CHECKING``): the
host finds a model's modules by name, so only this file tells mypy which
modules must match ``Runtime`` and ``ScenarioModule`` (``shared.contract``).
A new scenario adds its line below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio_impl.actors
    import asyncio_impl.as_completed
    import asyncio_impl.blocking
    import asyncio_impl.chat_server
    import asyncio_impl.context_switch
    import asyncio_impl.cooperative
    import asyncio_impl.database
    import asyncio_impl.determinism
    import asyncio_impl.error_handling
    import asyncio_impl.events
    import asyncio_impl.fetch
    import asyncio_impl.first_response
    import asyncio_impl.future_exceptions
    import asyncio_impl.future_states
    import asyncio_impl.ignored_exceptions
    import asyncio_impl.locals
    import asyncio_impl.locks
    import asyncio_impl.ordering
    import asyncio_impl.pools
    import asyncio_impl.queues
    import asyncio_impl.runtime
    import asyncio_impl.shutdown
    import asyncio_impl.subprocesses
    import asyncio_impl.timeouts
    import gevent_impl.actors
    import gevent_impl.as_completed
    import gevent_impl.blocking
    import gevent_impl.chat_server
    import gevent_impl.context_switch
    import gevent_impl.cooperative
    import gevent_impl.database
    import gevent_impl.determinism
    import gevent_impl.error_handling
    import gevent_impl.events
    import gevent_impl.fetch
    import gevent_impl.first_response
    import gevent_impl.future_exceptions
    import gevent_impl.future_states
    import gevent_impl.ignored_exceptions
    import gevent_impl.locals
    import gevent_impl.locks
    import gevent_impl.ordering
    import gevent_impl.pools
    import gevent_impl.queues
    import gevent_impl.runtime
    import gevent_impl.shutdown
    import gevent_impl.subprocesses
    import gevent_impl.timeouts
    import threads_impl.actors
    import threads_impl.as_completed
    import threads_impl.blocking
    import threads_impl.chat_server
    import threads_impl.context_switch
    import threads_impl.cooperative
    import threads_impl.database
    import threads_impl.determinism
    import threads_impl.error_handling
    import threads_impl.events
    import threads_impl.fetch
    import threads_impl.first_response
    import threads_impl.future_exceptions
    import threads_impl.future_states
    import threads_impl.ignored_exceptions
    import threads_impl.locals
    import threads_impl.locks
    import threads_impl.ordering
    import threads_impl.pools
    import threads_impl.queues
    import threads_impl.runtime
    import threads_impl.shutdown
    import threads_impl.subprocesses
    import threads_impl.timeouts
    from shared.contract import Outcome, Runtime, ScenarioModule

    RUNTIMES: tuple[Runtime, ...] = (
        asyncio_impl.runtime,
        gevent_impl.runtime,
        threads_impl.runtime,
    )
    SCENARIOS: tuple[ScenarioModule[Any, Outcome], ...] = (
        asyncio_impl.context_switch,
        gevent_impl.context_switch,
        threads_impl.context_switch,
        asyncio_impl.cooperative,
        gevent_impl.cooperative,
        threads_impl.cooperative,
        asyncio_impl.ordering,
        gevent_impl.ordering,
        threads_impl.ordering,
        asyncio_impl.fetch,
        gevent_impl.fetch,
        threads_impl.fetch,
        asyncio_impl.as_completed,
        gevent_impl.as_completed,
        threads_impl.as_completed,
        asyncio_impl.first_response,
        gevent_impl.first_response,
        threads_impl.first_response,
        asyncio_impl.future_states,
        gevent_impl.future_states,
        threads_impl.future_states,
        asyncio_impl.error_handling,
        gevent_impl.error_handling,
        threads_impl.error_handling,
        asyncio_impl.future_exceptions,
        gevent_impl.future_exceptions,
        threads_impl.future_exceptions,
        asyncio_impl.ignored_exceptions,
        gevent_impl.ignored_exceptions,
        threads_impl.ignored_exceptions,
        asyncio_impl.timeouts,
        gevent_impl.timeouts,
        threads_impl.timeouts,
        asyncio_impl.determinism,
        gevent_impl.determinism,
        threads_impl.determinism,
        asyncio_impl.events,
        gevent_impl.events,
        threads_impl.events,
        asyncio_impl.queues,
        gevent_impl.queues,
        threads_impl.queues,
        asyncio_impl.pools,
        gevent_impl.pools,
        threads_impl.pools,
        asyncio_impl.locks,
        gevent_impl.locks,
        threads_impl.locks,
        asyncio_impl.locals,
        gevent_impl.locals,
        threads_impl.locals,
        asyncio_impl.actors,
        gevent_impl.actors,
        threads_impl.actors,
        asyncio_impl.subprocesses,
        gevent_impl.subprocesses,
        threads_impl.subprocesses,
        asyncio_impl.shutdown,
        gevent_impl.shutdown,
        threads_impl.shutdown,
        asyncio_impl.blocking,
        gevent_impl.blocking,
        threads_impl.blocking,
        asyncio_impl.chat_server,
        gevent_impl.chat_server,
        threads_impl.chat_server,
        asyncio_impl.database,
        gevent_impl.database,
        threads_impl.database,
    )
