"""shared.documents: a figures file is a typed tree that reads back as it was written,
and a file of another kind, version or shape is refused in one line that names the part."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest

from shared import documents
from shared.documents import DocumentError, Format
from shared.errors import UsageError


@dataclass(frozen=True, kw_only=True)
class Step:
    rate: float
    errors: dict[str, int] = field(default_factory=dict)
    p99: float | None = None


@dataclass(frozen=True, kw_only=True)
class Sample:
    FORMAT: ClassVar[Format] = Format("sample", 3)

    name: str
    kind: Literal["open", "closed"]
    span: tuple[int, int]
    steps: list[Step]
    trusted: bool = True


SAMPLE = Sample(
    name="gevent", kind="open", span=(1, 2),
    steps=[Step(rate=100.0, errors={"timeout": 2}), Step(rate=200.0, p99=0.5)],
)  # fmt: skip


# Written and read back, a document is equal to itself, its format first in the file.
def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sample.json"
    documents.write(path, SAMPLE)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert next(iter(data)) == "format" and data["format"] == {"kind": "sample", "version": 3}
    assert documents.read(path, Sample) == SAMPLE


# An int where a float belongs is a float; a missing field with a default takes it.
def test_numbers_and_defaults() -> None:
    data = documents.to_json(SAMPLE)
    data["steps"][0]["rate"] = 100
    del data["trusted"]
    read = documents.from_json(Sample, data)
    assert isinstance(read.steps[0].rate, float) and read.trusted is True


Spoil = Callable[[dict[str, Any]], object]


# Each spoilt file is refused with the part that does not fit, never half read.
@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda d: d["format"].update(version=2), "format version 2; this version reads 3"),
        (lambda d: d["format"].update(kind="bench"), "no format 'sample'"),
        (lambda d: d.pop("format"), "no format 'sample'"),
        (lambda d: d["steps"][1].pop("rate"), "steps[1]: no 'rate'"),
        (lambda d: d["steps"][0].update(rate="fast"), "steps[0].rate: not a number: 'fast'"),
        (lambda d: d["steps"][0].update(rate=True), "steps[0].rate: not a number: True"),
        (lambda d: d["steps"][0]["errors"].update(timeout=1.5), "errors['timeout']: not int"),
        (lambda d: d.update(kind="half"), "kind: 'half' is not one of ('open', 'closed')"),
        (lambda d: d.update(span=[1]), "span: 1 items, not 2"),
        (lambda d: d.update(steps={}), "steps: not a list"),
        (lambda d: d.update(extra=1), "an unknown part 'extra'"),
    ],
)
def test_spoilt_files_are_refused(spoil: Spoil, message: str) -> None:
    data = documents.to_json(SAMPLE)
    spoil(data)
    with pytest.raises(DocumentError) as refused:
        documents.from_json(Sample, data)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


@dataclass(frozen=True, kw_only=True)
class Experiments:
    """A document whose parts are each there when their experiment ran, as hurts'."""

    FORMAT: ClassVar[Format] = Format("experiments", 1)

    name: str
    cpu: list[Step] | None = None
    idle: dict[str, Step] = field(default_factory=dict)


# A document with nothing in it is refused, naming the part that is empty: a list or a
# dict it must have, or every one it may have when it must have none.
def test_empty_documents_are_refused() -> None:
    data = documents.to_json(SAMPLE)
    data["steps"] = []
    with pytest.raises(DocumentError, match=r"^steps: none \(nothing in it\)$"):
        documents.from_json(Sample, data)
    nothing: list[dict[str, Any]] = [{}, {"cpu": None}, {"cpu": [], "idle": {}}]
    for empty in nothing:
        with pytest.raises(DocumentError, match=r"^cpu, idle: none \(nothing in it\)$"):
            documents.from_json(Experiments, {"format": {"kind": "experiments", "version": 1},
                                              "name": "x", **empty})  # fmt: skip
    one = {"format": {"kind": "experiments", "version": 1}, "name": "x", "idle": {"a": {"rate": 1}}}
    assert documents.from_json(Experiments, one).idle == {"a": Step(rate=1.0)}
    # Deeper in, an empty dict is a figure like another: the second step had no error.
    assert documents.from_json(Sample, documents.to_json(SAMPLE)).steps[1].errors == {}


# A file that is not JSON, or not there, is refused with its name; the refusal is bad usage.
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"empty\.json is empty$"),
        (b" \n", r"empty\.json is empty$"),
        (b'{"format": ', r"empty\.json is not JSON, or is cut short: Expecting value"),
        (b"\xff\xfe{}", r"empty\.json is not JSON: 'utf-8' codec can't decode"),
        (b"[" * 100_000, r"empty\.json is not a figures file: JSON nested too deep"),
        (b"[]", r"empty\.json: not the JSON of `sample --json`: not an object"),
    ],
    ids=["empty", "blank", "cut-short", "not-utf-8", "too-deep", "a-list"],
)
def test_unreadable_files(tmp_path: Path, content: bytes, message: str) -> None:
    broken = tmp_path / "empty.json"
    broken.write_bytes(content)
    with pytest.raises(DocumentError, match=message):
        documents.read(broken, Sample)


# A device is never read (/dev/zero has no end, a terminal waits), nor a file past any
# figures file's size; a pipe is, to its end (a shell's <(...)).
def test_devices_pipes_and_huge_files(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"^/dev/zero is not a file$"):
        documents.read("/dev/zero", Sample)
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:
        file.truncate(documents.MOST_BYTES + 1)  # sparse: nothing written to the disk
    with pytest.raises(DocumentError, match=r"huge\.json is over 64 MB: not a figures file$"):
        documents.read(huge, Sample)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    writer = threading.Thread(target=pipe.write_text, args=(json.dumps(documents.to_json(SAMPLE)),))
    writer.start()
    try:
        assert documents.read(pipe, Sample) == SAMPLE
    finally:
        writer.join()


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"cannot read .*missing\.json: No such file"):
        documents.read(tmp_path / "missing.json", Sample)
    with pytest.raises(DocumentError, match=r"cannot read .*: Is a directory"):
        documents.read(tmp_path, Sample)
    assert issubclass(DocumentError, UsageError)
