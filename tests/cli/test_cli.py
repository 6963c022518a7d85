"""The command line: what it prints, its exit status, and its answers to bad input."""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import platform
import shutil
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from shared import documents, scenarios
from shared.cli.main import main
from shared.cli.run import models_for, side_by_side
from shared.contract import MODELS
from shared.documents import gil_enabled
from shared.errors import UsageError
from shared.harness.runner import Run, RunsDocument, read_runs
from shared.harness.services import Services
from tests.support.batches import Batches, Runs, batch


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# `list` names every scenario with the article example it renders.
def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "list")
    assert status == 0
    for scenario in scenarios.CATALOGUE.values():
        assert scenario.name in out and scenario.article in out


# `run` shows the chosen models side by side and says they are equivalent.
def test_run_side_by_side(capsys: pytest.CaptureFixture[str], services: Services) -> None:
    status, out, err = cli(capsys, "run", "context_switch", "--models", "asyncio,threads",
                           "--services-url", services.url)  # fmt: skip
    assert status == 0, out + err
    assert "asyncio" in out and "threads" in out and "gevent" not in out
    assert "verdict: equivalent" in out


# --json writes every run with its outcome, expectation and diagnostics.
def test_run_json(capsys: pytest.CaptureFixture[str], services: Services, tmp_path: Path) -> None:
    target = tmp_path / "runs.json"
    status, out, _ = cli(capsys, "run", "fetch", "--models", "gevent", "--json", str(target),
                         "--services-url", services.url)  # fmt: skip
    document = json.loads(target.read_text())
    assert status == 0
    assert f"wrote every run's details to {target}" in " ".join(out.split())
    assert document["environment"]["packages"]["gevent"]
    # The interpreter, as issue 10 asks: version, implementation, the GIL.
    assert document["environment"]["python"] == platform.python_version()
    assert document["environment"]["implementation"] == platform.python_implementation()
    assert document["environment"]["gil_enabled"] is gil_enabled()
    assert document["format"] == {"kind": "runs", "version": 1}
    [run] = document["runs"]
    assert (run["model"], run["scenario"], run["problems"]) == ("gevent", "fetch", [])
    assert run["outcome"]["concurrent"] == run["expected"]["facts"]["concurrent"]
    # What was written reads back as the same run: Run.from_json is to_json's inverse,
    # and the whole file reads back as the document it was.
    again = Run.from_json(run)
    assert again.to_json() == run
    [read] = read_runs(target)
    assert read.to_json() == run and read.ok
    assert documents.to_json(documents.read(target, RunsDocument)) == document


# On a free-threaded interpreter gevent (which needs the GIL) is left out, with a line.
def test_models_for_the_gil() -> None:
    assert models_for(list(MODELS), gil=True) == (list(MODELS), "")
    kept, note = models_for(list(MODELS), gil=False)
    assert kept == ["asyncio", "threads"]
    assert note.startswith("gevent left out: it needs the GIL")
    assert models_for(["asyncio"], gil=False) == (["asyncio"], "")
    with pytest.raises(UsageError, match="gevent left out"):
        models_for(["gevent"], gil=False)


# `run`'s tables read at 80 columns: every line fits, no cell is cut short.
def test_run_reads_at_80_columns(demo_runs: Runs) -> None:
    by_scenario: dict[str, list[Run]] = {}
    for (name, _), run in sorted(demo_runs.items(), key=lambda item: MODELS.index(item[0][1])):
        by_scenario.setdefault(name, []).append(run)
    console = Console(width=80, record=True, file=io.StringIO())
    for name, runs in by_scenario.items():
        console.print(side_by_side(name, runs))
    text = console.export_text()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80


# mypy checks every scenario module against the host's protocol: all are listed.
def test_every_scenario_is_checked_by_mypy() -> None:
    listed = (Path(__file__).parents[2] / "shared" / "contract" / "conformance.py").read_text()
    for name in scenarios.CATALOGUE:
        for model in MODELS:
            assert f"import {model}_impl.{name}\n" in listed, (model, name)


# When a model's results cannot meet the expectation, the verdict says so: exit 1.
@pytest.mark.runs_models
def test_run_reports_a_difference(capsys: pytest.CaptureFixture[str]) -> None:
    # Services whose events API changed: it answers an empty list. Every model
    # reports what it got, which is not what the scenario expects.
    with changed_api() as url:
        status, out, _ = cli(capsys, "run", "fetch", "--models", "threads", "--services-url", url)
    assert status == 1
    assert "differs" in out and "a model differs" in out


@contextlib.contextmanager
def changed_api() -> Iterator[str]:
    """A real HTTP server that looks like the services but whose /events is empty."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = f"http://127.0.0.1:{self.server.server_address[1]}"
            bodies = {"/": {"url": url, "unreachable": "http://127.0.0.1:9/"}, "/stats": {}}
            body = json.dumps(bodies.get(self.path.split("?")[0], [])).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join()


BAD_USAGE = [
    (["run", "nope"], "unknown scenario 'nope'"),
    (["run", "--models", "asyncio,trio"], "unknown model trio"),
    (["run", "--scale", "-2"], "must be a positive number"),
    (["run", "--scale", "fast"], "not a number"),
    (["run", "--scale", "nan"], "must be a positive number"),
    (["run", "--json", "/no/such/folder/out.json"], "cannot write"),
    (["serve", "--port", "70000"], "between 0 and 65535"),
    (["frobnicate"], "invalid choice"),
]


# Bad input gets one line on stderr and exit status 2, before anything runs.
@pytest.mark.parametrize(("argv", "message"), BAD_USAGE, ids=[" ".join(a) for a, _ in BAD_USAGE])
def test_bad_usage(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    status, out, err = cli(capsys, *argv)
    assert status == 2
    assert err.count("\n") == 1 and message in err, err
    assert out == ""


# A services URL where nothing answers: one line, exit 2.
def test_dead_services_url(capsys: pytest.CaptureFixture[str], services: Services) -> None:
    status, _, err = cli(capsys, "run", "fetch", "--services-url", services.unreachable)
    assert status == 2
    assert err.count("\n") == 1 and "no concurrency-compare services at" in err


# `serve` on a port that is taken: one line, exit 2, no traceback.
def test_serve_on_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        status, _, err = cli(capsys, "serve", "--port", str(taken.getsockname()[1]))
    assert status == 2
    assert err.count("\n") == 1 and "cannot listen on 127.0.0.1:" in err


@batch
def console_script(services: Services) -> subprocess.CompletedProcess[str] | None:
    """The installed script's `list`, in the background: a new interpreter, which
    takes seconds while the batches' own fill both cores."""
    script = shutil.which("concurrency-compare", path=str(Path(sys.executable).parent))
    if script is None:
        return None
    return subprocess.run([script, "list"], capture_output=True, text=True, timeout=60)


# The installed console script is the same program.
def test_console_script(batches: Batches) -> None:
    done = batches[console_script]
    assert done is not None, "no concurrency-compare script beside this interpreter"
    assert done.returncode == 0 and "context_switch" in done.stdout


# Every folder of code is in the wheel: a package missing from pyproject.toml
# passes every test run from the checkout and breaks the installed command.
def test_every_package_is_installed() -> None:
    root = Path(__file__).resolve().parents[2]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    folders = [
        folder
        for top in ("shared", "asyncio_impl", "gevent_impl", "threads_impl")
        for folder in [root / top, *(root / top).rglob("*")]
        if folder.is_dir() and folder.name != "__pycache__"
    ]
    with_code = {
        ".".join(folder.relative_to(root).parts)
        for folder in folders
        if any(folder.glob("*.py")) or any(folder.glob("*.j2"))
    }
    assert with_code == set(pyproject["tool"]["setuptools"]["packages"])
