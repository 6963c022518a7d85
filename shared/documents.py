"""Figures documents: typed, versioned, read back with one line for a bad file.

Each kind of figures file (``run``, ``bench``, ``load``, ``hurts``) is a tree
of dataclasses in its experiment's package, like pyperf's ``Benchmark``. This
module gives them what they share:

* ``Format``: the kind and version every file carries under ``"format"``; a
  file of another kind or version is refused, never half read;
* ``to_json`` / ``from_json``: a dataclass tree to JSON and back, by its type
  hints, with a ``DocumentError`` that names where a part is missing or of the
  wrong type (``deployments[2].steps[0]: no 'rate'``);
* ``read`` / ``write``: a file to a document and back;
* ``save`` and ``read_back``: the files a command's ``--json`` and ``--charts``
  ask for, and the ``python -m`` entry that draws an earlier file again.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import stat
import sys
import time
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from shared.args import OneLineParser, writable_folder
from shared.errors import UsageError


class DocumentError(UsageError):
    """A figures file that is not what it should be: one line, exit status 2."""


@dataclasses.dataclass(frozen=True)
class Format:
    """What a figures file is: ``{"kind": "bench", "version": 2}``."""

    kind: str
    version: int
    command: str = ""  # the command whose --json writes it, when not ``kind`` ("run" for "runs")

    @property
    def writer(self) -> str:
        """What writes such a file, as a refusal names it: ``"`bench --json`"``."""
        return f"`{self.command or self.kind} --json`"


D = TypeVar("D")


def to_json(document: Any) -> dict[str, Any]:
    """``document`` as JSON data, its format first when it has one."""
    data: dict[str, Any] = jsonable(document)
    form = getattr(type(document), "FORMAT", None)
    if isinstance(form, Format):
        data = {"format": {"kind": form.kind, "version": form.version}, **data}
    return data


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: dataclasses become dicts, tuples lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def from_json(cls: type[D], data: Any, where: str = "") -> D:
    """A ``cls`` made from JSON ``data``, checked against ``cls``'s type hints.

    ``DocumentError`` says where the first part that does not fit is. A field
    with a default may be missing; an unknown key is an error (a file of
    another shape, not a newer one with the same version). A document (a
    ``cls`` with a ``FORMAT``) with nothing in it is refused: see ``check_filled``.
    """
    form = getattr(cls, "FORMAT", None)
    if isinstance(form, Format) and not where:
        check_format(data, form)
        data = {k: v for k, v in data.items() if k != "format"}
    document = typing.cast(D, _from_json(cls, data, where))
    if isinstance(form, Format) and not where:
        check_filled(document)
    return document


def check_format(data: Any, form: Format) -> None:
    if not isinstance(data, dict):
        raise DocumentError(f"not the JSON of {form.writer}: not an object")
    found = data.get("format")
    if not isinstance(found, dict) or found.get("kind") != form.kind:
        raise DocumentError(f"not the JSON of {form.writer}: no format {form.kind!r}")
    if found.get("version") != form.version:
        raise DocumentError(
            f"a {form.writer} file of format version {found.get('version')!r}; this "
            f"version reads {form.version} (make it again with this version's command)"
        )


def check_filled(document: Any) -> None:
    """Refuses a document with nothing in it, in one line naming what is empty.

    Its figures are its lists and dicts at the top (a bench's results, a load's
    deployments, a runs file's runs): each one it must have holds something; when
    it must have none (hurts: each experiment's rows, there when it ran), one of
    those it may have does.
    """
    hints = typing.get_type_hints(type(document))
    required: list[str] = []
    optional: list[str] = []
    for field in dataclasses.fields(document):
        if not _collection(hints[field.name]):
            continue
        no_default = dataclasses.MISSING
        has_default = field.default is not no_default or field.default_factory is not no_default
        (optional if has_default else required).append(field.name)
    empty = [name for name in required if not getattr(document, name)]
    if empty:
        raise DocumentError(f"{empty[0]}: none (nothing in it)")
    if not required and optional and not any(getattr(document, n) for n in optional):
        raise DocumentError(f"{', '.join(optional)}: none (nothing in it)")


def _collection(kind: Any) -> bool:
    """Whether a field of type ``kind`` holds a list or a dict (or None in their stead)."""
    union = typing.get_origin(kind) in (types.UnionType, typing.Union)
    options = typing.get_args(kind) if union else (kind,)
    return any(typing.get_origin(option) in (list, dict) for option in options)


def _from_json(kind: Any, value: Any, where: str) -> Any:
    name = f"{where}: " if where else ""  # the part the message is about, if not the whole
    origin = typing.get_origin(kind)
    if kind is Any:
        return value
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _from_json(option, value, where)
            except DocumentError as exc:
                errors.append(str(exc))
        raise DocumentError(errors[0] if errors else f"{name}null")
    if origin is typing.Literal:
        if value not in typing.get_args(kind):
            raise DocumentError(f"{name}{value!r} is not one of {typing.get_args(kind)}")
        return value
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise DocumentError(f"{name}not an object")
        hints = typing.get_type_hints(kind)
        fields = {f.name: f for f in dataclasses.fields(kind) if f.init}
        unknown = [key for key in value if key not in fields]
        if unknown:
            raise DocumentError(f"{name}an unknown part {unknown[0]!r}")
        given = {}
        for field_name, field in fields.items():
            inner = f"{where}.{field_name}" if where else field_name
            if field_name not in value:
                no_default = dataclasses.MISSING
                if field.default is no_default and field.default_factory is no_default:
                    raise DocumentError(f"{name}no {field_name!r}")
                continue
            given[field_name] = _from_json(hints[field_name], value[field_name], inner)
        made: Any = kind  # a dataclass type, called with its fields
        return made(**given)
    if origin in (list, tuple, Sequence):
        if not isinstance(value, list):
            raise DocumentError(f"{name}not a list")
        args = typing.get_args(kind)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(value):
                raise DocumentError(f"{name}{len(value)} items, not {len(args)}")
            return tuple(
                _from_json(a, v, f"{where}[{i}]")
                for i, (a, v) in enumerate(zip(args, value, strict=True))
            )
        item = args[0] if args else Any
        items = [_from_json(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise DocumentError(f"{name}not an object")
        _, item = typing.get_args(kind) or (str, Any)
        return {k: _from_json(item, v, f"{where}[{k!r}]") for k, v in value.items()}
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DocumentError(f"{name}not a number: {value!r}")
        return float(value)
    if kind in (int, str, bool):
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise DocumentError(f"{name}not {kind.__name__}: {value!r}")
        return value
    if kind is type(None):
        if value is not None:
            raise DocumentError(f"{name}not null")
        return None
    raise TypeError(f"documents cannot read {kind!r} ({name})")  # a bug in a document's types


#: The most a figures file may hold: the largest here (a load file) is under 1 MB.
MOST_BYTES = 64 * 2**20


def read(path: Path | str, cls: type[D]) -> D:
    """The document in the file at ``path``; ``DocumentError`` in one line if it is not one.

    A pipe reads (``<(gunzip -c load.json.gz)``); a device (``/dev/zero``, a
    terminal) or a file over ``MOST_BYTES`` is refused before it is read to its end.
    """
    try:
        with open(path, "rb") as file:
            if not stat.S_ISREG(mode := os.fstat(file.fileno()).st_mode) and not stat.S_ISFIFO(
                mode
            ):
                raise DocumentError(f"{path} is not a file")
            raw = file.read(MOST_BYTES + 1)
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MOST_BYTES:
        raise DocumentError(f"{path} is over {MOST_BYTES // 2**20} MB: not a figures file")
    try:
        text = raw.decode("utf-8")
    except ValueError as exc:  # not UTF-8: not a file any command writes
        raise DocumentError(f"{path} is not JSON: {exc}") from None
    if not text.strip():
        raise DocumentError(f"{path} is empty")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise DocumentError(f"{path} is not JSON, or is cut short: {exc}") from None
    except RecursionError:  # JSON nested deeper than the parser goes: no document is
        raise DocumentError(f"{path} is not a figures file: JSON nested too deep") from None
    try:
        return from_json(cls, data)
    except DocumentError as exc:
        raise DocumentError(f"{path}: {exc}") from None


def write(path: Path | str, document: Any) -> None:
    """The document as indented JSON at ``path``."""
    Path(path).write_text(json.dumps(to_json(document), indent=2) + "\n", encoding="utf-8")


#: ``write_charts(folder, document)``: the charts drawn, as the files written.
WriteCharts = Callable[[str, D], Iterable[Path]]


def save(
    say: Callable[[str], object],
    document: Any,
    asked: argparse.Namespace,
    write_charts: WriteCharts[Any],
) -> None:
    """Writes the JSON (``--json FILE``) and the charts (``--charts DIR``) ``asked`` asks for.

    Each file is named through ``say`` (a console's ``print``) as it is
    written, so that a run's output says where its figures went.
    """
    if asked.json:
        write(asked.json, document)
        say(f"figures written to {asked.json}")
    if asked.charts:
        for chart in write_charts(asked.charts, document):
            say(f"chart written to {chart}")


def read_back(
    command: str, cls: type[D], markdown: str, argv: Sequence[str] | None = None
) -> tuple[argparse.Namespace, D]:
    """The arguments of ``python -m shared.present.COMMAND FILE``, and FILE's document.

    ``--charts DIR`` draws the charts again, ``--markdown`` (whose help is
    ``markdown``) asks for the tables as Markdown. A FILE that is not a ``cls``
    ends the program with one line and exit status 2, as bad usage does.
    """
    parser = OneLineParser(prog=f"python -m shared.present.{command}")
    parser.add_argument("file", help=f"the JSON of `concurrency-compare {command} --json`")
    parser.add_argument(
        "--charts", metavar="DIR", type=writable_folder, help="also write the charts here"
    )
    parser.add_argument("--markdown", action="store_true", help=markdown)
    args = parser.parse_args(argv)
    try:
        return args, read(args.file, cls)
    except DocumentError as exc:
        parser.error(str(exc))


def gil_enabled() -> bool:
    """Whether this interpreter runs with the GIL (a free-threaded build may not)."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return bool(is_enabled()) if is_enabled is not None else True


@dataclasses.dataclass(frozen=True, kw_only=True)
class Environment:
    """The machine and the interpreter a figures file comes from: in every one.

    Fields added after the first files were written have defaults, so that
    those files still read (as "not recorded").
    """

    python: str
    implementation: str
    gil_enabled: bool = True  # files older than free-threaded builds do not say
    platform: str
    cpus: int | None
    packages: dict[str, str] = dataclasses.field(default_factory=dict)
    #: What the load experiments add: wrk's version line. ``load``: the load
    #: average over the last minute when the command started.
    wrk: str | None = None
    load: float | None = None
    #: The checkout's HEAD and the CPU's name; the CPUs this process may run on
    #: (``os.sched_getaffinity``), of the ``cpus`` the machine has.
    commit: str | None = None
    cpu_model: str | None = None
    affinity: tuple[int, ...] | None = None
    #: What ``figures`` adds: whether tracked files outside docs/ differed from
    #: ``commit`` when the remake started, and the load average when this
    #: command's part had ended (beside ``load``, at its start).
    dirty: bool | None = None
    load_after: float | None = None
    #: When the command started, UTC, to the second ("2026-12-06T20:34:05Z"):
    #: the run a figure comes from, as the docs cite it.
    date: str | None = None


def environment() -> Environment:
    """This machine and this interpreter, now."""
    # Imported here: every model interpreter imports this module (the contract's
    # jsonable) and never asks for package versions.
    from importlib import metadata

    versions = {}
    for package in ("aiohttp", "gevent", "greenlet", "requests", "urllib3", "uvloop", "pyperf"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    affinity = getattr(os, "sched_getaffinity", None)  # Linux's; macOS has none
    return Environment(
        python=platform.python_version(),
        implementation=platform.python_implementation(),
        gil_enabled=gil_enabled(),
        platform=platform.platform(),
        cpus=os.cpu_count(),
        packages=versions,
        load=os.getloadavg()[0],
        commit=git_commit(Path(__file__).resolve().parents[1]),
        cpu_model=cpu_model(),
        affinity=tuple(sorted(affinity(0))) if affinity is not None else None,
        date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )


def git_commit(checkout: Path) -> str | None:
    """The commit ``checkout``'s HEAD names, or None outside a git checkout.

    Read from the files under .git rather than by running git: this layer
    starts no process (that is the harness's job), and the files are a stable,
    documented format (gitrepository-layout).
    """
    git = checkout / ".git"
    try:
        if git.is_file():  # a linked worktree: "gitdir: PATH"
            git = checkout / git.read_text(encoding="utf-8").removeprefix("gitdir:").strip()
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head or None  # a detached HEAD is the commit itself
        ref = head.removeprefix("ref:").strip()
        common = git
        if (git / "commondir").is_file():  # a worktree's refs live in the main .git
            common = git / (git / "commondir").read_text(encoding="utf-8").strip()
        for folder in (git, common):
            if (folder / ref).is_file():
                return (folder / ref).read_text(encoding="utf-8").strip() or None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                commit, _, name = line.partition(" ")
                if name == ref:
                    return commit
    except OSError:
        return None
    return None


def cpu_model() -> str | None:
    """The CPU's model name from ``/proc/cpuinfo`` (None where there is none).

    Read here, not through ``shared.harness.procfs.cpu_name``: this module is
    the lowest layer and cannot import the harness, and every figures file
    records the CPU, so the few lines are repeated rather than moved.
    """
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else None
