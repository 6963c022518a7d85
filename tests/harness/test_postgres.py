"""shared.harness.postgres: a real PostgreSQL, started, used, stopped, nothing left behind.

Each experiment starts a server of its own (initdb and all); they run as a
batch, in the background, while the other tests go on.
"""

from __future__ import annotations

import json
import os
import pwd
import signal
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from shared.harness import postgres, processes
from shared.harness.postgres import PostgresError, check, free_port, open_postgres, use_postgres
from shared.harness.services import Services
from tests.support.batches import Batches, batch
from tests.support.processes import alive


def server_pid(folder: str) -> int:
    """The postmaster's pid, from its data directory."""
    return int((Path(folder) / "data" / "postmaster.pid").read_text().split()[0])


def owner(pid: int) -> int:
    """The real user id of process ``pid``."""
    return psutil.Process(pid).uids().real


#: A parent that starts a server, says where, and is killed outright.
KILLED_PARENT = textwrap.dedent(
    """
    import json, os, signal
    from pathlib import Path
    from shared.harness.postgres import open_postgres
    with open_postgres() as server:
        pid = int((Path(server.folder) / "data" / "postmaster.pid").read_text().split()[0])
        print(json.dumps([server.pid, pid, server.folder]), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


@batch
def lifecycle(services: Services) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    with open_postgres() as server:
        assert server.pid is not None
        check(server.url)
        pid = server_pid(server.folder)
        seen.update(url=server.url, folder=server.folder, supervisor=server.pid, server=pid)
        seen.update(alive=alive(pid), owner=owner(pid))
    seen["left"] = [alive(server.pid), alive(pid), os.path.exists(server.folder)]
    # The parent killed: its pipe closes, the supervisor stops the server.
    child = processes.run([sys.executable, "-c", KILLED_PARENT], timeout=120)
    supervisor, pid, folder = json.loads(child.stdout)
    seen["killed"] = child.returncode
    seen["killed_left"] = postgres_left(supervisor, pid, folder)
    return seen


def postgres_left(supervisor: int, server: int, folder: str) -> list[str]:
    """What is still there of a server, once its supervisor has had time to clean up."""
    deadline = time.monotonic() + 20
    while True:
        there = {
            "supervisor": alive(supervisor),
            "server": alive(server),
            "folder": os.path.exists(folder),
        }
        left = [name for name, present in there.items() if present]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


# A server of its own accepts connections; once closed, nothing of it is left.
def test_open_and_close(batches: Batches) -> None:
    seen = batches[lifecycle]
    assert seen["url"].startswith("postgresql://postgres@127.0.0.1:")
    assert seen["alive"]
    assert seen["left"] == [False, False, False]


# PostgreSQL refuses root: as root, the server runs as nobody.
def test_server_is_not_root(batches: Batches) -> None:
    seen = batches[lifecycle]
    expected = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.getuid()
    assert seen["owner"] == expected


# The parent killed outright: the supervisor sees its pipe close and cleans up.
def test_parent_killed(batches: Batches) -> None:
    seen = batches[lifecycle]
    assert seen["killed"] == -signal.SIGKILL
    assert seen["killed_left"] == []


# An existing server is used as it is; a URL where none answers is one clear error.
def test_use_existing(postgres_server: postgres.Starting) -> None:
    url = postgres_server.url()
    with use_postgres(url) as server:
        assert server.url == url
        assert server.pid is None
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    with pytest.raises(PostgresError, match="no PostgreSQL at") as caught:
        check(nowhere)
    assert "\n" not in str(caught.value)
