"""shared.documents: a figures file is a typed tree that reads back as it was written,
and a file of another kind, version or shape is refused in one line that names the part."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest

from shared import documents
from shared.documents import DocumentError, Format


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


# A file that is not JSON, or not there, is refused with its name; the refusal is bad usage.
def test_unreadable_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": ', encoding="utf-8")
    with pytest.raises(DocumentError, match=r"broken\.json is not JSON"):
        documents.read(broken, Sample)
    with pytest.raises(DocumentError, match=r"cannot read .*missing\.json"):
        documents.read(tmp_path / "missing.json", Sample)
    assert issubclass(DocumentError, documents.UsageError)
