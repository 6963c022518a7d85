"""The charts' shared look, and a bench's charts (fan-out wall time, memory per task).

Every chart of the project draws with what this module gives, so a model has one
colour across the charts and the report's pages, and a configuration one line style:

* ``MODEL_COLOURS``: a model's colour (Okabe-Ito, safe for colour-blind readers):
  asyncio blue, gevent green, threads orange, as the pages had them. ``colour(label)``
  for any label the project uses: a model (``"asyncio"``), a variant of one (``"asyncio+uvloop"``,
  ``"asyncio+uvicorn"``: shades of asyncio's blue, distinct from each other) or a
  deployment (``"asyncio+uvloop tuned"``, ``"gevent bare"``, ``"threads, defaults"``:
  coloured by its model part). Anything else is grey.
* ``line_style(config)``: ``"tuned"`` (and hurts' ``"raised"``) solid, ``"defaults"``
  dashed, ``"bare"`` dotted, anything else dash-dot. ``style(label)`` gives both, as
  keyword arguments for ``plot`` or ``errorbar``.
* ``plain_ticks(axes)``: tick labels as a reader writes numbers ("0.5", "400",
  "2k"), never a power of ten, on log and linear axes alike; ``plain(value)`` the same
  as a string, for bar and point labels.
* Marks, each with its one legend entry per axes: ``mark_untrusted`` (hollow
  red-edged rings, "untrusted"), ``mark_saturated`` (black crosses, "saturated"),
  ``mark_knee`` (a diamond and its label); ``legend_once`` for a mark of your own.
  ``hline`` and ``vline`` draw a grey reference line (D, 2 x D, the 100 ms budget)
  with its label written on it (``hline(..., where="outside")``: beyond the axes).
* ``new_figure``, ``save`` and ``legend``: a figure without pyplot's global state,
  written without a date (the same bytes for the same figures), and a legend of a
  colour per model, a line style per configuration, then the marks.
* ``css()``: the report's CSS for the same palette (``--asyncio`` and the others, a
  swatch before each model's name), so a page never writes a colour twice;
  ``mark_models(html)`` puts the swatch before every model's name that opens a table
  cell or a heading (the report's ``models`` filter).

Nothing here imports matplotlib at import time: the helpers take the ``Axes``
they draw on, so only a command that draws pays for matplotlib.

``write_charts(folder, document)`` writes a bench's ``fanout.png`` and
``memory.png`` (the README's); ``suffix="svg"`` writes them as SVG, which the
report shows.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from markupsafe import Markup

from shared.measure.bench.figures import BenchDocument
from shared.tables import Spread, number

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

#: A model's colour, the same in every chart and page (Okabe-Ito's blue, green, orange).
MODEL_COLOURS: dict[str, str] = {
    "asyncio": "#0072B2",
    "gevent": "#009E73",
    "threads": "#E69F00",
}

#: A model's variants: shades of the model's colour, lighter and darker, distinct.
VARIANT_COLOURS: dict[str, str] = {
    "asyncio+uvloop": "#56B4E9",
    "asyncio+uvicorn": "#003A5C",
}

#: What is no model's: a reference line, a label the palette does not know.
GREY = "#777777"
#: The edge of an untrusted point's ring (Okabe-Ito's vermillion: no model's colour).
UNTRUSTED = "#D55E00"
#: The cross on a saturated point.
SATURATED = "#000000"

LineStyle = Literal["-", "--", ":", "-."]

#: A configuration's line style; ``"raised"`` (hurts' raised limits) is a tuned one.
LINE_STYLES: dict[str, LineStyle] = {"tuned": "-", "raised": "-", "defaults": "--", "bare": ":"}
#: The line style of a configuration ``LINE_STYLES`` does not know.
OTHER_LINE_STYLE: LineStyle = "-."


def _parts(label: str) -> tuple[str, str]:
    """A label's model part and configuration part: "asyncio+uvloop tuned" is both."""
    words = [word for word in re.split(r"[\s,]+", label.strip()) if word]
    return (words[0], " ".join(words[1:])) if words else ("", "")


def colour(name: str) -> str:
    """The colour of a model, a variant of one, or a deployment ("gevent bare").

    A variant the palette does not name ("asyncio+other") takes its model's colour.
    """
    model, _ = _parts(name)
    if model in VARIANT_COLOURS:
        return VARIANT_COLOURS[model]
    return MODEL_COLOURS.get(model.split("+")[0], GREY)


def line_style(config: str) -> LineStyle:
    """A configuration's line style: tuned solid, defaults dashed, bare dotted."""
    return LINE_STYLES.get(config.strip(), OTHER_LINE_STYLE)


def style(label: str, config: str | None = None) -> dict[str, Any]:
    """``color``, ``linestyle`` and ``label`` for a line of ``label``.

    The configuration is ``config`` if given, else the label's words after the model
    ("asyncio tuned"); a label with none draws solid.
    """
    _, named = _parts(label)
    chosen = named if config is None else config
    return {
        "color": colour(label),
        "linestyle": line_style(chosen) if chosen else "-",
        "label": label,
    }


def css_class(name: str) -> str:
    """The report's CSS class for a model's name: "model-asyncio-uvloop"."""
    model, _ = _parts(name)
    return "model-" + re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")


def css() -> str:
    """The report's CSS for the palette: a variable per model (``--asyncio``, for the
    rules of ``style.css``), and the swatch before each name ``mark_models`` wraps.

    The swatch carries the colour rather than the name's letters: orange or sky-blue
    letters would be hard to read on a light page, a swatch of them is not.
    """
    palette = MODEL_COLOURS | VARIANT_COLOURS
    names = "\n".join(f"  --{css_class(n)[6:]}: {hex_};" for n, hex_ in palette.items())
    swatches = "\n".join(f".{css_class(n)} {{ --model: {hex_}; }}" for n, hex_ in palette.items())
    return (
        "/* The models' colours: shared.present.charts.MODEL_COLOURS, as in the charts. */\n"
        f":root {{\n{names}\n}}\n{swatches}\n"
        ".model-name { white-space: nowrap; }\n"
        '.model-name::before { content: ""; display: inline-block; width: 0.75em; '
        "height: 0.75em; margin-right: 0.3em; border-radius: 50%; "
        "background: var(--model, transparent); box-shadow: 0 0 0 1px var(--line); }\n"
    )


#: A model's name (or a variant's) at the start of a table cell or heading.
CELL_MODEL = re.compile(r"(<(?:td|th|h[1-6])\b[^>]*>)((?:asyncio|gevent|threads)(?:\+[\w-]+)?)\b")


def mark_models(markup: str) -> Markup:
    """HTML (a table of ``shared.tables.html``, a heading) with each cell or heading that
    opens with a model's name showing it with its colour's swatch (``css``)."""

    def wrap(found: re.Match[str]) -> str:
        name = found.group(2)
        classes = " ".join(dict.fromkeys((css_class(name.split("+")[0]), css_class(name))))
        return f'{found.group(1)}<span class="model-name {classes}">{name}</span>'

    return Markup(CELL_MODEL.sub(wrap, str(markup)))  # only known names added: still safe


def plain(value: float) -> str:
    """A tick's number as a reader writes it: 0.05, 0.5, 400, 2k, 1.5k, 20k, 3M."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:g}M"
    if size >= 1000:
        return f"{value / 1e3:g}k"
    return f"{value:.4g}" if size >= 1e-3 or size == 0 else f"{value:.0e}"


def plain_ticks(axes: Axes, which: str = "both") -> None:
    """Plain tick labels (``plain``) on ``axes``' x, y or both axes, log or linear.

    On a log axis spanning under three decades the ticks go 1, 2, 5 per decade
    (so a short axis still has labels), and its minor ticks stay unlabelled.
    Call it after the axis' scale and limits are set.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    chosen: list[tuple[Axis, tuple[float, float]]] = []
    if which in ("x", "both"):
        chosen.append((axes.xaxis, axes.get_xlim()))
    if which in ("y", "both"):
        chosen.append((axes.yaxis, axes.get_ylim()))
    for axis, (low, high) in chosen:
        if axis.get_scale() == "log":
            low = max(min(low, high), 1e-300)
            decades = abs(math.log10(max(low, high) / low)) if low > 0 else 99
            subs = (1.0, 2.0, 5.0) if decades < 3 else (1.0,)
            axis.set_major_locator(LogLocator(subs=subs))
            axis.set_minor_formatter(NullFormatter())
        axis.set_major_formatter(FuncFormatter(lambda value, _: plain(value)))


def legend_once(axes: Axes, label: str) -> str | None:
    """``label`` the first time it marks ``axes``, None after: one legend entry."""
    _, labels = axes.get_legend_handles_labels()
    return None if label in labels else label


def mark_untrusted(
    axes: Axes, xs: Sequence[float], ys: Sequence[float], label: str = "untrusted"
) -> None:
    """Hollow red-edged rings around points whose figure is not to be trusted."""
    if not xs:
        return
    axes.scatter(
        xs,
        ys,
        s=150,
        facecolors="none",
        edgecolors=UNTRUSTED,
        linewidths=1.6,
        zorder=5,
        label=legend_once(axes, label),
    )


def mark_saturated(
    axes: Axes, xs: Sequence[float], ys: Sequence[float], label: str = "saturated"
) -> None:
    """Black crosses on points where the service fell behind what it was offered."""
    if not xs:
        return
    axes.scatter(
        xs,
        ys,
        s=70,
        marker="x",
        color=SATURATED,
        linewidths=1.4,
        zorder=6,
        label=legend_once(axes, label),
    )


def mark_knee(axes: Axes, x: float, y: float, label: str, colour_of: str = "") -> None:
    """A diamond on a knee (or any one point to point out), its label beside it."""
    tint = colour(colour_of) if colour_of else GREY
    axes.scatter(
        [x], [y], s=90, marker="D", facecolors="white", edgecolors=tint, linewidths=1.6, zorder=6
    )
    axes.annotate(
        label, (x, y), xytext=(6, 6), textcoords="offset points", fontsize="small", color=tint
    )


def hline(axes: Axes, y: float, label: str, *, where: str = "right", below: bool = False) -> None:
    """A grey dotted reference line at ``y``, its label written on it at the ``"left"`` or
    ``"right"`` end (above the line, or ``below`` it), or ``"outside"`` the axes on the
    right, where bars or dense lines would hide it."""
    axes.axhline(y, color=GREY, linewidth=1, linestyle=":", zorder=1)
    at = {"left": (0.01, "left"), "right": (0.99, "right"), "outside": (1.01, "left")}
    x, align = at[where]
    lift = 0 if where == "outside" else (-2 if below else 2)
    axes.annotate(
        label,
        (x, y),
        xycoords=("axes fraction", "data"),
        xytext=(0, lift),
        textcoords="offset points",
        ha=align,
        va="center" if where == "outside" else ("top" if below else "bottom"),
        fontsize="small",
        color=GREY,
    )


def vline(axes: Axes, x: float, label: str) -> None:
    """A grey dotted reference line at ``x``, its label written up along it."""
    axes.axvline(x, color=GREY, linewidth=1, linestyle=":", zorder=1)
    axes.annotate(
        label,
        (x, 0.98),
        xycoords=("data", "axes fraction"),
        rotation=90,
        ha="right",
        va="top",
        fontsize="small",
        color=GREY,
    )


def no_figure(axes: Axes, words: str) -> None:
    """A panel with nothing to draw says so in its place: a file whose figures are all
    missing (every request failed) is legitimate, and an empty log axis cannot be drawn."""
    axes.set_axis_off()
    axes.text(0.5, 0.5, words, ha="center", va="center", transform=axes.transAxes,
              color=GREY, fontsize="small")  # fmt: skip


def new_figure(width: float, height: float, panels: int = 1) -> tuple[Figure, list[Axes]]:
    """A figure of ``panels`` side by side, laid out to fit its labels; no pyplot state."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    drawn = figure.subplots(1, panels, squeeze=False)
    return figure, list(drawn[0])


def save(figure: Figure, path: Path) -> Path:
    """``figure`` written to ``path`` (PNG or SVG by its suffix), the same bytes each time
    for the same figures: no date or version in the file, an SVG's ids from a fixed salt."""
    import matplotlib

    metadata = {"Date": None} if path.suffix == ".svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "concurrency-compare"}):
        figure.savefig(path, dpi=110, metadata=metadata)
    return path


def legend(
    target: Axes | Figure,
    models: Sequence[str] = (),
    configs: Sequence[str] = (),
    marks_from: Sequence[Axes] = (),
    **options: Any,
) -> None:
    """A legend read at a glance: a colour per model, a line style per configuration,
    then the marks and lines labelled on ``marks_from`` (each once)."""
    from matplotlib.lines import Line2D

    handles: list[Any] = [Line2D([], [], color=colour(m), linewidth=2.5) for m in models]
    labels = list(models)
    for config in configs:
        handles.append(Line2D([], [], color="#333333", linestyle=line_style(config)))
        labels.append(config)
    for axes in marks_from:
        for handle, label in zip(*axes.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    options.setdefault("fontsize", "small")
    target.legend(handles, labels, **options)


# -- the bench's charts --------------------------------------------------------------


#: What each chart shows, for an image's alternative text.
CHARTS = {
    "fanout": "Fan-out wall time against N, per model, tuned and with the defaults",
    "memory": "Resident and virtual memory per parked task, per model",
}


def write_charts(folder: str | Path, document: BenchDocument, suffix: str = "png") -> list[Path]:
    """The charts of a bench's document that it has figures for, written into ``folder``."""
    drawn = figures(document)
    if not drawn:
        return []
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    return [save(figure, out / f"{name}.{suffix}") for name, figure in drawn.items()]


def figures(document: BenchDocument) -> dict[str, Figure]:
    """The charts the document has figures for, by name (``CHARTS``), not yet written."""
    draws = {"fanout": fanout_figure, "memory": memory_figure}
    return {name: draw(document) for name, draw in draws.items() if document.results.get(name)}


def fanout_figure(document: BenchDocument) -> Figure:
    """Wall time against N: a line per model and configuration, D and the deadlines."""
    plan = document.plan
    figure, (axes,) = new_figure(9, 5)
    drawn, stopped = [], set()
    for model in document.models:
        for variant in ("tuned", "defaults"):
            results = [
                r
                for r in document.of("fanout", variant=variant)
                if r.model == model and r.figure("wall_s")
            ]
            if not results:
                continue
            walls = [r.figure("wall_s") or Spread(0, 0, 0) for r in results]
            xs, ys = [r.size for r in results], [w.median for w in walls]
            spans = [[w.median - w.low for w in walls], [w.high - w.median for w in walls]]
            axes.errorbar(
                xs,
                ys,
                yerr=spans,
                marker="o",
                markersize=4,
                capsize=3,
                gid=f"{model} {variant}",
                **style(model, variant),
            )
            drawn.append(model)
            ends = [
                (x, y) for x, y, r in zip(xs, ys, results, strict=True) if r.figure("cancelled")
            ]
            if ends:
                stopped.add(variant)
                axes.scatter(
                    [x for x, _ in ends],
                    [y for _, y in ends],
                    s=170,
                    zorder=5,
                    facecolors="none",
                    edgecolors="#000000",
                    linewidths=1.2,
                    label=legend_once(axes, "stopped at its deadline"),
                )
    if not drawn:
        axes.set_title(f"Fan-out: N GETs, each answered after D = {plan.delay:g} s")
        no_figure(axes, "No wall time: no fan-out run gave a figure.")
        return figure
    hline(axes, plan.delay, f"D = {plan.delay:g} s: every request at once", below=True)
    if "defaults" in stopped:
        hline(
            axes,
            plan.defaults_deadline,
            f"the defaults' deadline, {plan.defaults_deadline:g} s",
            where="left",
        )
    if "tuned" in stopped:
        hline(axes, plan.deadline, f"the tuned deadline, {plan.deadline:g} s", where="left")
    axes.set(
        xscale="log",
        yscale="log",
        xlabel="N, requests at once",
        ylabel="wall time, s (median, min-max)",
        title=f"Fan-out: N GETs, each answered after D = {plan.delay:g} s",
    )
    plain_ticks(axes)
    axes.grid(True, which="major", alpha=0.3)
    legend(
        figure, list(dict.fromkeys(drawn)), ["tuned", "defaults"], [axes], loc="outside right upper"
    )
    return figure


def memory_figure(document: BenchDocument) -> Figure:
    """KiB per parked task, resident and virtual: a bar per model at each count."""
    models, results = document.models, document.results["memory"]
    sizes = sorted({r.size for r in results})
    width = 0.8 / max(1, len(models))
    figure, panels = new_figure(11, 4.8, panels=2)
    metrics = (
        ("resident_kib_per_task", "resident (RSS)"),
        ("virtual_kib_per_task", "virtual (VMS)"),
    )
    for axes, (name, label) in zip(panels, metrics, strict=True):
        shown = [r.figure(name) for r in results]
        if not any(summary is not None and summary.median > 0 for summary in shown):
            axes.set_title(f"{label} memory per parked task")
            no_figure(axes, "No figure: no run gave one.")
            continue
        for index, model in enumerate(models):
            by_size = {r.size: r for r in results if r.model == model}
            for position, tasks in enumerate(sizes):
                result, x = by_size.get(tasks), position + index * width
                summary = result.figure(name) if result else None
                if summary is not None and summary.median > 0:
                    bars = axes.bar(
                        [x],
                        [summary.median],
                        width=width,
                        color=colour(model),
                        gid=f"{model} {tasks}",
                    )
                    axes.bar_label(bars, [number(summary.median)], fontsize="x-small")
                elif result is not None and result.skipped:
                    axes.annotate(
                        "not run:\ncapped",
                        (x, 0),
                        xycoords=("data", "axes fraction"),
                        xytext=(0, 4),
                        textcoords="offset points",
                        ha="center",
                        fontsize="x-small",
                        color=colour(model),
                    )
        middle = width * (len(models) - 1) / 2
        axes.set_xticks([p + middle for p in range(len(sizes))], [f"{n:,}" for n in sizes])
        axes.set_xlim(middle - 0.5, len(sizes) - 0.5 + middle)  # each group whole, notes too
        axes.set(
            yscale="log",
            xlabel="tasks parked at once",
            ylabel="KiB per task (median)",
            title=f"{label} memory per parked task",
        )
        axes.set_ylim(0.5, axes.get_ylim()[1] * 3)  # room above the bars for their labels
        plain_ticks(axes, "y")
        axes.grid(True, axis="y", which="major", alpha=0.3)
    legend(figure, models, loc="outside lower center", ncols=len(models))
    return figure
