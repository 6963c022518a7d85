"""``concurrency-compare figures``: its plan covers every committed figure; bad input runs nothing.

Only ``--dry-run`` runs here: the remake itself takes most of an hour on an
idle machine.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from shared.cli import figures
from shared.cli.main import main
from shared.errors import OK
from tests.support.cli import refused

DOCS = Path(__file__).resolve().parents[2] / "docs"


def dry_run(*argv: str) -> list[str]:
    """What ``figures --dry-run ARGV`` prints, line by line (wide enough not to wrap)."""
    out = io.StringIO()
    status = main(["figures", "--dry-run", *argv], Console(file=out, width=400))
    assert status == OK
    return out.getvalue().splitlines()


# Every *.json and *.png under docs/ is written by some part, or named as made
# by hand: a new committed figure without a maker fails here.
def test_every_committed_figure_has_a_maker() -> None:
    lines = dry_run()
    written = {line.split("writes ", 1)[1] for line in lines if line.startswith("  writes ")}
    by_hand = {line.removeprefix("not remade: ").split(": ", 1)[0] for line in lines
               if line.startswith("not remade: ")}  # fmt: skip
    found = figures.committed(DOCS)
    assert "load/load.json" in found and "load/latency.png" in found  # the walk sees them
    for path in found:
        assert f"docs/{path}" in written | by_hand, f"docs/{path}: no part of `figures` makes it"
    assert not written & by_hand


# Each part's command is the CLI a user would type, in the documented order,
# and the estimate adds the parts up.
def test_dry_run_shows_the_commands() -> None:
    lines = dry_run("--only", "hurts,bench")
    commands = [line.strip() for line in lines if line.strip().startswith("$ ")]
    assert commands == [
        "$ concurrency-compare bench --json docs/bench/bench.json --charts docs/bench",
        "$ concurrency-compare hurts --json docs/hurts/hurts.json --charts docs/hurts",
    ]
    assert not any("load" in line for line in lines)
    assert f"about {12 + 13:g} minutes in all, on an idle machine" in lines


# Another docs folder: the same plan, its paths there, nothing written to it.
def test_dry_run_into_another_folder(tmp_path: Path) -> None:
    lines = dry_run("--only", "load", "--docs", str(tmp_path / "new"))
    assert f"  writes {tmp_path}/new/load/load.json" in lines
    assert not (tmp_path / "new").exists()


# --help says what it does, how long it takes, and gives an example.
def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["figures", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "Remakes every committed figures file" in out
    total = sum(job.minutes for job in figures.JOBS)
    assert f"Takes about {total:g} min here" in out
    assert "example:\n  concurrency-compare figures" in out


# Bad input: one line, exit status 2, nothing run or written.
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--only", "bench,nope"], "parts are bench, load, hurts, versions, not 'nope'"),
        (["--only", ","], "parts are"),
        (["--only", "load", "--frobnicate"], "unrecognized arguments"),
        (["--docs", str(Path(__file__)) + "/docs"], "not a writable folder"),
    ],
)
def test_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    before = figures.committed(DOCS)
    assert message in refused(capsys, ["figures", *argv])
    assert figures.committed(DOCS) == before
    assert not any(p.name.startswith(".remaking-") for p in DOCS.iterdir())
