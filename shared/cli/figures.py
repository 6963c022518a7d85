"""``concurrency-compare figures``: remake every committed figures file and chart under docs/.

Each part is the project's own command, run as a child process exactly as a
user would type it (``python -m shared.cli.main load --json ... --charts
...``): whatever a command's options and outputs become, this follows the CLI
rather than the experiments' internals. A part writes into a temporary folder
inside docs/ (inside the checkout, so that the Debian sid root sees it; on the
same file system, so that each file's move is one rename); its files replace
docs/'s only when it succeeded. Each JSON is then read back and given what only
this command knows (``Environment.dirty``, ``Environment.load_after``); what
every command records (commit, CPU model, affinity, load at the start) it
recorded itself.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from shared import args as argtypes
from shared import documents
from shared.cli import helptext, output
from shared.errors import BUG, ENVIRONMENT, OK, UNTRUSTED, UsageError
from shared.harness import processes
from shared.measure.bench.figures import BenchDocument
from shared.measure.hurts.document import HurtsDocument
from shared.measure.load.document import LoadDocument
from shared.present.docs import generate

CHECKOUT = Path(__file__).resolve().parents[2]
DOCS = CHECKOUT / "docs"

#: A part's child asked to stop (Ctrl-C, SIGTERM) has this long to stop its own
#: children and remove its files before its group is killed.
STOP_GRACE = 30.0
#: A load average above this at the start is worth a warning.
IDLE = 0.5


@dataclasses.dataclass(frozen=True)
class Interpreter:
    """The Python a part runs under: its first words, and what it needs to exist."""

    name: str
    prefix: tuple[str, ...]
    needs: str | None = None  # a path in the checkout that exists once it is ready
    make: str = ""  # the commands that make it ready

    def missing(self, docs: Path) -> str | None:
        """Why it cannot run here, or None."""
        if self.needs is not None and not (CHECKOUT / self.needs).exists():
            return f"{self.name} is not set up (no {self.needs}): {self.make}"
        if self.prefix[0] == "scripts/sid-root" and not docs.resolve().is_relative_to(CHECKOUT):
            return f"{self.name} sees only the checkout, and {docs} is outside it"
        return None


HERE = Interpreter("this interpreter", (sys.executable,))
#: The committed versions files are Debian's builds (profile-guided and
#: link-time optimised), 3.11 on the host and 3.15 in the sid root, with the
#: same packages: the README's "What a newer Python changes".
DEBIAN_311 = Interpreter(
    "Debian's CPython 3.11 on the host",
    (".tox/debian-3.11/bin/python",),
    needs=".tox/debian-3.11/pyvenv.cfg",
    make="/usr/bin/python3.11 -m venv .tox/debian-3.11 && "
    ".tox/debian-3.11/bin/pip install '.[uvloop]'",
)
SID_315 = Interpreter(
    "Debian's CPython 3.15 in the Debian sid root",
    ("scripts/sid-root", "run", ".tox/sid/py315/bin/python"),
    needs=".tox/sid/py315/pyvenv.cfg",
    make="scripts/sid-root run tox --workdir .tox/sid -e py315 --notest",
)


@dataclasses.dataclass(frozen=True)
class Job:
    """One command of a part and what it writes, as paths relative to docs/."""

    part: str
    label: str
    words: tuple[str, ...]  # the CLI's arguments; "{docs}" is where the files go
    document: str  # the JSON it writes
    kind: type[Any]  # the JSON's document class
    charts: str | None  # a glob of the charts it writes, or None
    minutes: float  # how long it takes here, on an idle machine
    interpreter: Interpreter = HERE

    def command(self, docs: Path | str, *, quiet: bool = False) -> list[str]:
        """The command that runs it, writing into ``docs``; ``quiet``: with ``-q``."""
        words = [word.replace("{docs}", str(docs)) for word in self.words]
        return [*self.interpreter.prefix, "-m", "shared.cli.main", *words, *["-q"] * quiet]

    def shown(self, docs: str = "docs") -> str:
        """The command as a user would type it."""
        words = [word.replace("{docs}", docs) for word in self.words]
        if self.interpreter is HERE:
            return shlex.join(["concurrency-compare", *words])
        return shlex.join([*self.interpreter.prefix, "-m", "shared.cli.main", *words])


def full(part: str, charts: str, kind: type[Any], minutes: float) -> Job:
    """The full run of the command ``part``: its JSON and its charts in docs/PART/."""
    words = (part, "--json", f"{{docs}}/{part}/{part}.json", "--charts", f"{{docs}}/{part}")
    return Job(part, part, words, f"{part}/{part}.json", kind, f"{part}/{charts}", minutes)


def version(python: str, interpreter: Interpreter) -> Job:
    """The quick bench with 3 interpreters per measurement under ``interpreter``."""
    name = f"bench/versions/{python}.json"
    words = ("bench", "--quick", "--repeat", "3", "--json", "{docs}/" + name)
    return Job("versions", f"versions {python}", words, name, BenchDocument, None, 2.5, interpreter)


# Minutes each part took here (2 vCPUs, idle), from the "seconds" of the files it
# wrote under docs/: bench 727 s, load 2,513 s, hurts 760 s, each version's quick
# bench 141 to 144 s.
JOBS = (
    full("bench", "*.png", BenchDocument, 12),
    full("load", "*.png", LoadDocument, 48),
    full("hurts", "hurts-*.png", HurtsDocument, 13),
    version("3.11", DEBIAN_311),
    version("3.15", SID_315),
)
PARTS = tuple(dict.fromkeys(job.part for job in JOBS))

#: Committed figures no command makes, and why.
#: None now: a figure that cannot be remade by code is not committed.
BY_HAND: dict[str, str] = {}


def part_list(text: str) -> list[str]:
    """``--only``: comma-separated parts, kept in the remake's order."""
    asked = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in asked if p not in PARTS]
    if not asked or unknown:
        raise argparse.ArgumentTypeError(
            f"parts are {', '.join(PARTS)}, not {(unknown or [text])[0]!r}"
        )
    return [p for p in PARTS if p in asked]


def description() -> str:
    minutes = {part: sum(j.minutes for j in JOBS if j.part == part) for part in PARTS}
    each = ", ".join(f"{part} {m:g}" for part, m in minutes.items())
    return helptext.describe(
        "Remakes every committed figures file and chart under docs/ from nothing: each "
        "part is the project's own command, run as a user would run it, writing to a "
        "temporary folder whose files replace docs/'s only when the part succeeded (exit "
        "0, or 5: written, but the figures are untrusted, said loudly). Every document "
        "records the commit, the CPU, the CPUs the command could use, and the load "
        "average before and after its part. A part that fails or cannot run here (the "
        "versions' Debian interpreters) is named, the others go on, and the command "
        "ends with a non-zero status. Run it on an idle machine: whatever else runs "
        "shows in the figures.",
        f"about {sum(minutes.values()):g} min {helptext.HERE}, in minutes: {each}",
        "concurrency-compare figures --only load,hurts --dry-run",
    )


DESCRIPTION = description()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        type=part_list,
        default=list(PARTS),
        metavar="PARTS",
        help=f"comma-separated, of {','.join(PARTS)} (default: all, in that order)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the commands and their files, run nothing"
    )
    parser.add_argument(
        "--docs",
        type=argtypes.writable_folder,
        metavar="DIR",
        help="write the figures here instead of this checkout's docs/ (to compare, say)",
    )
    output.add_quiet(parser)


def command(args: argparse.Namespace, console: Console) -> int:
    docs = Path(args.docs) if args.docs else DOCS
    jobs = [job for job in JOBS if job.part in args.only]
    if args.dry_run:
        show_plan(console, docs, jobs)
        return OK
    try:
        docs.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".remaking-", dir=docs))
    except OSError as exc:
        raise UsageError(f"cannot write to {docs}: {exc.strerror or exc}") from None
    try:
        return remake(console, docs, scratch, jobs, quiet=args.quiet)
    finally:
        # Whatever ended the remake (Ctrl-C too), nothing half-made stays.
        shutil.rmtree(scratch, ignore_errors=True)


def say(console: Console, line: str, style: str = "") -> None:
    console.print(Text(line, style=style), soft_wrap=True)


def tell(console: Console, line: str, style: str = "") -> None:
    """``say``, under ``-q`` too: a line of the verdict, or an error."""
    output.final(console, line, style, soft_wrap=True)


def committed(docs: Path) -> list[str]:
    """The figures files under ``docs``, relative to it: *.json and *.png, hidden folders aside."""
    found = [
        path.relative_to(docs).as_posix()
        for path in docs.rglob("*")
        if path.suffix in (".json", ".png") and path.is_file()
    ]
    return sorted(p for p in found if not any(part.startswith(".") for part in p.split("/")))


def writes(job: Job, docs: Path) -> list[str]:
    """The files ``job`` writes, as docs/ has them now (its charts by the glob)."""
    charts = sorted(docs.glob(job.charts)) if job.charts else []
    return [job.document, *(p.relative_to(docs).as_posix() for p in charts)]


def shown(docs: Path) -> str:
    """``docs`` as the output names it: ``docs`` for this checkout's."""
    return "docs" if docs == DOCS else str(docs)


def show_plan(console: Console, docs: Path, jobs: Sequence[Job]) -> None:
    where = shown(docs)
    say(console, f"would run, in order, each writing to a temporary folder in {where}/ first:")
    for job in jobs:
        say(console, f"{job.label} (about {job.minutes:g} min):", "bold")
        say(console, f"  $ {job.shown(where)}")
        for path in writes(job, docs):
            say(console, f"  writes {where}/{path}")
        if job.charts:
            say(console, f"  and any other {where}/{job.charts} it writes")
        reason = job.interpreter.missing(docs)
        if reason:
            say(console, f"  would not be remade: {reason}", "bold red")
    minutes = sum(job.minutes for job in jobs)
    say(console, f"about {minutes:g} minutes in all, on an idle machine")
    for path, why in BY_HAND.items():
        say(console, f"not remade: {where}/{path}: {why}")


@dataclasses.dataclass
class Outcome:
    job: Job
    status: int
    seconds: float = 0.0
    load_before: float | None = None
    load_after: float | None = None
    note: str = ""


def remake(
    console: Console, docs: Path, scratch: Path, jobs: Sequence[Job], *, quiet: bool = False
) -> int:
    """Each job in turn, then the summary; ``quiet``: the parts' commands with ``-q``."""
    commit, dirty = git_state()
    here = documents.environment()
    say(console, "remaking the figures in " + str(docs), "bold")
    say(console, f"  commit {commit or 'unknown'}"
                 + (" with uncommitted changes outside docs/" if dirty else ""))  # fmt: skip
    say(console, f"  CPU {here.cpu_model or 'unknown'}, {here.cpus} CPUs, this process may use "
                 f"{', '.join(map(str, here.affinity or ())) or 'any'}")  # fmt: skip
    load = os.getloadavg()[0]
    if load > IDLE:
        say(console, f"  load average {load:.2f}: not idle, other programs' work will show "
                     "in the figures", "bold yellow")  # fmt: skip
    else:
        say(console, f"  load average {load:.2f}")
    outcomes = []
    for index, job in enumerate(jobs):
        # The parts run on this terminal, each with its own progress: here, only
        # which part of how many, and the time left by the plan.
        left = sum(later.minutes for later in jobs[index:])
        place = f"part {index + 1} of {len(jobs)}, about {left:g} min left"
        out = scratch / str(index)
        outcomes.append(remake_one(console, job, docs, out, dirty, place=place, quiet=quiet))
    status = summary(console, docs, outcomes)
    if docs == DOCS:
        rewrite_docs(console)
    return status


def rewrite_docs(console: Console) -> None:
    """The README's and docs/*.md's generated blocks written again from the files now
    in docs/, so that no page quotes a figure the remake replaced."""
    for path, text in generate.stale().items():
        path.write_text(text, encoding="utf-8")
        tell(console, f"updated {path.relative_to(CHECKOUT)} from the figures files")


def remake_one(
    console: Console,
    job: Job,
    docs: Path,
    out: Path,
    dirty: bool | None,
    *,
    place: str = "",
    quiet: bool = False,
) -> Outcome:
    """One part: run, its JSON stamped, its files moved into ``docs`` if it succeeded.

    ``place``: which part it is and the time left, for its header line.
    """
    say(console, "")
    reason = job.interpreter.missing(docs)
    if reason:
        tell(console, f"== {job.label}: not remade: {reason}", "bold red")
        return Outcome(job, ENVIRONMENT, note=reason)
    (out / job.document).parent.mkdir(parents=True, exist_ok=True)
    if job.charts:
        (out / job.charts).parent.mkdir(parents=True, exist_ok=True)
    before = os.getloadavg()[0]
    where = f" ({place})" if place else ""
    say(console, f"== {job.label}{where}: {job.shown(shown(docs))}  (load average {before:.2f})",
        "bold")  # fmt: skip
    start = time.monotonic()
    status = run_part(job.command(out, quiet=quiet), deadline=job.minutes * 60 * 4)
    after = os.getloadavg()[0]
    outcome = Outcome(job, status, time.monotonic() - start, before, after)
    if status not in (OK, UNTRUSTED):
        outcome.status = status if status > 0 else ENVIRONMENT
        outcome.note = f"{processes.describe_status(status)}: docs/ left as it was"
        tell(console, f"== {job.label} failed: {outcome.note}", "bold red")
        return outcome
    try:
        stamp(out / job.document, job.kind, dirty=dirty, load_after=after)
    except (documents.DocumentError, OSError) as exc:
        outcome.status, outcome.note = BUG, f"its JSON: {exc}: docs/ left as it was"
        tell(console, f"== {job.label} failed: {outcome.note}", "bold red")
        return outcome
    moved = move_into(out, docs)
    for path in moved:
        say(console, f"   remade {shown(docs)}/{path}")
    stale = [p for p in writes(job, docs) if p not in moved]
    for path in stale:
        say(console, f"   not written by this run, left as it was: {shown(docs)}/{path}", "yellow")
    if status == UNTRUSTED:
        outcome.note = "figures UNTRUSTED (exit status 5): written and marked, not to be relied on"
        tell(console, f"== {job.label}: {outcome.note}", "bold red reverse")
    return outcome


def run_part(command: Sequence[str], deadline: float) -> int:
    """Run a part's command with its output on this terminal; its exit status.

    The child has a session of its own (``processes``), so a Ctrl-C here
    reaches only this process: it is passed on as SIGINT, and the child gets
    ``STOP_GRACE`` seconds to stop the servers it started, as it would alone.
    """
    child = processes.DEFAULT.spawn(command, cwd=CHECKOUT, stdin=subprocess.DEVNULL)
    try:
        try:
            return child.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            interrupt(child)
            return ENVIRONMENT
        except BaseException:
            interrupt(child)
            raise
    finally:
        processes.DEFAULT.finish(child)


def interrupt(child: subprocess.Popen[Any]) -> None:
    with contextlib.suppress(ProcessLookupError):
        child.send_signal(signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=STOP_GRACE)


def stamp(path: Path, kind: type[Any], *, dirty: bool | None, load_after: float) -> None:
    """Adds what only the remake knows to the environment of the document at ``path``."""
    document = documents.read(path, kind)
    environment = dataclasses.replace(document.environment, dirty=dirty, load_after=load_after)
    documents.write(path, dataclasses.replace(document, environment=environment))


def move_into(out: Path, docs: Path) -> list[str]:
    """Moves every file under ``out`` to the same place under ``docs``; their paths there."""
    files = sorted(p for p in out.rglob("*") if p.is_file())
    moved = []
    with signals_held():  # a part's files are replaced all together or not at all
        for path in files:
            relative = path.relative_to(out)
            (docs / relative).parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, docs / relative)
            moved.append(relative.as_posix())
    return moved


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP wait until the block is done (main thread only)."""
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def git_state() -> tuple[str | None, bool | None]:
    """The checkout's commit, and whether tracked files outside docs/ differ from it.

    docs/ is left out: the remake itself changes it, part after part, and the
    figures come from the code, not from the files they replace.
    """
    commit = documents.git_commit(CHECKOUT)
    done = processes.DEFAULT.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)docs"],
        timeout=20,
        cwd=CHECKOUT,
    )
    dirty = bool(done.stdout.strip()) if done.returncode == 0 else None
    return commit, dirty


def summary(console: Console, docs: Path, outcomes: Sequence[Outcome]) -> int:
    """The verdict, part by part (printed under ``-q`` too); the exit status."""
    say(console, "")
    tell(console, "the remake, part by part:", "bold")
    for o in outcomes:
        loads = (
            f", load average {o.load_before:.2f} then {o.load_after:.2f}"
            if o.load_before is not None and o.load_after is not None
            else ""
        )
        verdict = {OK: "remade", UNTRUSTED: "remade, UNTRUSTED"}.get(o.status, "NOT remade")
        style = "" if o.status == OK else "bold red"
        took = f" in {o.seconds / 60:.1f} min" if o.load_before is not None else ""
        tell(console, f"  {o.job.label}: {verdict}{took}{loads}"
                      + (f": {o.note}" if o.note and o.status != OK else ""), style)  # fmt: skip
    for path, why in BY_HAND.items():
        tell(console, f"  not remade: {path}: {why}")
    failed = [o.status for o in outcomes if o.status not in (OK, UNTRUSTED)]
    if failed:
        return failed[0]
    return UNTRUSTED if any(o.status == UNTRUSTED for o in outcomes) else OK
