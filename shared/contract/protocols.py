"""What an impl package provides, and what its interpreter reports back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from shared.contract.outcomes import Outcome
from shared.contract.specs import JsonFields, Spec
from shared.contract.transcripts import Transcript

# -- what a model provides, and what its interpreter reports -------------------

S_contra = TypeVar("S_contra", bound=Spec, contravariant=True)
O_co = TypeVar("O_co", bound=Outcome, covariant=True)


class ScenarioModule(Protocol[S_contra, O_co]):
    """What ``<model>_impl.<scenario>`` provides: the scenario, run in that model."""

    def run(self, spec: S_contra, out: Transcript) -> O_co: ...


class Runtime(Protocol):
    """What ``<model>_impl.runtime`` provides to the host around every scenario."""

    def prepare(self) -> None:
        """Set the model up before the scenario runs (asyncio records its tasks)."""

    def pending_work(self) -> list[str]:
        """Work still alive when the scenario returned, in the model's own terms."""
        ...


@dataclass
class HostReport(JsonFields):
    """What a model's interpreter reports to the runner (``--result FILE``).

    Written by ``shared.harness.host``, read by ``shared.harness.runner``; see
    ``shared.harness.host`` for what the diagnostics mean.
    """

    model: str
    spec: dict[str, Any]
    outcome: dict[str, Any] | None = None  # the scenario's Outcome as JSON; None if it failed
    error: str = ""  # the scenario's failure, in one line
    warnings: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    sockets: int = 0
    lines: list[str] = field(default_factory=list)  # the transcript
    times: list[float] = field(default_factory=list)  # when each line was said
    stderr: dict[str, str] = field(default_factory=dict)  # phase -> text
    stderr_began: dict[str, float] = field(default_factory=dict)  # phase -> second
    reported_at: float = 0.0  # time.time() when the report was written
