"""One check for bad input, shared by the tests of each command: the command
refuses in one line on stderr, with exit status 2, and prints nothing else."""

from __future__ import annotations

import pytest

from shared.cli.main import main


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """The line that ``concurrency-compare ARGV`` refuses with."""
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2, err
    assert err.count("\n") == 1, err
    assert out == ""
    return err
