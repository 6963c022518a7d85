"""What the bench reads from the system: CPU time, the machine, its limits.

psutil reads the CPU of a process and of the whole machine, and the memory;
what it does not know (the kernel's limits, the accept queues' overflows,
the CPU's name) comes from ``shared.harness.procfs``. A figure that cannot be
read is ``None``, never a failure: the bench runs on, and the table says "-".
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

import psutil

from shared.harness import procfs
from shared.measure.bench.plan import THREAD_CAP


def process_cpu(pid: int | None) -> float | None:
    """Seconds of CPU (user + system) that process ``pid`` has used so far."""
    if pid is None:
        return None
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return times.user + times.system


def machine_busy() -> float:
    """Seconds of CPU the whole machine has spent busy (not idle, not waiting on I/O)."""
    times = psutil.cpu_times()
    return times.user + times.nice + times.system + times.irq + times.softirq + times.steal


def own_cpu() -> float:
    """Seconds of CPU used by this process and the children it has waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


@dataclass(frozen=True, kw_only=True)
class Machine:
    """What the machine is, and the limits that bound a benchmark on it."""

    cpu: str | None  # the CPU's model name
    cpus: int | None
    memory_gib: float
    # The kernel's limits (/proc/sys): threads count against pid_max and
    # threads-max, a thread's stack against max_map_count, a backlog against somaxconn.
    pid_max: int | None
    threads_max: int | None
    max_map_count: int | None
    somaxconn: int | None
    # This process's resource limits, "soft/hard".
    open_files: str
    processes: str
    stack: str
    thread_cap: int  # the threads model's cap (plan.THREAD_CAP)


def machine() -> Machine:
    """The limits that bound a benchmark here, and what the machine is."""

    def rlimit(which: int) -> str:
        soft, hard = resource.getrlimit(which)
        shown = ["unlimited" if n == resource.RLIM_INFINITY else str(n) for n in (soft, hard)]
        return "/".join(shown)

    return Machine(
        cpu=procfs.cpu_name(),
        cpus=psutil.cpu_count(),
        memory_gib=round(psutil.virtual_memory().total / 2**30, 1),
        pid_max=procfs.kernel_limit("kernel/pid_max"),
        threads_max=procfs.kernel_limit("kernel/threads-max"),
        max_map_count=procfs.kernel_limit("vm/max_map_count"),
        somaxconn=procfs.kernel_limit("net/core/somaxconn"),
        open_files=rlimit(resource.RLIMIT_NOFILE),
        processes=rlimit(resource.RLIMIT_NPROC),
        stack=rlimit(resource.RLIMIT_STACK),
        thread_cap=THREAD_CAP,
    )


@dataclass(frozen=True)
class Snapshot:
    """Counters read just before and just after a job."""

    at: float  # perf_counter seconds
    machine: float  # CPU seconds the whole machine has been busy
    ours: float  # CPU seconds of this process and the children it waited for
    server: float | None  # CPU seconds of the local services' process
    overflows: int | None  # connections dropped by full accept queues, machine-wide

    @classmethod
    def take(cls, server: int | None) -> Snapshot:
        return cls(time.perf_counter(), machine_busy(), own_cpu(), process_cpu(server),
                   procfs.listen_overflows())  # fmt: skip


def difference(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def busy_elsewhere(before: Snapshot, after: Snapshot) -> float:
    """Cores that other programs kept busy between two snapshots.

    The load average counts our own threads too (a release of 10,000 parked
    threads makes it jump): the CPU that others used meanwhile is a fairer
    measure of the noise a figure was taken in.
    """
    machine = after.machine - before.machine
    ours = after.ours - before.ours + (difference(after.server, before.server) or 0.0)
    return max(0.0, machine - ours) / max(after.at - before.at, 1e-9)
