"""Child processes with a deadline, and none left behind.

Everything in the project that starts a process (the runner's model
interpreters, the local services, the bench's jobs) starts it here, so that
one set of rules holds for all of them:

* Each child runs in a session, hence a process group, of its own. Stopping
  it kills the whole group, so whatever the child started goes too (pyperf's
  workers, say). A terminal's Ctrl-C reaches only the parent, which then stops
  its children in order, instead of every process at once.
* ``run(command, timeout=...)`` is ``subprocess.run`` with a deadline: at the
  deadline the group is killed and the result says so (``Finished.timed_out``),
  with whatever the child had written by then. No exception to forget.
* Every child is registered while it runs. A ``Group`` stops all of its
  children at once (``Group.stop``) and then starts no more: the runner uses
  one per batch, so a Ctrl-C or a failure stops the batch, not the next one.
  ``stop_all()`` stops every child of every group; it runs at interpreter exit.
* ``with handle_termination():`` (the CLI's main) makes SIGTERM and SIGHUP raise
  ``Terminated`` in the main thread, as SIGINT raises ``KeyboardInterrupt``:
  the ``finally`` blocks and context managers that stop children and remove
  temporary files then run whatever ended the program. (Python's default for
  those signals ends the process at once, leaving orphans behind.)
* ``scratch()`` is a folder of this process's temporary files, removed at exit.

What cannot be handled (SIGKILL of the parent) is covered where it matters
by the child itself: the local services stop when their stdin closes.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from shared.errors import Terminated

#: Seconds a child asked to stop (its stdin closed) may take before it is killed.
GRACE = 5.0

#: Where a child's stdout or stderr goes: ``subprocess.PIPE`` (read here), a file, ...
Output = int | IO[Any] | None


class Stopped(Exception):
    """The group was stopped: no new child is started in it."""


@dataclass
class Finished:
    """How a child ended, and what it wrote."""

    command: list[str]
    returncode: int | None  # None: it was still running at the deadline and was killed
    stdout: str
    stderr: str
    seconds: float  # from its start to its end
    timeout: float
    stopped: bool = False  # killed by Group.stop / stop_all, not by the deadline or by itself

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    def describe(self) -> str:
        """How it ended, in a few words: "exit status 3", "killed by SIGKILL", ..."""
        if self.returncode is None:
            return f"no end after {self.timeout:g} s: stopped"
        if self.stopped:
            return "stopped"
        return describe_status(self.returncode)


def describe_status(returncode: int) -> str:
    """A Popen return code in words."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}"
    return f"exit status {returncode}"


class Group:
    """Children started together and stopped together."""

    def __init__(self) -> None:
        self._children: set[subprocess.Popen[Any]] = set()
        # Runs a fork server made for this group (shared.harness.forkserver): children of
        # the server, not ours, each in a session (process group) of its own.
        self._forked: set[int] = set()
        self._stopped_pids: set[int] = set()
        self._lock = threading.Lock()
        self.closed = False
        _groups.add(self)

    def spawn(self, command: Sequence[str], **popen: Any) -> subprocess.Popen[Any]:
        """Start ``command`` in a session of its own and register it.

        The caller must end it with ``finish`` (which ``run`` and ``started`` do).
        """
        with self._lock:
            if self.closed:
                raise Stopped("stopped: no new process is started")
        # Started outside the lock: every start in the group would otherwise
        # wait for the one before, seconds on a busy machine with many at once.
        child: subprocess.Popen[Any] = open_process(list(command), start_new_session=True, **popen)
        with self._lock:
            self._children.add(child)
            stopped_meanwhile = self.closed
            if stopped_meanwhile:
                self._stopped_pids.add(child.pid)
        if stopped_meanwhile:  # Group.stop ran while it started: it goes too
            kill_group(child)
        return child

    def finish(self, child: subprocess.Popen[Any], grace: float = 0.0) -> None:
        """End ``child``: close its stdin, wait ``grace`` seconds, kill its group, reap it."""
        try:
            if child.stdin is not None:
                with contextlib.suppress(OSError):
                    child.stdin.close()
                if grace > 0:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        child.wait(timeout=grace)
            kill_group(child)
            child.wait()
            for stream in (child.stdout, child.stderr):
                if stream is not None:
                    stream.close()
        finally:
            with self._lock:
                self._children.discard(child)

    def run(
        self,
        command: Sequence[str],
        *,
        timeout: float,
        stdout: Output = subprocess.PIPE,
        stderr: Output = subprocess.PIPE,
        env: dict[str, str] | None = None,
        **popen: Any,
    ) -> Finished:
        """Run ``command`` to its end or to the deadline, whichever comes first.

        stdout and stderr are read as text where they are ``subprocess.PIPE``;
        ``popen``: more of ``Popen``'s arguments (``stdin``, ``user`` ...). At
        the deadline, or on any exception here (a Ctrl-C, say), the child's
        whole group is killed before this returns or raises.
        """
        child = self.spawn(command, stdout=stdout, stderr=stderr, text=True, env=env, **popen)
        start = time.perf_counter()  # from its start, not from the wait to be started
        returncode: int | None
        try:
            try:
                out, err = child.communicate(timeout=timeout)
                returncode = child.returncode
            except subprocess.TimeoutExpired:
                kill_group(child)
                out, err = child.communicate()  # what it wrote before the deadline
                returncode = None
        except BaseException:
            kill_group(child)
            raise
        finally:
            self.finish(child)
        with self._lock:
            stopped = child.pid in self._stopped_pids
        return Finished(list(command), returncode, out or "", err or "",
                        time.perf_counter() - start, timeout, stopped)  # fmt: skip

    @contextlib.contextmanager
    def started(
        self, command: Sequence[str], *, grace: float = GRACE, **popen: Any
    ) -> Iterator[subprocess.Popen[Any]]:
        """A long-lived child for the duration of the block (the local services, say).

        On leaving the block its stdin is closed (its cue to stop), it has
        ``grace`` seconds to end, and then its group is killed.
        """
        child = self.spawn(command, **popen)
        try:
            yield child
        finally:
            self.finish(child, grace)

    def adopt(self, pid: int) -> None:
        """Count the forked run ``pid`` (a session leader) as the group's until ``release``."""
        with self._lock:
            self._forked.add(pid)
            stopped_meanwhile = self.closed
            if stopped_meanwhile:
                self._stopped_pids.add(pid)
        if stopped_meanwhile:
            _kill_session(pid)

    def release(self, pid: int) -> None:
        """The forked run ``pid`` has ended (its server reaped it)."""
        with self._lock:
            self._forked.discard(pid)

    def kill_forked(self, pid: int) -> None:
        """Kill the forked run ``pid``'s process group, if it still runs."""
        with self._lock:
            running = pid in self._forked
        if running:
            _kill_session(pid)

    def was_stopped(self, pid: int) -> bool:
        """Whether ``stop`` killed ``pid``."""
        with self._lock:
            return pid in self._stopped_pids

    def stop(self) -> None:
        """Kill every running child of the group; start no more."""
        with self._lock:
            self.closed = True
            running = list(self._children)
            forked = list(self._forked)
            self._stopped_pids.update(child.pid for child in running)
            self._stopped_pids.update(forked)
        for child in running:
            kill_group(child)
        for pid in forked:
            _kill_session(pid)

    def running(self) -> list[subprocess.Popen[Any]]:
        with self._lock:
            return list(self._children)

    def forked(self) -> list[int]:
        with self._lock:
            return list(self._forked)


def open_process(command: Sequence[str], **popen: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen``, tried once more if the exec fails with EFAULT.

    Processes started from several threads at once can fail with "[Errno 14]
    Bad address" for an interpreter that exists. No correct command fails that
    way and a second try works, so the retry keeps a platform's hiccup from
    failing a whole batch. (The cause is not known: perhaps another thread runs
    while a ``vfork``'s child still shares our memory.)
    """
    try:
        return subprocess.Popen(list(command), **popen)
    except OSError as exc:
        if exc.errno != errno.EFAULT:
            raise
        return subprocess.Popen(list(command), **popen)


def kill_group(child: subprocess.Popen[Any]) -> None:
    """SIGKILL the child's process group (its session: see ``Group.spawn``)."""
    if child.returncode is None:
        _kill_session(child.pid)


def _kill_session(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def running_pid(pid: int) -> bool:
    """Whether ``pid`` is a process that still runs (a zombie has ended)."""
    # Imported here: every model interpreter imports this module and never asks.
    import psutil

    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.Error:
        return False


def wait_gone(pids: Iterable[int], timeout: float = 5.0) -> bool:
    """Wait until none of ``pids`` runs; whether they all ended within ``timeout``.

    For processes we cannot reap (a child's children, orphaned by a SIGKILL to
    their group): a kill is delivered when the process is next scheduled, which
    on a busy machine comes after ``killpg`` returns.
    """
    deadline = time.monotonic() + timeout
    pending = list(pids)
    while pending := [pid for pid in pending if running_pid(pid)]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


_groups: weakref.WeakSet[Group] = weakref.WeakSet()
#: For children that belong to no batch of their own.
DEFAULT = Group()
#: The fork servers (``shared.harness.forkserver``): they outlive every batch.
SERVERS = Group()


#: ``Group.run`` in the default group.
run = DEFAULT.run
#: ``Group.started`` in the default group.
started = DEFAULT.started


def stop_all(*, close: bool = False) -> None:
    """Kill every child still running, in every group.

    The groups stay open (the default one serves the clean-up at exit) unless
    ``close``: then they start no more children either, for a program stopped
    from outside whose threads would otherwise go on starting the next ones.
    """
    for group in list(_groups):
        if close:
            group.stop()
            continue
        for child in group.running():
            kill_group(child)
        for pid in group.forked():
            _kill_session(pid)


# -- temporary files ----------------------------------------------------------

_scratch: Path | None = None
_scratch_lock = threading.Lock()


def scratch() -> Path:
    """This process's folder for temporary files: made on first use, removed at exit."""
    global _scratch
    with _scratch_lock:
        if _scratch is None:
            _scratch = Path(tempfile.mkdtemp(prefix=f"cc-{os.getpid()}-"))
        return _scratch


def remove_scratch() -> None:
    global _scratch
    with _scratch_lock:
        if _scratch is not None:
            shutil.rmtree(_scratch, ignore_errors=True)
            _scratch = None


def _at_exit() -> None:
    stop_all()
    # Reaped too: a Popen collected while its process is unreaped warns that
    # the process "is still running" (the fork servers, at the suite's end).
    for group in list(_groups):
        for child in group.running():
            group.finish(child)
    remove_scratch()


atexit.register(_at_exit)


# -- signals ------------------------------------------------------------------

TERMINATING = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def handle_termination() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise ``Terminated`` in the main thread.

    Only the first signal raises: a second one while the program is already
    cleaning up would cut the clean-up short. The previous handlers come back
    after the block. Call it from the main thread (Python's rule for signals).
    """
    raised = False

    def terminate(signum: int, frame: FrameType | None) -> None:
        nonlocal raised
        if not raised:
            raised = True
            raise Terminated(signum)

    previous = {signum: signal.signal(signum, terminate) for signum in TERMINATING}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
