"""Processes as a test sees them: alive or gone, their children, their sockets.

Through psutil, but for a process's children: ``shared.harness.procfs`` says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TypeVar
from urllib.parse import urlsplit

import psutil

from shared.harness import processes, procfs

T = TypeVar("T")


def descendants_of(pid: int) -> set[int]:
    """Children, and theirs: a run forked by a model's fork server is a grandchild."""
    found = procfs.children(pid)
    for child in list(found):
        found |= descendants_of(child)
    return found


def process_name(pid: int) -> str:
    """Process ``pid``'s name: a forked run's is its scenario's (see shared.harness.forkserver)."""
    try:
        return psutil.Process(pid).name()
    except psutil.Error:
        return ""


def runs_of(pid: int, scenario: str) -> set[int]:
    """``pid``'s runs of ``scenario`` under way: forked by its fork servers, named after it."""
    return {p for p in descendants_of(pid) if process_name(p) == scenario}


def command_line(pid: int) -> str:
    """The command line of process ``pid``; "" once it is gone."""
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return ""


def wait_for(condition: Callable[[], T], timeout: float) -> T:
    """``condition()``'s first true value within ``timeout`` seconds; its last value otherwise."""
    deadline = time.monotonic() + timeout
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return value


def wait_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while (left := {p for p in pids if alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, dead but not reaped, does not)."""
    return processes.running_pid(pid)


def listening_here(urls: Iterable[str]) -> list[str]:
    """The URLs on whose port a socket of this process still listens.

    What a stopped server must not leave behind is a socket of ours: its own
    went with its processes (``alive`` says they are gone), and the port,
    once free, may be taken at once by any program on the machine (another
    suite, say), so a connection that succeeds proves nothing.
    """
    by_port = {urlsplit(url).port: url for url in urls}
    return [
        by_port[sock.laddr.port]
        for sock in psutil.Process().net_connections("inet")
        if sock.status == psutil.CONN_LISTEN and sock.laddr.port in by_port
    ]
