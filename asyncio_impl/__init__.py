"""The scenarios in asyncio: coroutines, tasks and aiohttp.

Run one with ``python -m asyncio_impl SCENARIO``. Every module renders the
scenario of the same name in ``shared.scenarios``, where its idea is explained.
"""
