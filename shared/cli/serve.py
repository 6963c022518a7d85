"""``concurrency-compare serve``: the local services in the foreground."""

from __future__ import annotations

import argparse
import asyncio

from rich.console import Console

from shared.args import port_number
from shared.cli import helptext
from shared.contract import HOST
from shared.errors import UsageError

DESCRIPTION = helptext.describe(
    "Runs the local services the scenarios talk to (the events API, the IP "
    "services, an endpoint that hangs) in the foreground, for `run --services-url` "
    "or to look at with curl.",
    f"0.4 s {helptext.HERE} to start; it then serves until Ctrl-C",
    "concurrency-compare serve --port 8080",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=port_number,
        default=0,
        help="the port to listen on (default: a free one, printed)",
    )


def command(args: argparse.Namespace, console: Console) -> int:
    def ready(urls: dict[str, str]) -> None:
        console.print(f"serving on {urls['url']} (unreachable: {urls['unreachable']})")
        console.print("endpoints: /events /ip/ipify /ip/ip-api /ip/malformed /hang /stats")
        console.print("Ctrl-C stops it")

    # aiohttp.web only once the arguments are good: a bad port is refused at once.
    from shared.harness.server import serve

    try:
        asyncio.run(serve(args.port, ready))
    except OSError as exc:
        raise UsageError(f"cannot listen on {HOST}:{args.port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        pass
    return 0
