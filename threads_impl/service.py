"""The service in threads: a WSGI app, its upstream calls with requests.

    gunicorn --worker-class gthread --threads 64 'threads_impl.service:make_app()'

gunicorn's gthread worker hands each request to a thread of its pool; while a
thread waits for the upstream, the GIL is free for the others. The pool's size
(``--threads``, 1 by default) is how many requests are served at once: the
rest wait in line. This is the same synchronous code as
``gevent_impl.service``: only the worker class tells them apart. See
``shared.measure.deploy`` for the endpoint and the answer.
"""

from __future__ import annotations

import functools
import itertools
import json
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

import requests
from requests.adapters import HTTPAdapter

from shared.contract import HTTP_TIMEOUT
from shared.measure import cpu
from shared.measure.deploy import Ask, answer, client_pool, upstream_url

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
SERVED = itertools.count(1)  # the requests this worker has served, for ``call_blocking``


def open_client() -> requests.Session:
    """The upstream client for the worker's life: one session, shared by all requests."""
    session = requests.Session()
    pool = client_pool()
    if pool is not None:  # requests keeps 10 connections per host unless told otherwise
        session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=pool))
    return session


def call_blocking(ask: Ask) -> None:
    """Every ``ask.every``-th request, a blocking call: the same as in the others.

    It holds only its own thread, and releases the GIL while it waits: the
    other threads go on. Nothing to fix, so ``offload`` changes nothing here.
    """
    if not ask.blocks(next(SERVED)):
        return
    time.sleep(ask.block_ms / 1000)


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
    cpu.spend(ask.cpu_ms)  # in this thread: the others take turns on the GIL meanwhile
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
