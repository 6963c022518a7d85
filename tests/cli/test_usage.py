"""Bad input, a hundred ways: exit status 2, one line, no traceback, nothing left behind.

Most invocations are checked in this process, by calling the CLI's and the
host's ``main`` as their entry points do, and by running the ``__main__`` of
every ``python -m shared...`` module: each is refused before any work starts,
so this is fast (and must be: past the checks, the host imports the model's
package, and gevent's would patch pytest's own process). A runs or figures
file that is not one (empty, cut short, of another kind or version, with a
part missing or nothing in it) is refused by ``report`` before the site's
folder exists and before any run. A few invocations run as real commands, in a
batch beside the suite's others, to see what a user sees.
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import shutil
import sys
import tempfile
import tomllib
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared import documents, errors
from shared.cli import main as cli
from shared.cli.model import main as model_main
from shared.contract import HTTP_TIMEOUT_VARIABLE, MAX_SCALE, MIN_SCALE, MODELS
from shared.harness import processes, runner
from shared.harness.services import Services
from shared.measure.load.document import LoadDocument
from tests.support.batches import Batches, batch
from tests.support.cli import CLI

ROOT = Path(__file__).resolve().parents[2]
A_FOLDER = str(Path(__file__).parent)  # exists, and is a folder
NO_FOLDER = "/no/such/folder/out.json"
DEAD_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there

# (argv, a piece of the one line on stderr)
CLI_CASES: list[tuple[list[str], str]] = [
    # commands and options
    (["frobnicate"], "invalid choice"),
    (["--frobnicate"], "unrecognized arguments"),
    (["run", "--frobnicate"], "unrecognized arguments"),
    (["list", "extra"], "unrecognized arguments"),
    # run: scenarios and models
    (["run", "nope"], "unknown scenario 'nope'"),
    (["run", "fetch", "nope"], "unknown scenario 'nope'"),
    (["run", ""], "unknown scenario ''"),
    (["run", "fetch", "fetch"], "a scenario named twice"),
    (["run", "--models", "asyncio,trio"], "unknown model trio"),
    (["run", "--models", ""], "unknown model ''"),
    (["run", "--models", ","], "unknown model ','"),
    (["run", "--models", "asyncio,asyncio"], "a model named twice"),
    (["run", "--models", "ASYNCIO"], "unknown model ASYNCIO"),
    (["run", "--models"], "expected one argument"),
    # run: scale
    (["run", "--scale", "-2"], "must be a positive number"),
    (["run", "--scale", "0"], "must be a positive number"),
    (["run", "--scale", "fast"], "not a number"),
    (["run", "--scale", ""], "not a number"),
    (["run", "--scale", "nan"], "must be a positive number"),
    (["run", "--scale", "inf"], "must be a positive number"),
    (["run", "--scale=-inf"], "must be a positive number"),
    (["run", "--scale", "1e-9"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["run", "--scale", "0.01"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["run", "--scale", "1000"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["run", "--scale", "1e308"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["run", "--scale", "4.5"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["run", "--scale", "0x10"], "not a number"),
    (["run", "--scale"], "expected one argument"),
    # a scale in range that a scenario still cannot honour: its services would
    # answer after the client timeout
    (["run", "as_completed", "--scale", "3"], "spec field delays"),
    (["run", "--scale", "3"], "spec field delays"),
    # run: services URL
    (["run", "fetch", "--services-url", ""], "not a services URL"),
    (["run", "fetch", "--services-url", "nope"], "not a services URL"),
    (["run", "fetch", "--services-url", "ftp://127.0.0.1:21"], "not a services URL"),
    (["run", "fetch", "--services-url", "http://127.0.0.1"], "not a services URL"),
    (["run", "fetch", "--services-url", "http://127.0.0.1:99999"], "not a services URL"),
    (["run", "fetch", "--services-url", "http://:8080"], "not a services URL"),
    (["run", "fetch", "--services-url", DEAD_URL], "no concurrency-compare services at"),
    # run: PostgreSQL's URL (the database scenario's server)
    (["run", "--postgres-url", ""], "not a PostgreSQL URL: ''"),
    (["run", "--postgres-url", "  "], "not a PostgreSQL URL"),
    (["run", "--postgres-url", "nope"], "not a PostgreSQL URL"),
    (["run", "--postgres-url", "http://127.0.0.1:5432/db"], "not a PostgreSQL URL"),
    (["run", "--postgres-url", "postgresql://"], "not a PostgreSQL URL"),
    (["run", "--postgres-url", "postgresql:///db"], "not a PostgreSQL URL"),
    (["run", "--postgres-url", "postgresql://h:99999/db"], "not a PostgreSQL URL"),
    (["run", "--postgres-url", "postgres://[::1/db"], "not a PostgreSQL URL"),
    (["run", "database", "--postgres-url"], "expected one argument"),
    # run: output file
    (["run", "--json", ""], "an empty file name"),
    (["run", "--json", "  "], "an empty file name"),
    (["run", "--json", NO_FOLDER], "cannot write"),
    (["run", "--json", A_FOLDER], "it is a folder"),
    (["run", "--json", "/"], "it is a folder"),
    (["run", "--json", "/proc/version"], "cannot write"),
    (["run", "--json"], "expected one argument"),
    # show
    (["show"], "the following arguments are required: SCENARIO"),
    (["show", "nope"], "unknown scenario 'nope'"),
    (["show", ""], "unknown scenario ''"),
    (["show", "fetch", "--models", "x"], "unknown model x"),
    (["show", "fetch", "--models", ""], "unknown model ''"),
    (["show", "fetch", "--layout", "diagonal"], "invalid choice"),
    (["show", "fetch", "extra"], "unrecognized arguments"),
    # report
    (["report", "--scale", "0"], "must be a positive number"),
    (["report", "--scale", "99"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["report", "--services-url", ""], "not a services URL"),
    (["report", "--postgres-url", ""], "not a PostgreSQL URL"),
    (["report", "--postgres-url", "mysql://127.0.0.1/db"], "not a PostgreSQL URL"),
    (["report", "--runs", "/no/such/runs.json"], "cannot read"),
    (["report", "--bench", "/no/such/bench.json"], "cannot read"),
    (["report", "--out", "/proc/version"], "not a folder"),
    (["report", "--out", ""], "an empty folder name"),
    (["report", "--out", "/proc/version/site"], "/proc/version is not a folder"),
    (["report", "--runs", ""], "cannot read"),
    (["report", "--bench", ""], "cannot read"),
    (["report", "--runs", "/dev/zero"], "/dev/zero is not a file"),  # no end to read to
    # bench
    (["bench", "nope"], "nope"),
    (["bench", "--models", "trio"], "trio"),
    (["bench", "--repeat", "0"], "between 1 and 100"),
    (["bench", "--repeat", "x"], "not a"),
    (["bench", "--json", NO_FOLDER], "cannot write"),
    (["bench", "--json", A_FOLDER], "it is a folder"),
    (["bench", "--json", ""], "an empty file name"),
    # load: numbers that are finite but would overflow a timer, and folders
    (["load", "--target", "http://127.0.0.1:9/", "--rate", "1", "--warmup", "nan"], "--warmup"),
    (["load", "--target", "http://127.0.0.1:9/", "--rate", "1", "--warmup", "-1"], "--warmup"),
    (["load", "--target", "http://127.0.0.1:9/", "--rate", "1e308"], "at most 1000000"),
    (
        ["load", "--target", "http://127.0.0.1:9/", "--rate", "1", "--duration", "1e308"],
        "--duration: seconds: at most 86400",
    ),
    (["load", "--target", "http://127.0.0.1:9/", "--rate", "1", "--timeout", "inf"], "--timeout"),
    (["load", "--target", "ftp://127.0.0.1/", "--rate", "1"], "not an http:// URL"),
    (["load", "--charts", ""], "an empty folder name"),
    (["load", "--charts", "/proc/version"], "not a writable folder"),
    (["load", "--seed", "x"], "--seed"),
    # serve
    (["serve", "--port", "70000"], "between 0 and 65535"),
    (["serve", "--port", "-1"], "between 0 and 65535"),
    (["serve", "--port", "x"], "not a port number"),
    (["serve", "--port", ""], "not a port number"),
    (["serve", "--port", "80.5"], "not a port number"),
]

# The client timeout from the environment: every command refuses a bad one.
ENV_CASES: list[tuple[str, list[str]]] = [
    ("abc", ["list"]),
    ("0", ["list"]),
    ("-1", ["run", "fetch"]),
    ("nan", ["list"]),
    ("1e9", ["list"]),
    ("", ["list"]),
]

# python -m <model>_impl: (argv, a piece of the one line)
HOST_CASES: list[tuple[list[str], str]] = [
    ([], "the following arguments are required: scenario"),
    (["nope"], "unknown scenario 'nope'"),
    ([""], "unknown scenario ''"),
    (["fetch", "extra"], "unrecognized arguments"),
    (["fetch", "--scale", "0"], "must be a positive number"),
    (["fetch", "--scale", "x"], "not a number"),
    (["fetch", "--scale", "1e-9"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["fetch", "--scale", "1e308"], f"between {MIN_SCALE:g} and {MAX_SCALE:g}"),
    (["fetch", "--spec", "{"], "--spec: Expecting property name"),
    (["fetch", "--spec", ""], "--spec: Expecting value"),
    (["fetch", "--spec", "[]"], "--spec must be a JSON object"),
    (["fetch", "--spec", "3"], "--spec must be a JSON object"),
    (["fetch", "--spec", '{"nope": 1}'], "unknown spec field(s) for FetchSpec: nope"),
    (["fetch", "--spec", '{"delays": "x"}'], "spec field delays: expected a list"),
    (["fetch", "--spec", '{"delays": []}'], "expected a list that is not empty"),
    (["fetch", "--spec", '{"delays": [1, "a"]}'], "expected a number of seconds in the list"),
    (["fetch", "--spec", '{"delays": [-1]}'], "expected a duration, 0 or more"),
    (["fetch", "--spec", '{"delays": [1e999]}'], "expected a duration, 0 or more"),
    (["fetch", "--spec", '{"delays": [60]}'], "spec field delays"),
    (["fetch", "--spec", '{"delays": [true]}'], "expected a number of seconds"),
    (["fetch", "--spec", '{"scale": 0}'], "scale must be a positive number"),
    (["fetch", "--spec", '{"scale": "big"}'], "spec field scale: expected a number"),
    (["fetch", "--spec", '{"services_url": 3}'], "spec field services_url: expected a string"),
    (["ordering", "--spec", '{"tasks": -3}'], "spec field tasks: expected a count"),
    (["ordering", "--spec", '{"tasks": 2.5}'], "spec field tasks: expected a whole number"),
    (["ordering", "--spec", '{"tasks": "9"}'], "spec field tasks: expected a whole number"),
    (["ordering", "--spec", '{"tasks": 0}'], "ordering: these spec values make no sense"),
    (["ordering", "--spec", '{"tasks": 2000}'], "more than 60 s"),
    (["ordering", "--spec", '{"step": true}'], "spec field step: expected a number"),
    (["ordering", "--spec", '{"step": null}'], "spec field step: expected a number"),
    (["cooperative", "--spec", '{"block": -1}'], "spec field block"),
    (["cooperative", "--spec", '{"work": "1"}'], "spec field work"),
    (["first_response", "--spec", '{"mode": "sloppy"}'], "mode must be one of"),
    (["first_response", "--spec", '{"ipify": 1, "ip_api": 1}'], "must be distinct"),
    (["timeouts", "--spec", '{"timeout": 1.2}'], "within a factor 2"),
    (["fetch", "--spec", '{"services_url": "nope"}'], "spec field services_url: not a services"),
    (["database", "--spec", '{"postgres_url": "x"}'], "spec field postgres_url: not a PostgreSQL"),
    (["database", "--postgres-url", ""], "not a PostgreSQL URL"),
    (["database", "--postgres-url", "localhost:5432"], "not a PostgreSQL URL"),
    (["fetch", "--services-url", ""], "not a services URL"),
    (["--fork-server"], "--fork-server takes the descriptor of a listening socket"),
    (["--fork-server", "x"], "--fork-server takes the descriptor of a listening socket"),
    (["--fork-server", "99999"], "--fork-server takes the descriptor of a listening socket"),
    (["fetch", "--services-url", "localhost:80"], "not a services URL"),
    (["fetch", "--result", ""], "an empty file name"),
    (["fetch", "--result", NO_FOLDER], "cannot write"),
    (["fetch", "--result", A_FOLDER], "it is a folder"),
]


def ids(cases: list[tuple[list[str], str]]) -> list[str]:
    return [" ".join(repr(a) if not a or " " in a else a for a in argv) for argv, _ in cases]


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    return err


def test_the_table_is_big() -> None:
    per_model = (len(HOST_CASES) + len(BENCH_CASES)) * len(MODELS)
    files = len(SPOILT) * 2 + len(ENTRY_CASES) + len(COMMANDS)
    assert len(CLI_CASES) + len(ENV_CASES) + per_model + files >= 300


# The CLI: exit 2, one line naming the problem, nothing on stdout.
@pytest.mark.parametrize(("argv", "message"), CLI_CASES, ids=ids(CLI_CASES))
def test_cli(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    status = cli.main(argv)
    out, err = capsys.readouterr()
    assert status == errors.USAGE, (out, err)
    assert message in one_line(err) and err.startswith("concurrency-compare: error: ")
    assert out == ""


# python -m <model>_impl, each model: exit 2 and one line, as the CLI.
@pytest.mark.parametrize(("argv", "message"), HOST_CASES, ids=ids(HOST_CASES))
def test_host(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    for model in MODELS:
        status = model_main(model, argv)
        out, err = capsys.readouterr()
        assert status == errors.USAGE, (model, out, err)
        assert message in one_line(err) and err.startswith(f"python -m {model}_impl: error: ")
        assert out == ""


# python -m <model>_impl bench: a workload's arguments, each model, before any is imported.
BENCH_CASES: list[tuple[list[str], str]] = [
    (["bench"], "the following arguments are required: workload"),
    (["bench", "nope"], "invalid choice: 'nope'"),
    (["bench", "memory", "--size", "0"], "tasks or requests between 1 and 10000000"),
    (["bench", "memory", "--size", "x"], "not a number"),
    (["bench", "memory", "--frob"], "unrecognized arguments: --frob"),
    (["bench", "memory", "--result", NO_FOLDER], "cannot write"),
    (["bench", "memory", "--result", ""], "an empty file name"),
    (["bench", "fanout"], "fanout needs --url"),
    (["bench", "fanout", "--url", "ftp://127.0.0.1/"], "not an http:// URL"),
    (["bench", "fanout", "--url", DEAD_URL, "--passes", "0"], "passes between 1 and 100"),
    (["bench", "throughput", "--url", DEAD_URL, "--seconds", "nan"], "must be a positive number"),
    (["bench", "throughput", "--url", DEAD_URL, "--concurrency", "-5"], "workers between"),
]


@pytest.mark.parametrize(("argv", "message"), BENCH_CASES, ids=ids(BENCH_CASES))
def test_bench_child(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    for model in MODELS:
        with exits() as status:
            status.append(model_main(model, argv))
        out, err = capsys.readouterr()
        assert status == [errors.USAGE], (model, out, err)
        assert err.startswith(f"python -m {model}_impl bench: error: ")
        assert message in one_line(err) and out == ""


# -- runs and figures files -----------------------------------------------------

DOCS = ROOT / "docs"


def committed(part: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DOCS / part / f"{part}.json").read_text(encoding="utf-8"))
    return data


def spoilt(part: str, spoil: Callable[[dict[str, Any]], object]) -> Callable[[], bytes]:
    """The committed ``part``'s file, changed by ``spoil``."""

    def content() -> bytes:
        data = committed(part)
        spoil(data)
        return json.dumps(data).encode()

    return content


def runs_file(runs: list[Any], version: int = runner.RunsDocument.FORMAT.version) -> bytes:
    data = documents.to_json(runner.RunsDocument(environment=documents.environment(), runs=[]))
    data |= {"format": {"kind": "runs", "version": version}, "runs": runs}
    return json.dumps(data).encode()


def without_knees(data: dict[str, Any]) -> None:
    for deployment in data["deployments"]:
        del deployment["knee"]


LOAD_VERSION = LoadDocument.FORMAT.version


@dataclass(frozen=True)
class Spoilt:
    """A file ``report OPTION FILE`` refuses, and a piece of the line that says why."""

    name: str
    option: str
    content: Callable[[], bytes] | None  # None: a folder of that name
    message: str


SPOILT = [
    Spoilt("empty", "--load", lambda: b"", "is empty"),
    Spoilt("blank", "--bench", lambda: b" \n\n", "is empty"),
    Spoilt("cut-short", "--load", lambda: (DOCS / "load/load.json").read_bytes()[:5000],
           "is not JSON, or is cut short"),
    Spoilt("not-utf-8", "--hurts", lambda: b"\xff\xfe{}", "is not JSON: 'utf-8' codec"),
    Spoilt("not-json", "--runs", lambda: b"runs, please", "is not JSON, or is cut short"),
    Spoilt("too-deep", "--runs", lambda: b"[" * 100_000, "JSON nested too deep"),
    Spoilt("a-folder", "--bench", None, "Is a directory"),
    Spoilt("a-list", "--load", lambda: b"[]", "not the JSON of `load --json`: not an object"),
    Spoilt("no-format", "--bench", lambda: b"{}", "not the JSON of `bench --json`: no format"),
    Spoilt("hurts-as-load", "--load", spoilt("hurts", lambda d: None), "no format 'load'"),
    Spoilt("load-as-runs", "--runs", spoilt("load", lambda d: None),
           "not the JSON of `run --json`: no format 'runs'"),
    Spoilt("bench-as-hurts", "--hurts", spoilt("bench", lambda d: None), "no format 'hurts'"),
    Spoilt("load-next-version", "--load",
           spoilt("load", lambda d: d["format"].update(version=LOAD_VERSION + 1)),
           f"a `load --json` file of format version {LOAD_VERSION + 1}"),
    Spoilt("runs-next-version", "--runs", lambda: runs_file([], version=99),
           "a `run --json` file of format version 99"),
    # a part missing, or of the wrong type, at any depth
    Spoilt("deployments-lack-knee", "--load", spoilt("load", without_knees),
           "deployments[0]: no 'knee'"),
    Spoilt("step-lacks-load", "--load",
           spoilt("load", lambda d: d["deployments"][-1]["steps"][-1].pop("load")), "no 'load'"),
    Spoilt("rates-not-a-list", "--load", spoilt("load", lambda d: d["plan"].update(rates=9)),
           "plan.rates: not a list"),
    Spoilt("an-unknown-part", "--load", spoilt("load", lambda d: d.update(extra=1)),
           "an unknown part 'extra'"),
    Spoilt("result-lacks-runs", "--bench",
           spoilt("bench", lambda d: d["results"]["spawn"][0].pop("runs")),
           "results['spawn'][0]: no 'runs'"),
    Spoilt("cpu-lacks-fixed", "--hurts", spoilt("hurts", lambda d: d["cpu"][0].pop("fixed")),
           "cpu[0]: no 'fixed'"),
    Spoilt("environment-lacks-python", "--hurts",
           spoilt("hurts", lambda d: d["environment"].pop("python")), "environment: no 'python'"),
    Spoilt("a-run-unlike-a-run", "--runs", lambda: runs_file([{"model": "asyncio"}]),
           "runs[0]: no 'scenario'"),
    # nothing in it
    Spoilt("no-deployments", "--load", spoilt("load", lambda d: d.update(deployments=[])),
           "deployments: none (nothing in it)"),
    Spoilt("no-results", "--bench", spoilt("bench", lambda d: d.update(results={})),
           "results: none (nothing in it)"),
    Spoilt("no-experiments", "--hurts",
           spoilt("hurts", lambda d: [d.pop(k) for k in ("cpu", "blocking", "idle", "parts")]),
           "cpu, blocking, idle, parts: none (nothing in it)"),
    Spoilt("no-runs", "--runs", lambda: runs_file([]), "runs: none (nothing in it)"),
]  # fmt: skip


@pytest.fixture(scope="module")
def spoilt_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("spoilt")
    files = {}
    for case in SPOILT:
        path = files[case.name] = folder / f"{case.name}.json"
        if case.content is None:
            path.mkdir()
        else:
            path.write_bytes(case.content())
    return files


# `report --runs/--bench/--load/--hurts FILE`: one line naming the file and what is
# wrong with it, before anything is written or run (a fresh run of every scenario,
# without --runs, takes over ten seconds here).
@pytest.mark.parametrize("case", SPOILT, ids=[case.name for case in SPOILT])
def test_report_refuses_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, spoilt_files: dict[str, Path], case: Spoilt
) -> None:
    site = tmp_path / "site"
    status = cli.main(["report", "--out", str(site), case.option, str(spoilt_files[case.name])])
    out, err = capsys.readouterr()
    assert status == errors.USAGE, (out, err)
    assert err.startswith("concurrency-compare: error: ") and str(spoilt_files[case.name]) in err
    # No folder: refused before the site's folder, which report makes before any run;
    # a wall-clock bound would only add a busy machine's noise.
    assert case.message in one_line(err) and out == ""
    assert not site.exists()


# The same files, drawn again by `python -m shared.present.{bench,load,hurts} FILE`.
@pytest.mark.parametrize(
    "case", [c for c in SPOILT if c.option != "--runs"],
    ids=[c.name for c in SPOILT if c.option != "--runs"],
)  # fmt: skip
def test_presenters_refuse_the_file(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    spoilt_files: dict[str, Path],
    case: Spoilt,
) -> None:
    module = f"shared.present.{case.option.removeprefix('--')}"
    charts = tmp_path / "charts"
    path = str(spoilt_files[case.name])
    assert run_main(monkeypatch, module, [path, "--charts", str(charts)]) == errors.USAGE
    out, err = capsys.readouterr()
    assert err.startswith(f"python -m {module}: error: ") and path in err
    assert case.message in one_line(err) and out == ""
    assert not charts.exists()


# A field added to a figures file after it was first written has a default: a file
# without it reads, as "not recorded" (the committed files are older than some).
def test_older_files_still_read(tmp_path: Path) -> None:
    data = committed("load")
    recorded = list(documents.Environment.__dataclass_fields__)
    later = [name for name in recorded if name not in ("python", "implementation", "platform",
                                                        "cpus")]  # fmt: skip
    for name in later:
        data["environment"].pop(name, None)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    environment = documents.read(path, LoadDocument).environment
    assert environment.date is None and environment.commit is None and environment.packages == {}


# -- python -m shared...: every module a user can run --------------------------------

STANDALONE = ROOT / "shared" / "measure" / "bench" / "standalone"
LOAD_FILE, HURTS_FILE, BENCH_FILE = (
    str(DOCS / f"{p}/{p}.json") for p in ("load", "hurts", "bench")
)

# (the module, or a script's path; its arguments; a piece of the one line)
ENTRY_CASES: list[tuple[str, list[str], str]] = [
    ("shared.present.load", [], "the following arguments are required: file"),
    ("shared.present.load", [LOAD_FILE, "--charts", ""], "an empty folder name"),
    ("shared.present.hurts", [HURTS_FILE, "--charts", "/proc/version"], "not a writable folder"),
    ("shared.present.hurts", [HURTS_FILE, "--frob"], "unrecognized arguments: --frob"),
    ("shared.present.bench", [BENCH_FILE, "--charts", "/proc/version/x"], "is not a folder"),
    ("shared.present.bench", ["/no/such/bench.json"], "cannot read /no/such/bench.json"),
    ("shared.present.newer_python", [BENCH_FILE], "the following arguments are required: newer"),
    ("shared.present.newer_python", [BENCH_FILE, LOAD_FILE], "no format 'bench'"),
    ("shared.harness.server", ["--port", "x"], "not a port number"),
    ("shared.harness.server", ["--port", "70000"], "between 0 and 65535"),
    ("shared.harness.postgres", ["extra"], "unrecognized arguments: extra"),
    ("shared.harness.introspect", ["trio"], "unknown model trio"),
    ("shared.measure.load.generator", [], "a run needs --target and --rate"),
    ("shared.measure.load.generator", ["--target", "ftp://x", "--rate", "5"], "not an http://"),
    ("shared.measure.load.generator", ["--target", DEAD_URL, "--rate", "0"], "positive number"),
    ("shared.measure.load.generator", ["--target", DEAD_URL, "--rate", "1e308"], "at most"),
    ("shared.measure.load.generator", ["--target", DEAD_URL, "--rate", "1", "--warmup", "nan"],
     "--warmup: seconds between 0 and 3600"),
    ("shared.measure.load.generator", ["--target", DEAD_URL, "--rate", "1", "--cap", "0"],
     "--cap: connections between 1 and 100000"),
    ("shared.measure.load.trivial", ["--backlog", "0"], "a backlog between 1 and 65535"),
    ("shared.measure.load.trivial", ["--stall-for", "-1"], "seconds between 0 and 3600"),
    ("shared.measure.hurts.holder", [], "required: --target, --connections"),
    ("shared.measure.hurts.holder", ["--target", "x", "--connections", "5"], "not an http://"),
    ("shared.measure.hurts.holder", ["--target", DEAD_URL, "--connections", "0"], "between 1"),
    ("shared.measure.hurts.holder", ["--target", DEAD_URL, "--connections", "1", "--timeout",
                                     "-1"], "must be a positive number"),
    ("shared.measure.bench.micro", [], "the first argument is the model's package"),
    ("shared.measure.bench.micro", ["trio"], "the first argument is the model's package"),
    ("shared.measure.bench.crosscheck", ["nope"], "checks are spawn, switch, memory, fanout"),
    ("shared.measure.bench.crosscheck", ["--json", A_FOLDER], "it is a folder"),
    ("shared.measure.bench.crosscheck", ["--models", "trio"], "unknown model trio"),
    (str(STANDALONE / "spawn.py"), ["threads", "0", "1", "1"], "takes MODEL N WARMUPS VALUES"),
    (str(STANDALONE / "switch.py"), ["trio", "10", "1", "1"], "takes MODEL ROUNDS WARMUPS"),
    (str(STANDALONE / "memory.py"), [], "takes MODEL N"),
    (str(STANDALONE / "fanout.py"), ["threads", "ftp://x", "3"], "takes MODEL URL N"),
]  # fmt: skip


def run_main(monkeypatch: pytest.MonkeyPatch, module: str, argv: list[str]) -> int | None:
    """Run ``module``'s ``__main__`` (or the script at that path) with ``argv``, in this
    process; its exit status."""
    monkeypatch.setattr(sys, "argv", [module, *argv])
    with exits() as status, warnings.catch_warnings():
        # runpy's warning that the module is imported already: it runs again, as __main__.
        warnings.simplefilter("ignore", RuntimeWarning)
        if module.endswith(".py"):
            runpy.run_path(module, run_name="__main__")
        else:
            runpy.run_module(module, run_name="__main__")
    return status[0] if status else None


@contextlib.contextmanager
def exits() -> Iterator[list[int]]:
    """Collects the code of the ``SystemExit`` that ends the block into the list it yields."""
    status: list[int] = []
    try:
        yield status
    except SystemExit as exc:
        status.append(exc.code if isinstance(exc.code, int) else 1)


@pytest.mark.parametrize(
    ("module", "argv", "message"), ENTRY_CASES,
    ids=[f"{Path(m).name if m.endswith('.py') else m} {' '.join(a)}" for m, a, _ in ENTRY_CASES],
)  # fmt: skip
def test_entry_points(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    argv: list[str],
    message: str,
) -> None:
    assert run_main(monkeypatch, module, argv) == errors.USAGE
    out, err = capsys.readouterr()
    prog = f"{Path(module).name}" if module.endswith(".py") else f"python -m {module}"
    assert err.startswith(f"{prog}: error: ") and message in one_line(err), err
    assert out == ""


# -- real commands, the way a user meets them -----------------------------------------

COMMANDS: list[tuple[list[str], str]] = [
    *[([sys.executable, "-m", f"{m}_impl", "fetch", "--spec", '{"tasks": -3}'],
       f"python -m {m}_impl: error: unknown spec field(s)") for m in MODELS],
    # Past every check of the arguments: only a real model's interpreter gets
    # this far (in this process, gevent's package would patch pytest's).
    ([sys.executable, "-m", "threads_impl", "fetch", "--services-url", DEAD_URL],
     "python -m threads_impl: error: no concurrency-compare services at"),
    ([sys.executable, "-m", "shared.cli.main", "run", "--scale", "1e308"], "concurrency-compare:"),
    ([sys.executable, "-m", "gevent_impl", "bench", "memory", "--size", "-1"],
     "python -m gevent_impl bench: error: argument --size"),
    ([sys.executable, "-m", "asyncio_impl", "--fork-server", "x"],
     "python -m asyncio_impl: error: --fork-server takes"),
    ([sys.executable, "-m", "shared.measure.load.generator", "--rate", "5"],
     "python -m shared.measure.load.generator: error: a run needs"),
    ([sys.executable, str(STANDALONE / "spawn.py"), "gevent", "x", "1", "1"],
     "spawn.py: error: takes MODEL N"),
    # The file: a load file whose deployments lack a part, refused before the run
    # of every scenario that `report` starts without --runs (it ended in a traceback).
    ([*CLI, "report", "--load", "{files}/no-knees.json", "--out", "{files}/site"],
     "concurrency-compare: error: {files}/no-knees.json: deployments[0]: no 'knee'"),
    ([sys.executable, "-m", "shared.present.load", "{files}/no-deployments.json"],
     "python -m shared.present.load: error: {files}/no-deployments.json: deployments: none"),
]  # fmt: skip


@dataclass
class Commands:
    timeouts: list[processes.Finished]  # ENV_CASES', in order
    commands: list[processes.Finished]  # COMMANDS', in order
    files: str  # where the commands' input files were
    left: list[str]  # what they left in their TMPDIR
    site: bool  # whether `report` wrote its folder


@batch
def real_commands(_: Services) -> Commands:
    """Every real command here, all at once, beside the suite's other batches: each
    ends in its first second, and the CLI with a bad client timeout is a process of
    its own (setting the variable here is not safe while other threads start processes)."""
    files = Path(tempfile.mkdtemp(prefix="usage-files-"))
    scratch = Path(tempfile.mkdtemp(prefix="usage-tmp-"))
    try:
        without_knees_ = committed("load")
        without_knees(without_knees_)
        (files / "no-knees.json").write_text(json.dumps(without_knees_), encoding="utf-8")
        empty = committed("load") | {"deployments": []}
        (files / "no-deployments.json").write_text(json.dumps(empty), encoding="utf-8")

        def timeout(value: str, argv: list[str]) -> processes.Finished:
            env = {**os.environ, HTTP_TIMEOUT_VARIABLE: value}
            return processes.run([*CLI, *argv], timeout=120, env=env)

        def command(words: list[str]) -> processes.Finished:
            env = {**os.environ, "TMPDIR": str(scratch)}  # to see what they leave there
            words = [word.replace("{files}", str(files)) for word in words]
            return processes.run(words, timeout=300, env=env)

        with ThreadPoolExecutor(4) as pool:
            timeouts = pool.map(lambda case: timeout(*case), ENV_CASES)
            commands = pool.map(command, [words for words, _ in COMMANDS])
            done = Commands(list(timeouts), list(commands), str(files), [], False)
        done.left = [path.name for path in scratch.iterdir()]
        done.site = (files / "site").exists()
        return done
    finally:
        shutil.rmtree(files, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.mark.parametrize("case", range(len(ENV_CASES)), ids=[v or "empty" for v, _ in ENV_CASES])
def test_bad_client_timeout(batches: Batches, case: int) -> None:
    done = batches[real_commands].timeouts[case]
    assert done.returncode == errors.USAGE, done.stderr
    assert f"{HTTP_TIMEOUT_VARIABLE} must be a number of seconds" in one_line(done.stderr)
    assert done.stdout == ""


def test_commands(batches: Batches) -> None:
    found = batches[real_commands]
    for (command, message), ended in zip(COMMANDS, found.commands, strict=True):
        assert ended.returncode == errors.USAGE, (command, ended.stderr)
        line = message.replace("{files}", found.files)
        assert one_line(ended.stderr).startswith(line), ended.stderr
        assert ended.stdout == ""
    assert found.left == []  # no temporary file left behind
    assert not found.site  # refused before the report's folder was made


# Bare `concurrency-compare` lists the commands and the exit statuses.
def test_bare_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == errors.OK
    out, _ = capsys.readouterr()
    for command in ("list", "run", "show", "report", "bench", "serve"):
        assert f"\n    {command} " in out
    assert "exit status:" in out and "3      the environment failed" in out


# A bug is not bad usage: its traceback, then one line naming where a user reports it,
# the Issues URL of pyproject.toml's [project.urls] as the installed metadata has it.
def test_a_bug_names_where_to_report_it(capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> int:
        raise KeyError("a bug, for the test")

    assert errors.run_command("concurrency-compare", broken) == errors.BUG
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert urls["Issues"].startswith(urls["Home"]) and urls["Home"] == errors.HOME
    assert lines[-1].startswith("concurrency-compare: this is a bug in concurrency-compare")
    assert lines[-1].endswith(f"(KeyError: 'a bug, for the test'); please report it, with the "
                              f"lines above, at {urls['Issues']}")  # fmt: skip
    assert "`issues`" not in lines[-1]
