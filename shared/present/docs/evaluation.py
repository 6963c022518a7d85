"""docs/evaluation.md's blocks: the method and the figures of bench, load and hurts."""

from __future__ import annotations

from shared.present import load as load_output
from shared.present.docs import sources


def load_table() -> str:
    """The committed load figures' summary and cross-check."""
    document = sources.load()
    return load_output.markdown(document)


BLOCKS = {"load": load_table}
