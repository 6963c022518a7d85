"""The scenarios in threads: threading, concurrent.futures and requests.

Run one with ``python -m threads_impl SCENARIO``. Every module renders the
scenario of the same name in ``shared.scenarios``, where its idea is explained.
"""
