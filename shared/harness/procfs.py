"""What psutil does not give, read from Linux's /proc: the one place that does.

Every other figure of a process or of the machine (CPU times, memory, names,
command lines, status) comes through psutil. These are the exceptions, each
because psutil lacks the figure or pays far more for it where speed matters.
A figure that cannot be read is ``None`` (or empty), never a failure.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def read(path: str) -> str | None:
    """A file of ``/proc``, stripped, or None where it cannot be read."""
    try:
        return Path(path).read_text(encoding="ascii").strip()
    except OSError:
        return None


def writable_mappings() -> list[tuple[int, int]]:
    """This process's private writable mappings, as (start, end) addresses.

    From ``/proc/self/maps``: psutil's ``memory_maps()`` reads ``smaps``, which
    walks every page, and the fork server's children ask before every run.
    """
    spans = []
    with contextlib.suppress(OSError), open("/proc/self/maps", encoding="ascii") as maps:
        for line in maps:
            fields = line.split()
            span, perms = fields[0], fields[1]
            if perms.startswith("rw") and perms[3] == "p":
                start, end = (int(part, 16) for part in span.split("-"))
                spans.append((start, end))
    return spans


def open_sockets() -> int:
    """How many sockets this process has open; -1 where it cannot tell.

    Its descriptors, read in ``/proc/self/fd``: psutil's ``net_connections()``
    knows only the sockets in the kernel's tables (not one never bound, say)
    and reads the tables of the whole machine.
    """
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return -1
    count = 0
    for fd in fds:
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``: the kernel's own list, per thread.

    A few small reads (``/proc/PID/task/TID/children``; any thread may have
    started a child) where psutil's ``children()`` reads every process's stat
    file: in a process whose threads all want the interpreter at once, each of
    those hundreds of reads waits its turn, and the scan can take long enough
    to miss a child that comes and goes.
    """
    found: set[int] = set()
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:  # it has ended
        return found
    for task in tasks:
        with contextlib.suppress(OSError):  # the thread has ended
            found.update(int(child) for child in (task / "children").read_text().split())
    return found


def listen_overflows() -> int | None:
    """Connections the kernel dropped because an accept queue was full (machine-wide)."""
    try:
        lines = [line.split() for line in (read("/proc/net/netstat") or "").splitlines()]
        names, values = [line for line in lines if line[:1] == ["TcpExt:"]][:2]
        return int(values[names.index("ListenOverflows")])
    except (ValueError, IndexError):
        return None


def kernel_limit(name: str) -> int | None:
    """A limit of ``/proc/sys`` (``kernel/pid_max``), or None where it cannot be read."""
    try:
        return int(read(f"/proc/sys/{name}") or "")
    except ValueError:
        return None


def cpu_name() -> str | None:
    """The CPU's model name, as ``/proc/cpuinfo`` gives it."""
    lines = (read("/proc/cpuinfo") or "").splitlines()
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else None
