"""``concurrency-compare``: the parser and the table of commands.

Exit statuses: see ``shared.errors`` (0 as expected, 1 a model differs, 2 bad
usage, 3 the environment failed, 4 a bug, 128+N a signal); ``--help`` lists them.
A command's module is imported only when that command runs (``COMMANDS``), and
every argument is checked before any work starts. Whatever ends the program
(Ctrl-C, SIGTERM, SIGHUP, a bug), the processes it started end with it and its
temporary files go (``shared.harness.processes``). What a command prints and
where (``--json -``, ``-q``, progress, colour) is ``shared.cli.output``'s; how
its ``--help`` reads, ``shared.cli.helptext``'s.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from collections.abc import Sequence
from importlib import metadata

from rich.console import Console

from shared.args import Parser
from shared.cli import helptext, output
from shared.contract import http_timeout
from shared.errors import EXIT_STATUSES, OK, UsageError, run_command
from shared.harness import processes
from shared.harness.introspect import HELP as INSPECT_HELP
from shared.harness.postgres import PostgresUnreachable
from shared.harness.services import ServicesError

PROG = "concurrency-compare"

#: Each command: its module in ``shared.cli`` (with ``add_arguments(parser)``
#: and ``command(args, console) -> int``) and its line in ``--help``.
COMMANDS = {
    "list": ("listing", "the scenarios, one line each"),
    "run": ("run", "run scenarios in each model, side by side, with a verdict"),
    "show": ("show", "a scenario's implementations side by side"),
    "report": ("report", "a static HTML site: code side by side, outputs, verdicts, benchmarks"),
    "bench": ("bench", "what each model costs: spawn, memory, switch, fan-out, throughput"),
    "load": ("load", "the same service in each model under gunicorn, measured open-loop"),
    "hurts": (
        "hurts",
        "what hurts a service: CPU in the handler, a blocking call, idle connections",
    ),
    "figures": ("figures", "remake every committed figures file and chart under docs/"),
    "inspect": ("inspect", INSPECT_HELP),
    "serve": ("serve", "run the local services in the foreground"),
}


DESCRIPTION = helptext.describe(
    "The same I/O scenarios in asyncio, gevent and threads, run side by side and "
    "checked against what each should do; what each model costs, and how a "
    "service in each behaves under load. `concurrency-compare COMMAND --help` "
    "says what a command does, how long it takes and how it is run.",
    f"0.3 s (list) to 78 min (figures) {helptext.HERE}",
    "concurrency-compare run fetch --models asyncio,threads",
)


def version() -> str:
    """The installed version, as ``--version`` prints it."""
    return f"{PROG} {metadata.version('concurrency-compare')}"


def make_parser(argv: Sequence[str] = ()) -> Parser:
    """The parser, with the arguments of the command that ``argv`` names (if any).

    A command's module gives its ``--help`` its description (``DESCRIPTION``).
    """
    parser = Parser(
        prog=PROG, description=DESCRIPTION, epilog=EXIT_STATUSES, formatter_class=helptext.Formatter
    )
    parser.add_argument(
        "--version", action="version", version=version(), help="print the version and exit"
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", parser_class=Parser
    )
    chosen = next((word for word in argv if not word.startswith("-")), None)
    for name, (module_name, help_) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_, formatter_class=helptext.Formatter)
        if name == chosen:
            module = importlib.import_module(f"shared.cli.{module_name}")
            sub.description = module.DESCRIPTION
            module.add_arguments(sub)
            sub.set_defaults(handler=module.command)
    return parser


def main(argv: list[str] | None = None, console: Console | None = None) -> int:
    """The CLI; ``console``: rich's, sized from the terminal (or $COLUMNS), on
    standard output (standard error under ``--json -``), unless given."""
    # SIGTERM and SIGHUP (a CI runner, `timeout`, a closed terminal) clean up as
    # Ctrl-C does; signals can only be handled in the main thread.
    in_main = threading.current_thread() is threading.main_thread()
    with processes.handle_termination() if in_main else contextlib.nullcontext():
        return run_main(argv, console)


def run_main(argv: list[str] | None, console: Console | None) -> int:
    usage_errors = (ServicesError, PostgresUnreachable)  # a dead URL the user gave
    return run_command(PROG, lambda: run_parsed(argv, console), usage_errors)


def run_parsed(argv: list[str] | None, console: Console | None) -> int:
    parser = make_parser(argv if argv is not None else sys.argv[1:])
    args = parser.parse_args(argv)
    if args.command is None:  # bare `concurrency-compare`: what it can do
        parser.print_help()
        return OK
    try:
        http_timeout()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    # Made once the arguments are known: `--json -` moves it to standard error.
    status: int = args.handler(args, output.console_for(args, console))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
