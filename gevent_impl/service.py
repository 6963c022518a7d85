"""The service in gevent: a WSGI app, its upstream calls with requests.

    gunicorn --worker-class gevent 'gevent_impl.service:make_app()'

This is the same synchronous code as ``threads_impl.service``, line for line:
that is the point of gevent. gunicorn's gevent worker monkey-patches the
worker process before it loads the app, so each request runs in a greenlet and
``requests`` gives control away while it waits for the upstream. How many
requests are served at once is ``--worker-connections`` (1,000 by default).
The CPU a handler spends holds every other greenlet until it is done, as in
asyncio. See ``shared.measure.deploy`` for the endpoint and the answer.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

import gevent
import requests
from gevent import monkey
from requests.adapters import HTTPAdapter

from shared.contract import HTTP_TIMEOUT
from shared.measure import cpu
from shared.measure.deploy import Ask, answer, client_pool, upstream_url

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
SERVED = itertools.count(1)  # the requests this worker has served, for ``call_blocking``
# The time.sleep that monkey-patching replaced: it blocks the whole process, as a
# C library that does its own I/O (and so never sees gevent's patches) would.
unpatched_sleep = monkey.get_original("time", "sleep")


def open_client() -> requests.Session:
    """The upstream client for the worker's life: one session, shared by all requests."""
    session = requests.Session()
    pool = client_pool()
    if pool is not None:  # requests keeps 10 connections per host unless told otherwise
        session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=pool))
    return session


def call_blocking(ask: Ask) -> None:
    """Every ``ask.every``-th request, a call that bypasses the monkey-patching.

    It holds the hub, so every greenlet waits, as in asyncio. The fix hands it
    to the hub's threadpool, a real thread: this greenlet waits for the result
    cooperatively, and the others run meanwhile.
    """
    if not ask.blocks(next(SERVED)):
        return
    if ask.offload:
        gevent.get_hub().threadpool.apply(unpatched_sleep, (ask.block_ms / 1000,))
    else:
        unpatched_sleep(ask.block_ms / 1000)


def handle(
    session: requests.Session, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    """Call the upstream, spend the CPU asked for, answer."""
    try:
        ask = Ask.from_query(dict(parse_qsl(environ.get("QUERY_STRING", ""))))
    except ValueError as exc:
        return _reply(start_response, "400 Bad Request", str(exc).encode(), "text/plain")
    try:
        response = session.get(upstream_url(ask), timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        events = response.json()
    except requests.RequestException as exc:
        body = f"upstream: {type(exc).__name__}".encode()
        return _reply(start_response, "502 Bad Gateway", body, "text/plain")
    cpu.spend(ask.cpu_ms)  # in this greenlet: no other request runs meanwhile
    call_blocking(ask)
    body = json.dumps(answer(events, ask)).encode()
    return _reply(start_response, "200 OK", body, "application/json")


def _reply(start_response: StartResponse, status: str, body: bytes, kind: str) -> list[bytes]:
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]


def make_app() -> WSGIApp:
    """The WSGI app, for gunicorn (called in the worker, after it started)."""
    cpu.calibrate()
    return functools.partial(handle, open_client())
