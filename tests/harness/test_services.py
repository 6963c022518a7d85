"""The local services answer as documented, and count what they see."""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest

from shared.contract import EVENTS, IP
from shared.harness.services import Services, ServicesError, connect, open_services
from tests.support.processes import alive


def get(services: Services, path: str) -> tuple[int, dict[str, str], Any]:
    with urllib.request.urlopen(services.url + path, timeout=10) as answer:
        return answer.status, dict(answer.headers), json.load(answer)


@pytest.fixture(scope="module")
def own() -> Iterator[Services]:
    """Services of this module's own: the session's count the batches' requests too."""
    with open_services() as running:
        yield running


@pytest.fixture
def fresh(own: Services) -> Services:
    """This module's services with their counters at zero."""
    own.reset()
    return own


# /events answers the events with a Date header, after the delay asked for.
def test_events_after_the_delay(services: Services) -> None:
    start = time.perf_counter()
    status, headers, body = get(services, "/events?delay=0.2")
    assert time.perf_counter() - start >= 0.2
    assert status == 200 and body == list(EVENTS) and "Date" in headers


# Each IP echo service answers in its own format; malformed lacks what clients ask for.
@pytest.mark.parametrize(
    ("service", "body"),
    [("ipify", {"ip": IP}), ("ip-api", {"query": IP}), ("malformed", {"address": IP})],
)
def test_ip_services(services: Services, service: str, body: dict[str, str]) -> None:
    assert get(services, f"/ip/{service}")[2] == body


# A bad delay is the client's mistake: 400, not a crash.
def test_bad_delay_is_rejected(services: Services) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        get(services, "/events?delay=soon")
    error.value.close()
    assert error.value.code == 400


# The unreachable URL refuses connections.
def test_unreachable_refuses(services: Services) -> None:
    parts = urlsplit(services.unreachable)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()


# /hang never answers; a client that gives up is counted as aborted, not served.
def test_hang_is_counted_as_aborted(fresh: Services) -> None:
    parts = urlsplit(fresh.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=0.3)
    with pytest.raises(TimeoutError):
        connection.request("GET", "/hang")
        connection.getresponse()
    connection.close()
    assert poll(fresh, lambda s: s["aborted"] == 1) == {
        "in_flight": 0, "peak_in_flight": 1, "served": 0, "aborted": 1,
    }  # fmt: skip


# Requests in flight at once are seen at once: the peak counts them.
def test_peak_in_flight(fresh: Services) -> None:
    with ThreadPoolExecutor(5) as pool:
        list(pool.map(lambda _: get(fresh, "/events?delay=0.3"), range(5)))
    assert fresh.stats() == {"in_flight": 0, "peak_in_flight": 5, "served": 5, "aborted": 0}


# connect() finds running services, and says so in one line when there are none.
def test_connect(services: Services) -> None:
    assert connect(services.url + "/").unreachable == services.unreachable
    with pytest.raises(ServicesError, match="no concurrency-compare services at"):
        connect(services.unreachable)


# open_services() leaves no process behind, even when the body fails.
def test_open_services_stops_the_server() -> None:
    with pytest.raises(RuntimeError), open_services() as running:
        pid = running.pid
        assert get(running, "/stats")[0] == 200
        raise RuntimeError("the body failed")
    assert pid is not None and not alive(pid)


def poll(services: Services, condition: Any, timeout: float = 5.0) -> dict[str, int]:
    """The stats once ``condition`` holds: a disconnect reaches the server a little later."""
    deadline = time.monotonic() + timeout
    while not condition(stats := services.stats()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return stats
