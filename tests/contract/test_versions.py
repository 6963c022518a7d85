"""What changes between CPython versions, pinned per version (shared/contract/pythons.py).

Each test asserts this interpreter's value, chosen from the catalogue's
``Change`` for the running version: tox runs the file on every Python of the
matrix, so each version's value is pinned where it holds.
"""

from __future__ import annotations

import ast
import asyncio
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from shared.contract.pythons import CHANGES, SUPPORTED, Change
from shared.harness import processes

ROOT = Path(__file__).resolve().parents[2]


def change(topic_start: str, since: str) -> Change:
    found = [c for c in CHANGES if c.topic.startswith(topic_start) and c.since == since]
    assert len(found) == 1, (topic_start, since)
    return found[0]


# What only a fresh interpreter can say: no loop ever set, no warning already
# shown, the CPU affinity of this test process untouched. One child for all.
PROBE = textwrap.dedent(
    """
    import asyncio, importlib, json, os, warnings
    from concurrent.futures import ThreadPoolExecutor

    def outcome(call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                call()
            except Exception as error:
                return type(error).__name__
        return ",".join(sorted({w.category.__name__ for w in caught})) or "silent"

    found = {
        "get_event_loop": outcome(asyncio.get_event_loop),
        "get_event_loop_policy": outcome(asyncio.get_event_loop_policy),
    }
    found["hdrhistogram"] = outcome(lambda: importlib.import_module("hdrh.codec"))
    try:
        import uvloop
    except ImportError:
        found["uvloop_install"] = "not installed"
    else:
        found["uvloop_install"] = outcome(uvloop.install)
    # The pool's default size, with the process allowed on one CPU only.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    found["max_workers_on_one_cpu"] = ThreadPoolExecutor()._max_workers
    found["cpu_count"] = os.cpu_count()
    print(json.dumps(found))
    """
)


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    command = [sys.executable, "-c", PROBE]
    done = processes.run(command, timeout=60)
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


# 3.13+: `async for` over as_completed yields the very tasks; before, it cannot.
def test_as_completed_async_for() -> None:
    async def main() -> object:
        tasks = [asyncio.create_task(asyncio.sleep(delay, delay)) for delay in (0.05, 0.01)]
        try:
            arrivals = [task async for task in asyncio.as_completed(tasks)]
        except TypeError:
            await asyncio.gather(*tasks)
            return "TypeError"
        return arrivals == tasks[::-1]  # the very tasks, the quicker first

    new = change("`async for`", "3.13")
    assert asyncio.run(main()) == (True if new.holds() else "TypeError")


# The article's asyncio.get_event_loop(): silent, then warned against, then refused.
def test_get_event_loop_without_a_loop(probe: dict[str, Any]) -> None:
    warned = change("`asyncio.get_event_loop()`", "3.12")
    refused = change("`asyncio.get_event_loop()`", "3.14")
    if refused.holds():
        assert probe["get_event_loop"] == "RuntimeError"
    elif warned.holds():
        assert probe["get_event_loop"] == "DeprecationWarning"
    else:
        assert probe["get_event_loop"] == "silent"


# 3.14 deprecates the policies; the suite treats warnings as errors.
def test_event_loop_policies(probe: dict[str, Any]) -> None:
    deprecated = change("event loop policies", "3.14")
    expected = "DeprecationWarning" if deprecated.holds() else "silent"
    assert probe["get_event_loop_policy"] == expected


# uvloop's own policy helper warns from 3.12 on (uvloop's choice, by version).
def test_uvloop_install(probe: dict[str, Any]) -> None:
    if probe["uvloop_install"] == "not installed":
        pytest.skip("uvloop is an optional extra: pip install -e '.[test,uvloop]'")
    deprecated = change("`uvloop.install()`", "3.12")
    assert probe["uvloop_install"] == ("DeprecationWarning" if deprecated.holds() else "silent")


# The project picks uvloop with loop_factory: no warning on any version.
def test_uvloop_by_loop_factory_is_silent() -> None:
    uvloop = pytest.importorskip("uvloop", reason="an optional extra: '.[test,uvloop]'")

    async def which() -> str:
        return type(asyncio.get_running_loop()).__module__

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(which()).startswith("uvloop")
    assert uvloop.run(which()).startswith("uvloop")


# 3.14 warns of a ctypes structure with _pack_ and no _layout_, as hdrhistogram's.
def test_hdrhistogram_import(probe: dict[str, Any]) -> None:
    deprecated = change("importing hdrhistogram", "3.14")
    assert probe["hdrhistogram"] == ("DeprecationWarning" if deprecated.holds() else "silent")


# 3.13+ sizes the default pool by the CPUs this process may use, not the machine's.
def test_thread_pool_default_workers(probe: dict[str, Any]) -> None:
    by_process = change("`ThreadPoolExecutor()`", "3.13")
    cpus = 1 if by_process.holds() else probe["cpu_count"]
    assert probe["max_workers_on_one_cpu"] == min(32, cpus + 4)


# Each change names a model, a supported version and a test that exists.
@pytest.mark.parametrize("pinned", CHANGES, ids=[f"{c.since} {c.topic}" for c in CHANGES])
def test_changes_are_pinned(pinned: Change) -> None:
    assert pinned.model in {"asyncio", "asyncio+uvloop", "gevent", "threads", "all"}
    assert pinned.since in SUPPORTED[1:] and pinned.before != pinned.after
    path, _, name = pinned.pinned_by.partition("::")
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    assert name in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


# The catalogue's versions are the matrix's: tox declares an env for each.
def test_supported_versions_are_the_matrix() -> None:
    tox = (ROOT / "tox.ini").read_text(encoding="utf-8")
    env_list = next(line for line in tox.splitlines() if line.startswith("env_list"))
    declared = [f"3.{env[3:]}" for env in env_list.split("=")[1].replace(",", " ").split()
                if env.startswith("py3") and env[3:].isdigit()]  # fmt: skip
    assert tuple(declared) == SUPPORTED
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in SUPPORTED
