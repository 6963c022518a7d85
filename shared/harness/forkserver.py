"""A fork server per model: an interpreter that has paid for its imports once
forks every run of that model.

Starting a model's interpreter costs more than most of its runs: the imports,
and for gevent the monkey-patching, take 0.3 to 0.6 s of CPU each time, and
``run`` starts one per scenario and model. So the runner starts one server per
model, ``python -m <model>_impl --fork-server``, which imports what a run of
that model needs and then forks a child per run. The child is in the state a
fresh ``python -m <model>_impl`` reaches just before it reads its arguments
(the model's package imported, gevent patched, no event loop, no hub, no
thread but the main one) and goes on from there exactly as that interpreter
would, exit included: it runs ``shared.harness.host`` and then ends the way an
interpreter ends (non-daemon threads joined, ``atexit``, the garbage
collector), which the runner watches as a fresh interpreter's exit.

This is the design of ``multiprocessing``'s forkserver, with what a run needs
beyond it: each child is in a session of its own (so the runner stops a run by
killing its process group, what the run started included), writes to the
runner's pipes, and dies with its server (``PR_SET_PDEATHSIG``). A child takes
the name of its scenario (``/proc/PID/comm``), since its command line is the
server's.

The protocol, on a Unix socket the runner listens on: one connection per run;
the runner sends the run's arguments, environment and working folder as JSON,
with its stdout and stderr pipes attached (``SCM_RIGHTS``); the server answers
``{"pid": N, "at": T}`` when it has forked (T: the fork's moment on
``time.monotonic()``, one clock for every process of the machine) and
``{"exit": STATUS}`` when the child has
ended (STATUS as ``Popen.returncode`` has it: negative for a signal). A
connection closed before the child's end kills the child's group: a runner
that dies takes its runs with it.

The server loop runs on the C modules under ``os``, ``socket`` and ``signal``
(``posix``, ``_socket``) and the original ``select`` and ``signal.signal``: gevent
patched the Python ones in its server, and its versions wait for the hub
(which importing requests has already made), which the server never runs:
its ``os.close`` of a pipe, for one, is only done by the hub, and its
``os.waitpid`` reaps children behind our back.
Each child starts gevent afresh with ``gevent.reinit()``.

``CONCURRENCY_COMPARE_FORK_SERVER=0`` turns it off: every run then starts a
fresh interpreter (slower: the reference a fork is compared with).
"""

from __future__ import annotations

import _socket
import contextlib
import ctypes
import gc
import importlib
import json
import os
import posix
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared import scenarios
from shared.errors import BUG
from shared.harness import pipes, processes, procfs

#: Set to "0" to start a fresh interpreter for every run.
VARIABLE = "CONCURRENCY_COMPARE_FORK_SERVER"
#: Seconds a server may take to import what its model needs.
START_TIMEOUT = 60.0
#: Largest request: arguments and environment as JSON.
MAX_REQUEST = 1 << 20


def enabled() -> bool:
    return os.environ.get(VARIABLE, "1") != "0"


# -- the server ----------------------------------------------------------------


def _original(module: str, name: str) -> Any:
    """``module.name`` as Python defines it, even after gevent's patching."""
    if "gevent.monkey" in sys.modules:
        from gevent import monkey

        return monkey.get_original(module, name)
    return getattr(importlib.import_module(module), name)


def preload(model: str) -> None:
    """Import what a run of ``model`` needs, so that no child pays for it again."""
    importlib.import_module(f"{model}_impl.runtime")
    for name in scenarios.CATALOGUE:
        importlib.import_module(f"{model}_impl.{name}")


def serve(model: str, listener_fd: int) -> tuple[list[str], str] | None:
    """Fork a child per request until stdin closes.

    Returns None in the server, when it is time to exit; in a child, the run's
    arguments and its scenario's name: the caller then runs them as
    ``python -m <model>_impl`` would.
    """
    preload(model)
    # Out of the collector's sight: a child's collections (the host runs one
    # after the scenario, the interpreter more at exit) then walk only what its
    # run made, not the thousands of objects every import left behind.
    gc.freeze()
    select_ = _original("select", "select")
    # Sockets made from their fds with the C type: gevent replaced socket.socket.
    listener = _raw_socket(listener_fd)
    wake_r, wake_w = posix.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    _original("signal", "signal")(signal.SIGCHLD, lambda signum, frame: None)  # for the wake-up
    runs: dict[int, Any] = {}  # pid -> the connection of its runner (None: it hung up)
    print("ready", flush=True)  # the runner waits for this line
    try:
        while True:
            conns = [conn for conn in runs.values() if conn is not None]
            waiting = [sys.stdin.fileno(), listener.fileno(), wake_r, *conns]
            readable, _, _ = select_(waiting, [], [])
            if sys.stdin.fileno() in readable and not posix.read(sys.stdin.fileno(), 4096):
                return None  # stdin closed: the runner is done with us
            if wake_r in readable:
                with contextlib.suppress(BlockingIOError):
                    posix.read(wake_r, 4096)
                _reap(runs)
            for pid, conn in list(runs.items()):
                if conn is not None and conn in readable and not _peek(conn):
                    # Its runner hung up before the end: the run goes too.
                    _kill_group(pid)
                    conn.close()
                    runs[pid] = None
            if listener.fileno() in readable:
                child = _fork_one(listener, runs, (listener, wake_r, wake_w))
                if child is not None:
                    return child
    finally:
        if not _in_child:
            for pid in runs:
                _kill_group(pid)


_in_child = False


def _raw_socket(fd: int) -> Any:
    return _socket.socket(fileno=fd)


def _peek(conn: Any) -> bytes:
    try:
        return bytes(conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except BlockingIOError:
        return b"?"
    except OSError:
        return b""


def _reap(runs: dict[int, Any]) -> None:
    while runs:
        try:
            pid, status = posix.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = runs.pop(pid, None)
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.sendall(_line({"exit": os.waitstatus_to_exitcode(status)}))
            conn.close()


def _fork_one(listener: Any, runs: dict[int, Any],
              own: tuple[Any, int, int]) -> tuple[list[str], str] | None:  # fmt: skip
    """Accept one request and fork its child; in the child, return the run."""
    global _in_child
    fd, _ = listener._accept()
    conn = _raw_socket(fd)
    conn.settimeout(10.0)
    try:
        message, fds, _, _ = socket.recv_fds(conn, MAX_REQUEST, 2)
        request = json.loads(message)
        stdout, stderr = fds
    except (OSError, ValueError):  # a runner gone before its request was whole
        conn.close()
        return None
    forked_at = time.monotonic()
    pid = posix.fork()
    if pid == 0:
        _in_child = True
        conns = [conn, *(other for other in runs.values() if other is not None)]
        try:
            _become_the_run(request, stdout, stderr, conns, own)
        except BaseException:  # never back into the server's loop
            traceback.print_exc()
            os._exit(BUG)
        return list(request["argv"]), str(request["name"])
    posix.close(stdout)
    posix.close(stderr)
    conn.settimeout(None)
    try:
        conn.sendall(_line({"pid": pid, "at": forked_at}))
    except OSError:
        _kill_group(pid)
    runs[pid] = conn
    return None


def _become_the_run(request: dict[str, Any], stdout: int, stderr: int,
                    conns: Sequence[Any], own: tuple[Any, int, int]) -> None:  # fmt: skip
    """In the child: a session, pipes and a state of its own, as a fresh interpreter has."""
    posix.setsid()
    _die_with_parent()
    _set_name(str(request["name"]))
    listener, wake_r, wake_w = own
    signal.set_wakeup_fd(-1)
    _original("signal", "signal")(signal.SIGCHLD, signal.Handlers.SIG_DFL)
    for conn in conns:
        conn.close()
    listener.close()
    posix.close(wake_r)
    posix.close(wake_w)
    null = posix.open(os.devnull, os.O_RDONLY)
    for source, target in ((null, 0), (stdout, 1), (stderr, 2)):
        posix.dup2(source, target)
        posix.close(source)
    sys.argv[1:] = request["argv"]  # as `python -m <model>_impl ARGV` has it
    posix.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    _own_pages()
    if "gevent" in sys.modules:  # a hub made before the fork would be shared: a new one
        import gevent

        gevent.reinit()


def _own_pages() -> None:
    """Copy the server's writable pages now, rather than one by one during the run.

    After a fork every page is shared until one side writes to it, and the
    first write to each (a reference count going up is enough) copies it. Left
    to happen during the run, those copies land in the measured time, and
    several children faulting on the same pages at once wait for each other.
    ``MADV_POPULATE_WRITE`` (Linux 5.14) does them all in one call per mapping,
    before the clock starts.
    """
    with contextlib.suppress(OSError, AttributeError, ValueError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        for start, end in procfs.writable_mappings():
            libc.madvise(start, end - start, 23)  # MADV_POPULATE_WRITE


def _die_with_parent() -> None:
    """Ask the kernel to kill us when the server dies (Linux's PR_SET_PDEATHSIG)."""
    server = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != server:  # it died before we asked
        os._exit(1)


def _set_name(name: str) -> None:
    """Show the scenario as the process's name (``/proc/PID/comm``, 15 bytes)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(15, name.encode()[:15])  # PR_SET_NAME


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _line(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode() + b"\n"


# -- the runner's side -----------------------------------------------------------


class ServerError(Exception):
    """A model's fork server could not start, or stopped answering."""


@dataclass
class Server:
    """One model's fork server, started on first use, stopped at exit."""

    model: str
    address: str = ""
    child: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, group: processes.Group | None = None) -> None:
        """Start the server; give up if ``group`` is stopped before it is ready."""
        group = group or processes.DEFAULT
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # An abstract address: nothing on disk to remove, even after a SIGKILL.
        self.address = f"\0concurrency-compare-{os.getpid()}-{self.model}-{id(self)}"
        listener.bind(self.address)
        listener.listen(64)
        command = [sys.executable, "-m", f"{self.model}_impl", "--fork-server",
                   str(listener.fileno())]  # fmt: skip
        # Its stderr to a file: it writes only when something is wrong, and a
        # pipe nobody reads would block it then.
        log = processes.scratch() / f"fork-server-{self.model}.log"
        try:
            with open(log, "w", encoding="utf-8") as stderr:
                self.child = processes.SERVERS.spawn(
                    command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                    pass_fds=[listener.fileno()], text=True,
                )  # fmt: skip
        finally:
            listener.close()  # the server has its copy; ours would only keep it open
        # In slices, so that a batch stopped meanwhile (Ctrl-C) need not wait
        # for a server that is still importing.
        ready = None
        deadline = time.monotonic() + START_TIMEOUT
        while ready is None and time.monotonic() < deadline and not group.closed:
            ready = pipes.line_within(self.child.stdout, 0.1)
        if group.closed and ready is None:
            processes.SERVERS.finish(self.child)
            self.child = None
            raise processes.Stopped("stopped: no new process is started")
        if ready != "ready\n":
            processes.SERVERS.finish(self.child)
            self.child = None
            why = pipes.last_line(log.read_text(encoding="utf-8", errors="replace"))
            why = why or "no reason given"
            raise ServerError(f"the {self.model} fork server did not start: {why}")

    def run(self, argv: list[str], name: str, *, timeout: float,
            group: processes.Group) -> processes.Finished:  # fmt: skip
        """Fork a run of ``argv``; ``Group.run``'s contract, deadline and stop included."""
        with self.lock:
            if self.child is None or self.child.poll() is not None:
                self.start(group)
        command = [sys.executable, "-m", f"{self.model}_impl", *argv]
        request = {"argv": argv, "name": name, "cwd": os.getcwd(), "env": dict(os.environ)}
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            conn.connect(self.address)
            socket.send_fds(conn, [json.dumps(request).encode()], [out_w, err_w])
        finally:
            os.close(out_w)
            os.close(err_w)
        return _follow(conn, out_r, err_r, command, timeout, group)


def _follow(conn: socket.socket, out_r: int, err_r: int, command: list[str],
            timeout: float, group: processes.Group) -> processes.Finished:  # fmt: skip
    """Read the child's pipes and its server's messages to its end or to the deadline."""
    output = {out_r: bytearray(), err_r: bytearray()}
    answers = bytearray()
    pid = 0
    returncode: int | None = None
    ended = False  # the server said how the child ended
    timed_out = False
    start = time.monotonic()
    deadline = start + timeout
    open_fds = {out_r, err_r, conn.fileno()}
    try:
        while open_fds:
            left = deadline - time.monotonic()
            if left <= 0 and not timed_out:
                timed_out = True
                if pid:
                    group.kill_forked(pid)
                else:  # not even forked: give up on it
                    break
            wait = max(left, 0.0) if not timed_out else 5.0
            readable, _, _ = select.select(list(open_fds), [], [], wait)
            if not readable and timed_out:
                break
            for fd in readable:
                chunk = os.read(fd, 65536)
                if not chunk:
                    open_fds.discard(fd)
                elif fd == conn.fileno():
                    answers += chunk
                else:
                    output[fd] += chunk
            while b"\n" in answers:
                line, _, rest = bytes(answers).partition(b"\n")
                answers = bytearray(rest)
                message = json.loads(line)
                if "pid" in message:
                    pid = int(message["pid"])
                    # From the fork, as Group.run counts from the start: not from
                    # when this thread got round to reading the message, which on
                    # a busy machine can come after the run's first request.
                    start = float(message["at"])
                    deadline = start + timeout
                    group.adopt(pid)
                else:
                    returncode, ended = int(message["exit"]), True
                    group.release(pid)
    except BaseException:
        if pid:
            group.kill_forked(pid)
        raise
    finally:
        conn.close()
        os.close(out_r)
        os.close(err_r)
    if not ended and not timed_out:
        raise ServerError(f"the fork server of {command[2]} hung up on its run")
    stopped = group.was_stopped(pid) if pid else False
    return processes.Finished(
        command, None if timed_out else returncode,
        output[out_r].decode(errors="replace"), output[err_r].decode(errors="replace"),
        time.monotonic() - start, timeout, stopped,
    )  # fmt: skip


_servers: dict[str, Server] = {}
_servers_lock = threading.Lock()


def server(model: str) -> Server:
    """This process's fork server for ``model`` (started on its first run)."""
    with _servers_lock:
        return _servers.setdefault(model, Server(model))
