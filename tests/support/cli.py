"""The command line as the tests drive it: as a terminal starts it, and refusing bad input."""

from __future__ import annotations

import sys

import pytest

from shared.cli.main import main

# The CLI as a terminal starts it: with SIGINT at its default. A shell that runs
# the tests as a background job ignores SIGINT in everything it starts, and an
# ignored SIGINT stays ignored across exec, so it is put back first.
CLI = [
    sys.executable, "-c",
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'concurrency-compare'; runpy.run_module('shared.cli.main', run_name='__main__')",
]  # fmt: skip


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """The line that ``concurrency-compare ARGV`` refuses with: one line on stderr,
    exit status 2, and nothing else printed."""
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2, err
    assert err.count("\n") == 1, err
    assert out == ""
    return err
