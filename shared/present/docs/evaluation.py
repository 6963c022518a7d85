"""docs/evaluation.md's blocks: the figures of bench, load and hurts, each part's in
a module of its own (``bench_figures``, ``load_figures``, ``hurts_figures``)."""

from __future__ import annotations

from shared.present.docs import bench_figures, hurts_figures, load_figures


def load_table() -> str:
    """The committed load figures' summary and cross-check, with no citation: the
    README's block, which cites its files in its own way."""
    return load_figures.table()


BLOCKS = {**bench_figures.BLOCKS, **load_figures.BLOCKS, **hurts_figures.BLOCKS}
