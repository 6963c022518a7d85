"""`concurrency-compare report`: the static site, its structure, and how it renders in a browser.

The site is built once per session, by the CLI (`report --runs` with the JSON
of the suite's ``demo_runs``, and the README's bench, load and hurts figures):
every check reads that one site, since a build highlights every module and
draws every chart, seconds of CPU each time. The browser tests open it from
the disk in Debian's headless Chromium, driven by Playwright, one browser for
them all.
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from shared import documents, scenarios
from shared.cli.main import main
from shared.cli.run import write_json
from shared.contract import MODELS
from shared.harness import processes, runner
from shared.measure.bench.figures import BenchDocument
from shared.measure.hurts.document import HurtsDocument
from shared.measure.load.document import LoadDocument
from shared.present import bench as output
from shared.present import hurts as hurts_tables
from shared.present import load as load_tables
from shared.present import report, sources
from shared.present import show as show_module
from shared.present.docs import sources as docs_sources
from shared.present.docs import verdict
from tests.support.batches import Runs
from tests.support.cli import CLI

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip

# The JSON of the README's figures, as `bench --json`, `load --json` and `hurts --json` wrote it.
DOCS = Path(__file__).resolve().parents[2] / "docs"
BENCH_FILE = DOCS / "bench" / "bench.json"
BENCH = documents.read(BENCH_FILE, BenchDocument)
LOAD_FILE, HURTS_FILE = DOCS / "load" / "load.json", DOCS / "hurts" / "hurts.json"


VOID = {"meta", "link", "br", "img", "input", "hr"}  # elements without an end tag


@dataclass
class Code:
    """What a page shows of one model's code: line number -> text."""

    lines: dict[int, str] = field(default_factory=dict)
    differing: set[int] = field(default_factory=set)


class Parsed(HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []  # href and src values
        self.ids: set[str] = set()
        self.code: dict[str, Code] = {}  # model -> the code shown
        self.outputs: dict[str, str] = {}  # model -> the transcript shown
        self.text: list[str] = []
        self.body: list[str] = []  # the text but the footer's (which says the environment)
        self._open: list[set[str]] = []  # the classes of each open element
        # How many open elements have each class (and "<footer>"): what a piece
        # of text is inside, without walking the stack for each of them.
        self._inside: Counter[str] = Counter()
        self._model = ""
        self._number = ""
        self._line = 0
        self._differs = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        classes = set(values.get("class", "").split())
        if tag not in VOID:
            self._open.append(classes | {"<footer>"} if tag == "footer" else classes)
            self._inside.update(self._open[-1])
        self.links += [values[name] for name in ("href", "src") if name in values]
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "figure" and "data-model" in values:
            self._model = values["data-model"]
            self.code.setdefault(self._model, Code())
        if "line" in classes:
            self._number, self._line, self._differs = "", 0, "differs" in classes

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        classes = self._open.pop()
        self._inside.subtract(classes)
        if "ln" in classes:  # the number is read: the code of that line follows
            self._line = int(self._number)
            self.code[self._model].lines[self._line] = ""
            if self._differs:
                self.code[self._model].differing.add(self._line)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if not self._inside["<footer>"]:
            self.body.append(data)
        if self._open and "ln" in self._open[-1]:
            self._number += data
        elif self._inside["src"] and self._line:
            self.code[self._model].lines[self._line] += data
        elif self._inside["transcript"]:
            self.outputs[self._model] = self.outputs.get(self._model, "") + data


@functools.cache  # a site is not written again once built: each page is parsed once
def parse(path: Path) -> Parsed:
    parsed = Parsed()
    parsed.feed(path.read_text(encoding="utf-8"))
    return parsed


@dataclass
class Built:
    """The session's site, as `concurrency-compare report --runs` wrote it."""

    out: Path
    status: int
    printed: str


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, demo_runs: Runs) -> Built:
    folder = tmp_path_factory.mktemp("report")
    runs_file = folder / "runs.json"
    write_json(str(runs_file), list(demo_runs.values()))
    out = folder / "site"
    printed = io.StringIO()
    status = main(["report", "--runs", str(runs_file), "--bench", str(BENCH_FILE),
                   "--load", str(LOAD_FILE), "--hurts", str(HURTS_FILE), "--out", str(out)],
                  Console(file=printed, width=100))  # fmt: skip
    return Built(out, status, printed.getvalue())


@pytest.fixture(scope="session")
def site(built: Built) -> Path:
    return built.out


def pages(site: Path) -> Iterator[Path]:
    yield from sorted(site.glob("*.html"))


# The index opens with the verdict: the README's, from the committed figures, each
# number of it shown, and the files and runs it comes from named, before the scenarios.
def test_index_opens_with_the_verdict(site: Path) -> None:
    markup = (site / "index.html").read_text(encoding="utf-8")
    words, figures = verdict.words_table(), verdict.figures_table()
    start = markup.index(words.title.replace("'", "&#x27;"))
    assert start < markup.index(figures.title) < markup.index('id="scenarios"')
    shown = "".join(parse(site / "index.html").body)
    for row in figures.texts():
        for cell in row:
            assert cell in shown, cell
    for path in (docs_sources.LOAD, docs_sources.HURTS, docs_sources.BENCH):
        assert f"From {docs_sources.relative(path)}, remade by" in shown


# Every scenario of the catalogue has a page, linked from the index.
def test_a_page_per_scenario(site: Path) -> None:
    index = parse(site / "index.html")
    for name in scenarios.CATALOGUE:
        assert (site / f"{name}.html").is_file(), name
        assert f"{name}.html" in index.links, name
    assert {p.name for p in pages(site)} == {
        "index.html", "bench.html", "load.html", "hurts.html", "bare.html",
        *(f"{name}.html" for name in scenarios.CATALOGUE),
    }  # fmt: skip


# Each page shows every line of the three modules, numbered as in the files,
# with the differing lines marked as `sources` computes them.
def test_every_page_shows_the_three_implementations(site: Path, scenario: str) -> None:
    shows_the_three(parse(site / f"{scenario}.html"), sources.side_by_side(scenario))


def shows_the_three(page: Parsed, view: sources.SideBySide) -> None:
    assert set(page.code) == set(MODELS)
    for model, source in view.sources.items():
        shown = page.code[model]
        for number, line in enumerate(source.lines, start=1):
            if line.strip():
                assert shown.lines.get(number) == line, (model, number)
        marked = {n for row in view.rows if (c := row.cells[model]) for n in c.differing}
        assert shown.differing == marked, model
        assert marked, f"{model}: nothing marked"


# The service alone (`bare.py` in each model) has a page built as a scenario's code is,
# linked from every page's header, the index's and "As a service"'s text too: every line
# of the three modules, the differing ones marked, each definition a section in order.
def test_bare_page(site: Path) -> None:
    for path in pages(site):
        assert "bare.html" in parse(path).links, path.name
    assert "bare.html" in parse(site / "load.html").links
    page = parse(site / "bare.html")
    view = show_module.bare()
    shows_the_three(page, view)
    titles = re.findall(r"<h3>(.*?)</h3>", (site / "bare.html").read_text(encoding="utf-8"))
    assert titles == [row.title for row in view.rows]
    assert [t.split()[-1] for t in titles if " _" not in t][1:] == [
        "UpstreamPool", "handle", "Connection", "serve",
    ]  # fmt: skip
    text = " ".join("".join(page.body).split())  # "".join: `GET /`: reads as written
    assert show_module.BARE_SUMMARY in text and show_module.BARE_IDEA.replace("`", "") in text


# Each page shows what each model printed in the run, its stderr, and the verdict:
# the runs of the session, as the site read them back from their JSON.
def test_every_page_shows_outputs_and_verdict(site: Path, demo_runs: Runs, scenario: str) -> None:
    page = parse(site / f"{scenario}.html")
    text = " ".join(" ".join(page.text).split())
    runs = [demo_runs[scenario, model] for model in MODELS]
    shown = "".join(page.text)
    for run in runs:
        shown_lines = [report.without_machine_paths(line) for line in run.transcript]
        assert page.outputs[run.job.model] == "\n".join(shown_lines)
        for said in run.diagnostics.stderr.values():  # what it said besides, as it said it
            assert report.without_machine_paths(said.rstrip()) in shown
    assert runner.verdict(runs) in text
    assert scenarios.get(scenario).idea.replace("`", "") in text


# Every link and asset resolves to a file of the site (and an id, for a fragment).
def test_links_resolve(site: Path) -> None:
    for path in pages(site):
        for link in parse(path).links:
            target, _, fragment = link.partition("#")
            assert not re.match(r"^[a-z][a-z0-9+.-]*:", target), (path.name, link)
            resolved = site / target if target else path
            assert resolved.is_file(), (path.name, link)
            if fragment:
                assert fragment in parse(resolved).ids, (path.name, link)


# Nothing is fetched from the network: no http(s) URL where a browser would load one.
def test_no_network_assets(site: Path) -> None:
    for path in [*pages(site), site / "style.css"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text), path.name
        assert not re.search(r"url\(|@import", text), path.name
        assert "<script" not in text, path.name


# The bench page shows the README's tables and charts, the place it was measured,
# and each workload's table folded away; no raw JSON key, no exponent.
def test_bench_page(site: Path) -> None:
    assert "bench.html" in parse(site / "index.html").links
    page = parse(site / "bench.html")
    text = " ".join(" ".join(page.text).split())
    # The page's own text: the footer names this machine's packages, aiohttp's too.
    body = " ".join(" ".join(page.body).split())
    for table in [*output.summary(BENCH), *output.details(BENCH), output.facts(BENCH)]:
        assert " ".join(table.title.split()) in body
        for row in table.texts():
            for cell in row:
                assert " ".join(cell.split()) in body, (table.title, cell)
    markup = (site / "bench.html").read_text(encoding="utf-8")
    assert markup.count("<details>") == 1
    summary, details = output.summary(BENCH)[0].title, output.details(BENCH)[0].title
    assert markup.index(summary) < markup.index("<details>") < markup.index(details)
    assert {"fanout.svg", "memory.svg"} <= set(page.links)
    assert (site / "fanout.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert "environment.packages" not in text and "aiohttp 3.14.5" in body
    assert not re.search(r"\d[eE][-+]\d", text)  # 1.62e-12 and the like


# A file that is not a bench's JSON is refused in one line, before anything is written.
def test_bench_file_of_another_shape(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"a": {"b": [{"x": 1}]}}))
    with pytest.raises(documents.DocumentError, match="not the JSON of `bench --json`: no format"):
        report.load_bench(other)


# No page says where the machine that made it keeps its files: a traceback's
# paths are the project's, site-packages' or the standard library's.
def test_no_machine_paths(site: Path) -> None:
    root = str(Path(__file__).resolve().parents[2])
    for path in pages(site):
        text = path.read_text(encoding="utf-8")
        assert root not in text, path.name
        assert not re.search(r"/[\w./-]*/(site-packages|lib/python3\.\d+)/", text), path.name
    shown = report.without_machine_paths(
        f'File "{root}/asyncio_impl/fetch.py", line 3\n'
        f'File "/opt/py/lib/python3.12/asyncio/runners.py", line 118\n'
        f'File "{root}/.venv/lib/python3.12/site-packages/aiohttp/client.py", line 5'
    )
    assert shown.splitlines() == [
        'File "asyncio_impl/fetch.py", line 3',
        'File "python3.12/asyncio/runners.py", line 118',
        'File "site-packages/aiohttp/client.py", line 5',
    ]


# `report --runs` builds the site from the JSON of `run --json`, without running
# anything: the session's site is built so (the pages it wrote: test_a_page_per_scenario).
def test_report_from_runs_json(built: Built, demo_runs: Runs) -> None:
    assert built.status == (0 if all(run.ok for run in demo_runs.values()) else 1), built.printed
    assert (built.out / "index.html").as_uri() in built.printed.replace("\n", "")
    assert "environment failure" not in built.printed
    page = parse(built.out / "fetch.html")
    assert page.outputs["gevent"] == "\n".join(demo_runs["fetch", "gevent"].transcript)


def runs_json(demo_runs: Runs, change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    """The JSON of ``run --json`` with two of the session's runs, changed by ``change``."""
    runs = [demo_runs["fetch", model] for model in ("asyncio", "threads")]
    document = runner.RunsDocument(
        environment=documents.environment(), runs=[run.record() for run in runs]
    )
    data = documents.to_json(document)
    change(data)
    return data


#: How a runs file can be spoilt, and the line that refuses it.
SPOILT_RUNS: list[tuple[Callable[[dict[str, Any]], object], str]] = [
    (lambda d: d.update(runs=[]), "runs: none"),
    (lambda d: d["format"].update(version=2), "a `run --json` file of format version 2"),
    (lambda d: d.pop("format"), "not the JSON of `run --json`: no format 'runs'"),
    (lambda d: d["runs"][1].pop("diagnostics"), "runs[1]: no 'diagnostics'"),
    (lambda d: d["runs"][0]["diagnostics"].update(sockets="2"), "runs[0].diagnostics.sockets"),
    (lambda d: d["runs"][1].update(wall="fast"), "runs[1].wall: not a number"),
    (lambda d: d["runs"][0].update(scenario="nope"), "runs[0].scenario: unknown scenario"),
    (lambda d: d["runs"][1]["spec"].update(delays=[-1]), "runs[1].spec: spec field delays"),
    (lambda d: d.update(runs=d["runs"][:1], environment={}), "environment: no 'python'"),
]


def bad_report_usage(tmp_path: Path, demo_runs: Runs) -> list[tuple[list[str], str]]:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    not_json = tmp_path / "not.json"
    not_json.write_text("{")
    bench_v2 = tmp_path / "bench-v2.json"
    later = {"kind": "bench", "version": 2}
    bench_v2.write_text(json.dumps({**documents.to_json(BENCH), "format": later}))
    usage = [
        (["report", "--out", str(a_file)], "not a folder"),
        (["report", "--bench", str(tmp_path / "missing.json")], "cannot read"),
        (["report", "--bench", str(not_json)], "is not JSON"),
        (["report", "--bench", str(bench_v2)], "a `bench --json` file of format version 2"),
        (["report", "--runs", str(not_json)], "is not JSON"),
        (["report", "--runs", str(BENCH_FILE)], "not the JSON of `run --json`: no format 'runs'"),
        (["report", "--runs", str(a_file), "--scale", "0"], "must be a positive number"),
    ]
    for index, (change, message) in enumerate(SPOILT_RUNS):
        spoilt = tmp_path / f"runs-{index}.json"
        spoilt.write_text(json.dumps(runs_json(demo_runs, change)))
        usage.append((["report", "--runs", str(spoilt)], f"{spoilt}: {message}"))
    return usage


# Bad input: one line on stderr, exit status 2, no site written: a runs or bench
# file of another version or shape, with a part missing or without runs too.
def test_report_bad_usage(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, demo_runs: Runs
) -> None:
    for argv, message in bad_report_usage(tmp_path, demo_runs):
        status = main([*argv, "--out", str(tmp_path / "site")] if "--out" not in argv else argv)
        _, err = capsys.readouterr()
        assert status == 2, argv
        assert err.count("\n") == 1 and message in err, (argv, err)
        assert not (tmp_path / "site").exists()


# The installed command refuses a runs, bench, load or hurts file of another format
# version as it refuses any bad input: one line, exit status 2, no traceback, no site.
@pytest.mark.parametrize("option", ["--runs", "--bench", "--load", "--hurts"])
def test_another_version_through_the_command(tmp_path: Path, option: str) -> None:
    kind = option.removeprefix("--")  # each file's kind is its option's name
    later = tmp_path / f"{kind}.json"
    later.write_text(json.dumps({"format": {"kind": kind, "version": 99}}))
    out = tmp_path / "site"
    done = processes.run([*CLI, "report", option, str(later), "--out", str(out)], timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "of format version 99" in done.stderr, done.stderr
    assert done.stdout == "" and not out.exists()


# -- in a real browser ----------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright; CI must have it."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"no {CHROMIUM}: .ci/run installs Debian's chromium package")
        pytest.skip(f"no {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def boxes(page: Any, selector: str) -> list[dict[str, float]]:
    found = [page.locator(selector).nth(i).bounding_box() for i in range(3)]
    assert all(found), selector
    return found


# From the index to a scenario page: three code columns side by side on a laptop,
# one above the other on a phone, and not one console error or outside request.
def test_in_a_browser(browser: Any, site: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto((site / "index.html").as_uri())
        link = page.locator("a.scenario-link").first
        name = link.inner_text()
        link.click()
        page.wait_for_load_state()
        assert page.url == (site / f"{name}.html").as_uri()
        columns = ".part .columns >> nth=0 >> figure.code"

        wide = boxes(page, columns)
        assert len({round(box["y"]) for box in wide}) == 1, wide  # one row
        for left, right in itertools.pairwise(wide):
            assert left["x"] + left["width"] <= right["x"], wide  # side by side
        assert all(box["width"] > 300 for box in wide), wide

        page.set_viewport_size({"width": 390, "height": 844})
        narrow = boxes(page, columns)
        assert len({round(box["x"]) for box in narrow}) == 1, narrow  # one column
        for upper, lower in itertools.pairwise(narrow):
            assert upper["y"] + upper["height"] <= lower["y"], narrow  # stacked
        assert all(box["x"] + box["width"] <= 390 for box in narrow), narrow  # no overflow
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 390, "the page scrolls sideways at phone width"
    finally:
        context.close()
    assert errors == []
    assert all(url.startswith("file://") for url in requests), requests


# The bench page: the README's tables whole at 1280 px (no table scrolls sideways),
# cards on a phone (the page does not scroll sideways), its charts loaded.
def test_bench_page_in_a_browser(browser: Any, site: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    overflowing = """[...document.querySelectorAll('#summary .table-wrap')]
        .filter(wrap => wrap.scrollWidth > wrap.clientWidth).length"""
    try:
        page.goto((site / "bench.html").as_uri())
        assert page.evaluate(overflowing) == 0
        loaded = "[...document.images].every(image => image.complete && image.naturalWidth > 0)"
        assert page.evaluate(loaded)
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.locator("#summary table thead").first.is_hidden()  # cards, labelled
    finally:
        context.close()
    assert errors == []


# The service's figures (load --json, hurts --json) get a page each, linked from
# every page, with the tables the terminal prints and their charts.
def test_service_pages(site: Path) -> None:
    load, hurts = report.load_load(LOAD_FILE), report.load_hurts(HURTS_FILE)
    for path in pages(site):
        assert {"load.html", "hurts.html"} <= set(parse(path).links), path.name
    made = {"load": load_tables.all_tables(load), "hurts": hurts_tables.all_tables(hurts)}
    for name, shown in made.items():
        page = parse(site / f"{name}.html")
        text = " ".join(" ".join(page.text).split())
        for table in shown:
            assert " ".join(table.title.split()) in text, (name, table.title)
        assert "…" not in text and not re.search(r"\d[eE][-+]\d", text)
        images = [link for link in page.links if link.endswith((".png", ".svg"))]
        assert images and all((site / image).is_file() for image in images), name


# The README's load and hurts files are their documents' JSON, part for part: read
# and written again, nothing is lost, added or changed.
@pytest.mark.parametrize(
    ("path", "kind"),
    [(LOAD_FILE, LoadDocument), (HURTS_FILE, HurtsDocument)],
    ids=["load", "hurts"],
)
def test_service_files_round_trip(path: Path, kind: type[Any]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    document = documents.read(path, kind)
    written = documents.to_json(document)
    assert documents.from_json(kind, json.loads(json.dumps(written))) == document
    assert lost(data, written) == []  # what a newer version records besides may come in


def lost(old: Any, new: Any, where: str = "") -> list[str]:
    """The parts of ``old`` that ``new`` lacks or changed (a whole number may become a
    float of the same value)."""
    if isinstance(old, dict) and isinstance(new, dict):
        parts = [lost(old[k], new[k], f"{where}.{k}") if k in new else [where + k] for k in old]
        return [part for found in parts for part in found]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [part for i, (a, b) in enumerate(zip(old, new, strict=True))
                for part in lost(a, b, f"{where}[{i}]")]  # fmt: skip
    return [] if old == new else [where]


LOAD_VERSION = LoadDocument.FORMAT.version  # a file of the next one is spoilt
NEXT_LOAD = f"version {LOAD_VERSION + 1}; this version reads {LOAD_VERSION}"

#: How a load or hurts file can be spoilt, and the line that refuses it (after its name).
SPOILT_SERVICE: list[tuple[str, Path, Callable[[dict[str, Any]], object], str]] = [
    ("--load", LOAD_FILE, lambda d: d["format"].update(version=LOAD_VERSION + 1),
     f"a `load --json` file of format {NEXT_LOAD}"),
    ("--load", LOAD_FILE, lambda d: d.pop("format"), "not the JSON of `load --json`: no format"),
    ("--load", LOAD_FILE, lambda d: d["deployments"][2]["steps"][0].pop("rate"),
     "deployments[2].steps[0]: no 'rate'"),
    ("--load", LOAD_FILE, lambda d: d["generator"]["latency_ms"].update(p99="slow"),
     "generator.latency_ms.p99: not a number: 'slow'"),
    ("--load", HURTS_FILE, lambda d: None, "not the JSON of `load --json`: no format 'load'"),
    ("--hurts", HURTS_FILE, lambda d: d["format"].update(version=0),
     "a `hurts --json` file of format version 0; this version reads 1"),
    ("--hurts", HURTS_FILE, lambda d: d["idle"][3]["live"]["load"].pop("sent"),
     "idle[3].live.load: no 'sent'"),
    ("--hurts", HURTS_FILE, lambda d: d["blocking"][1]["detectors"].update(later=[]),
     "blocking[1].detectors: an unknown part 'later'"),
    ("--hurts", HURTS_FILE, lambda d: d.pop("plan"), "no 'plan'"),
]  # fmt: skip


# A load or hurts file of another version, kind or shape is refused in one line that
# names the part: exit status 2, no traceback, no site.
@pytest.mark.parametrize(("option", "path", "change", "says"), SPOILT_SERVICE)
def test_service_file_refused(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    option: str,
    path: Path,
    change: Callable[[dict[str, Any]], object],
    says: str,
) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    spoilt = tmp_path / "spoilt.json"
    spoilt.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "site"
    status = main(["report", option, str(spoilt), "--out", str(out)])
    _, err = capsys.readouterr()
    assert status == 2 and err.count("\n") == 1 and f"{spoilt}: {says}" in err, err
    assert not out.exists()
