"""How every gilbench plot looks: colours by strategy family and by GIL trait, legends
outside the data, tick labels that never overlap, and one way to save a figure.

Colours follow meaning, never names: a strategy's colour family comes from its role
(:func:`gilbench.roles.role_of`), a bar's colour from the GIL trait the results file
records for its flavour.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gilbench import roles

if TYPE_CHECKING:
    from gilbench.analysis import Traits

#: The most entries one legend may list: a reader matches up to about eight styles.
MAX_LEGEND_ENTRIES = 8
#: Resolution of every report plot (pixels per inch).
DPI = 110

#: A colour family (a matplotlib colour map) per role: shades of one hue tell the
#: members of a family apart, the hue tells the families apart.
ROLE_COLOURMAPS = {roles.THREAD_POOL: "Blues", roles.PROCESS_POOL: "Oranges",
                   roles.SHIPPING: "Purples", roles.PARALLEL_INSIDE: "Greens",
                   roles.INTERPRETERS: "RdPu", roles.SERIAL: "Greys", roles.OTHER: "Greys"}
#: What each role is, in the words a legend uses.
ROLE_WORDS = {roles.THREAD_POOL: "thread pool", roles.PROCESS_POOL: "process pool",
              roles.SHIPPING: "processes, inputs copied", roles.PARALLEL_INSIDE:
              "parallel inside the call", roles.INTERPRETERS: "interpreters",
              roles.SERIAL: "serial", roles.OTHER: "other"}

#: A run that recorded it ran with no GIL at all (a free-threaded build, GIL off): what
#: its flavour's code does with a GIL does not apply.
NO_GIL = "no GIL"
#: The colour of each GIL trait a flavour may record (None: not recorded): red holds it,
#: amber releases it only partly (for some inputs, or part of the work), green releases it.
GIL_COLOURS = {"holds": "#c62828", "partial": "#f0a202", "releases": "#2e7d32",
               NO_GIL: "#26a69a", None: "#9e9e9e"}
GIL_WORDS = {"holds": "holds the GIL", "partial": "releases the GIL partly",
             "releases": "releases the GIL", NO_GIL: "ran with no GIL",
             None: "GIL trait not recorded"}


def gil_colour(trait: str | None) -> str:
    """The colour of a GIL trait (``holds``, ``partial``, ``releases``); grey otherwise."""
    return GIL_COLOURS.get(trait, GIL_COLOURS[None])


def gil_words(trait: str | None) -> str:
    """What a GIL trait means, for a legend."""
    return GIL_WORDS.get(trait, GIL_WORDS[None])


def role_shades(role: str, count: int) -> list[tuple[float, float, float, float]]:
    """``count`` colours of ``role``'s colour family, darkest first (never the pale end,
    which vanishes on white)."""
    from matplotlib import colormaps

    cmap = colormaps[ROLE_COLOURMAPS.get(role, "Greys")]
    if count <= 1:
        return [cmap(0.8)]
    return [cmap(0.95 - 0.5 * i / (count - 1)) for i in range(count)]


def role_colour(role: str) -> tuple[float, float, float, float]:
    """The one colour of ``role``'s family (its darker middle shade)."""
    return role_shades(role, 1)[0]


#: Process pools' markers by how partials come back, then by how chunks travel.
RETURNS_MARKERS = {"shared": "D", "proxy": "P"}
IPC_MARKERS = {"pipe": "v", "proxy": "P"}


def strategy_style(traits: Traits, strategy: str) -> tuple[str, str]:
    """(line style, marker) by role: threads solid, processes dashed (squares over queues,
    triangles over pipes, diamonds where partials go into shared memory, plus signs through
    proxies), self-parallel dotted, input-shipping dash-dot; anything else dash-dot with
    diamonds."""
    role = traits.role(strategy)
    if role == roles.PARALLEL_INSIDE:
        return ":", "^"
    if role == roles.SHIPPING:
        return "-.", "x"
    if role == roles.THREAD_POOL:
        return "-", "o"
    if role == roles.PROCESS_POOL:
        marker = (RETURNS_MARKERS.get(traits.value(strategy, "returns"))
                  or IPC_MARKERS.get(traits.value(strategy, "ipc")) or "s")
        return "--", marker
    return "-.", "d"



def check_legend_size(count: int) -> None:
    """Refuse a legend a reader cannot match to lines."""
    if count > MAX_LEGEND_ENTRIES:
        raise ValueError(f"a legend lists at most {MAX_LEGEND_ENTRIES} entries. "
                         f"Got {count!r} instead.")


def legend_beside(ax: Any, handles: Sequence[Any] | None = None,
                  labels: Sequence[str] | None = None, *, title: str | None = None,
                  fontsize: float = 7, make_room: bool = False, **kwargs: Any) -> Any:
    """A legend to the right of ``ax``, outside its data; ``make_room`` widens the figure
    by the legend's width (every axes keeps its size), else the layout leaves room."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    check_legend_size(len(handles))
    legend = ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                       borderaxespad=0.0, fontsize=fontsize, title=title,
                       title_fontsize=fontsize, alignment="left", **kwargs)
    if make_room:
        widen_right(ax.figure, extent_in(legend)[0] + 0.3)
    return legend


def make_room_beside(fig: Any) -> None:
    """Widen ``fig`` by its widest legend (placed with :func:`legend_beside`), keeping
    every axes where it is: stacked panels with a legend each share the room."""
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    if legends:
        widen_right(fig, max(extent_in(leg)[0] for leg in legends) + 0.3)


def extent_in(artist: Any) -> tuple[float, float]:
    """(width, height) in inches an artist (a legend, a text) takes when drawn."""
    fig = artist.figure
    box = artist.get_window_extent(fig.canvas.get_renderer())
    return box.width / fig.dpi, box.height / fig.dpi


def widen_right(fig: Any, inches: float) -> None:
    """Add ``inches`` to the figure's right side, keeping every axes where it is."""
    width, height = fig.get_size_inches()
    boxes = [(ax, ax.get_position().bounds) for ax in fig.axes]
    fig.set_size_inches(width + inches, height)
    for ax, (x0, y0, w, h) in boxes:
        ax.set_position([x0 * width / (width + inches), y0, w * width / (width + inches), h])


def legend_below(ax: Any, handles: Sequence[Any] | None = None,
                 labels: Sequence[str] | None = None, *, below_pt: float | None = None,
                 fontsize: float = 7, ncol: int | None = None, **kwargs: Any) -> Any:
    """A legend under ``ax``'s tick labels and x label (or ``below_pt`` points under the
    axes), in one row unless ``ncol`` says otherwise. Set the x label first."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    check_legend_size(len(handles))
    from matplotlib.transforms import ScaledTranslation

    fig = ax.figure
    if below_pt is None:  # measured: tick labels and the x label are as tall as they are
        renderer = fig.canvas.get_renderer()
        under = ax.get_window_extent(renderer).y0 - ax.xaxis.get_tightbbox(renderer).y0
        below_pt = under * 72 / fig.dpi + 4
    anchor = ScaledTranslation(0, -below_pt / 72, fig.dpi_scale_trans)
    return ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                     bbox_transform=ax.transAxes + anchor, borderaxespad=0.0,
                     fontsize=fontsize, ncol=ncol or max(1, len(handles)), **kwargs)


def text_width_in(fig: Any, texts: Sequence[str], fontsize: float) -> float:
    """Width in inches of the widest of ``texts`` at ``fontsize`` points (0 if none):
    what a fixed layout leaves for tick labels or a legend."""
    if not texts:
        return 0.0
    from matplotlib.font_manager import FontProperties

    renderer = fig.canvas.get_renderer()
    font = FontProperties(size=fontsize)
    widest = max(renderer.get_text_width_height_descent(t, font, ismath=False)[0]
                 for t in texts)
    return widest / renderer.points_to_pixels(72)


def seconds_label(value: float) -> str:
    """A tick label for seconds in the unit that keeps it short: 20 µs, 5 ms, 1.5 s."""
    scale, unit = next(((s, u) for s, u in ((1.0, "s"), (1e-3, "ms")) if abs(value) >= s),
                       (1e-6, "µs"))
    return f"{value / scale:.3g} {unit}"


def hide_overlapping_ticklabels(fig: Any, *, gap_px: float = 6.0) -> int:
    """Hide each tick label closer than ``gap_px`` to one already kept on the same axis
    (major labels are kept first); returns how many were hidden.

    Reads only the tick labels' extents (the axis lays its ticks out for them), not a
    draw of the whole figure.
    """
    renderer = fig.canvas.get_renderer()
    hidden = 0
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            axis.get_tightbbox(renderer)  # lays the ticks out where they will be drawn
            kept = []
            for label in [*axis.get_majorticklabels(), *axis.get_minorticklabels()]:
                if not label.get_visible() or not label.get_text():
                    continue
                box = label.get_window_extent(renderer).padded(gap_px / 2)
                if any(box.overlaps(other) for other in kept):
                    label.set_visible(False)
                    hidden += 1
                else:
                    kept.append(box)
    return hidden


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend (reports render on servers and CI)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: Path, *, dpi: float = DPI) -> Path:
    """Write ``fig`` as a PNG at ``dpi`` with no overlapping tick labels, then close it."""
    fig.set_dpi(dpi)  # lay the ticks out at the resolution they are saved at
    engine = fig.get_layout_engine()
    if engine is not None:  # place the axes first: their size decides the tick spacing
        engine.execute(fig)
    hide_overlapping_ticklabels(fig)
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path


__all__ = ["DPI", "GIL_COLOURS", "GIL_WORDS", "MAX_LEGEND_ENTRIES", "NO_GIL", "ROLE_COLOURMAPS",
           "ROLE_WORDS", "check_legend_size", "extent_in", "gil_colour", "gil_words",
           "hide_overlapping_ticklabels", "legend_below", "legend_beside", "make_room_beside",
           "pyplot", "role_colour", "role_shades", "save_figure", "seconds_label",
           "strategy_style", "text_width_in", "widen_right"]
