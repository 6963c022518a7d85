"""``python -m <model>_impl ...``: the ``__main__`` of every impl package.

Three ways in, by the first argument: ``--fork-server`` (the runner's warm
interpreter, ``shared.harness.forkserver``, whose children come back here with
their own arguments), ``bench`` (a benchmark workload, ``shared.measure.bench``)
or a scenario's name (``shared.harness.host``).
"""

from __future__ import annotations

import os
import stat
import sys

from shared.cli import helptext
from shared.contract import MODELS
from shared.errors import OK, USAGE, run_command
from shared.harness import forkserver
from shared.harness.host import host_scenario, make_parser
from shared.harness.postgres import PostgresError
from shared.harness.services import ServicesError


def listener_fd(words: list[str]) -> int | None:
    """``--fork-server FD``'s FD: a listening socket inherited from the runner; None if not."""
    if len(words) != 1 or not words[0].isdigit():
        return None
    try:
        return int(words[0]) if stat.S_ISSOCK(os.fstat(int(words[0])).st_mode) else None
    except OSError:  # not an open descriptor
        return None


def main(model: str, argv: list[str] | None = None) -> int:
    assert model in MODELS
    prog = f"python -m {model}_impl"
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--fork-server"]:
        fd = listener_fd(argv[1:])
        if fd is None:
            message = "--fork-server takes the descriptor of a listening socket (the runner's)"
            print(f"{prog}: error: {message}", file=sys.stderr)
            return USAGE
        forked = forkserver.serve(model, fd)
        if forked is None:  # the server, told to end
            return OK
        argv, _ = forked  # a child: from here on, a run as `python -m <model>_impl ARGV`
    if argv[:1] == ["bench"]:
        # Imported here: it brings asyncio, which a threads run would pay for.
        from shared.measure.bench import child

        return run_command(f"{prog} bench", lambda: child.main(model, argv[1:]))
    if {"-h", "--help"} & set(argv):
        print_help(model)
        return OK
    # A model's failure is its result (run_hosted catches it): what ends the
    # host otherwise is the environment's, the user's or ours.
    return run_command(prog, lambda: host_scenario(model, argv), (ServicesError, PostgresError))


def print_help(model: str) -> None:
    """``--help``: the host's arguments, under what it does, how long it takes, an example."""
    parser = make_parser(model)
    parser.formatter_class = helptext.Formatter
    parser.description = helptext.describe(
        f"Runs one scenario in the {model} model, in this interpreter, and prints its "
        "output in the article's style; starts the local services or the PostgreSQL "
        "it needs, unless their URL is given. `concurrency-compare run` runs it in "
        "every model side by side, and checks each against what the scenario expects.",
        f"2 to 4 s {helptext.HERE}",
        f"python -m {model}_impl fetch --scale 0.5",
    )
    parser.print_help()
