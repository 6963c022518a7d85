"""A bench's charts, drawn from its document by matplotlib: fan-out wall time, memory per task.

``write_charts(folder, document)`` writes ``fanout.png`` and ``memory.png`` (the
README's); ``suffix="svg"`` writes them as SVG, which the report shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from shared.measure.bench.figures import BenchDocument
from shared.tables import Spread, number

#: What each chart shows, for an image's alternative text.
CHARTS = {
    "fanout": "Fan-out wall time against N, per model, tuned and with the defaults",
    "memory": "Resident and virtual memory per parked task, per model",
}


def write_charts(folder: str | Path, document: BenchDocument, suffix: str = "png") -> list[Path]:
    """The charts of a bench's document that it has figures for, written into ``folder``."""
    drawn = [(name, draw) for name, draw in (("fanout", fanout_chart), ("memory", memory_chart))
             if document.results.get(name)]  # fmt: skip
    if not drawn:
        return []
    import matplotlib  # only now: importing it takes a good part of a second

    matplotlib.use("Agg")  # files only, no display
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    return [draw(out / f"{name}.{suffix}", document) for name, draw in drawn]


def model_colours(models: Sequence[str]) -> dict[str, str]:
    palette = ["tab:blue", "tab:cyan", "tab:green", "tab:orange", "tab:red"]
    return {model: palette[index % len(palette)] for index, model in enumerate(models)}


def fanout_chart(path: Path, document: BenchDocument) -> Path:
    import matplotlib.pyplot as plt

    models, delay = document.models, document.plan.delay
    colours = model_colours(models)
    figure, axes = plt.subplots(figsize=(8, 5), layout="constrained")
    for model in models:
        for variant, style in (("tuned", "-"), ("defaults", "--")):
            results = [
                r
                for r in document.results["fanout"]
                if (r.model, r.variant) == (model, variant) and r.figure("wall_s")
            ]
            if not results:
                continue
            walls = [r.figure("wall_s") or Spread(0, 0, 0) for r in results]
            xs, ys = [r.size for r in results], [s.median for s in walls]
            spans = [[s.median - s.low for s in walls], [s.high - s.median for s in walls]]
            axes.errorbar(
                xs,
                ys,
                yerr=spans,
                linestyle=style,
                marker="o",
                capsize=3,
                color=colours[model],
                label=f"{model}, {variant}",
            )
            stopped = [
                (x, y) for x, y, r in zip(xs, ys, results, strict=True) if r.figure("cancelled")
            ]
            if stopped:
                axes.scatter(
                    [x for x, _ in stopped],
                    [y for _, y in stopped],
                    s=160,
                    facecolors="none",
                    edgecolors=colours[model],
                )
    axes.axhline(delay, color="grey", linewidth=1, linestyle=":")
    axes.annotate(
        f"D = {delay:g} s",
        (1, delay),
        xycoords=("axes fraction", "data"),
        ha="right",
        va="bottom",
        color="grey",
    )
    axes.set(
        xscale="log",
        yscale="log",
        xlabel="N, requests at once",
        ylabel="wall time, s (median, min-max)",
        title=f"Fan-out: N GETs each answered after {delay:g} s (circled: stopped at a deadline)",
    )
    axes.legend(fontsize="small")
    axes.grid(True, which="both", alpha=0.3)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def memory_chart(path: Path, document: BenchDocument) -> Path:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    models = document.models
    results = document.results["memory"]
    colours = model_colours(models)
    sizes = sorted({r.size for r in results})
    width = 0.8 / max(1, len(models))
    figure, panels = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
    metrics = (
        ("resident_kib_per_task", "resident (RSS)"),
        ("virtual_kib_per_task", "virtual (VMS)"),
    )
    for panel, (name, label) in zip(panels, metrics, strict=True):
        for index, model in enumerate(models):
            by_size = {r.size: r for r in results if r.model == model}
            for position, tasks in enumerate(sizes):
                result, x = by_size.get(tasks), position + index * width
                summary = result.figure(name) if result else None
                if summary is not None and summary.median > 0:
                    bars = panel.bar(
                        [x],
                        [summary.median],
                        width=width,
                        color=colours[model],
                        label=model if position == 0 else None,
                    )
                    panel.bar_label(bars, [number(summary.median)], fontsize="x-small")
                elif result is not None and result.skipped:
                    panel.annotate(
                        "not run:\ncapped",
                        (x, 0),
                        xycoords=("data", "axes fraction"),
                        xytext=(0, 4),
                        textcoords="offset points",
                        ha="center",
                        fontsize="x-small",
                        color=colours[model],
                    )
        middle = width * (len(models) - 1) / 2
        panel.set_xticks([p + middle for p in range(len(sizes))], [f"{n:,}" for n in sizes])
        panel.set(
            yscale="log",
            xlabel="tasks parked at once",
            ylabel="KiB per task (median)",
            title=f"{label} memory per parked task",
        )
        panel.set_ylim(0.5, panel.get_ylim()[1] * 3)  # room above the bars for their labels
        panel.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        panel.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,g}"))
        panel.yaxis.set_minor_formatter(NullFormatter())
        panel.grid(True, axis="y", which="major", alpha=0.3)
    handles, labels = panels[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(models), fontsize="small")
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
