"""Plots a person reads, measured on the figures the report and the comparison draw from the
committed results: legends of at most eight entries that cover no axes, tick labels that
never overlap, comparison figures at most 1600 px tall with distinct rows, and bars
coloured by the GIL trait the results file records."""

from __future__ import annotations

import copy
import itertools
import json
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors  # noqa: E402
import matplotlib.image  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from gilbench import report  # noqa: E402
from gilbench.analysis import analyse  # noqa: E402
from gilbench.axes.calls import BREAKEVEN  # noqa: E402
from gilbench.compare import AlignedRun, Comparison, build_comparison, load_inputs  # noqa: E402
from gilbench.report.compare import render_comparison  # noqa: E402
from gilbench.report.compareplot import MAX_HEIGHT_PX, ratio_figures, row_labels  # noqa: E402
from gilbench.report.plotstyle import (  # noqa: E402
    GIL_COLOURS,
    MAX_LEGEND_ENTRIES,
    NO_GIL,
    check_legend_size,
    hide_overlapping_ticklabels,
    pyplot,
)
from gilbench.report.scaling import scaling_figure  # noqa: E402
from gilbench.results import load_results  # noqa: E402

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results"
SWEEPS = ("2cpu-xeon-standard", "2cpu-xeon-quick", "2cpu-xeon-py313t-gil0")
INTERPRETERS = ("2cpu-xeon-py311", "2cpu-xeon-py313", "2cpu-xeon-py313t-gil0",
                "2cpu-xeon-py313t-gil1")


@contextmanager
def saved_figures():
    """Every figure saved inside the block, as (file name, figure), drawn here (not in
    forked processes) so that the figures can be inspected after they are written."""
    saved: list[tuple[str, Figure]] = []
    original = Figure.savefig

    def record(self, fname, *args, **kwargs):
        original(self, fname, *args, **kwargs)
        saved.append((Path(fname).name, self))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Figure, "savefig", record)
        mp.setattr(report, "_plot_processes", lambda jobs: 1)
        yield saved


_DRAWN: dict[str, list[tuple[str, Figure]]] = {}


def report_figures(sweep: str, tmp_path_factory) -> list[tuple[str, Figure]]:
    """The figures `gilbench report` draws from a committed sweep (drawn once a session)."""
    if sweep not in _DRAWN:
        out = tmp_path_factory.mktemp(sweep)
        with saved_figures() as saved:
            report.draw_plots(analyse(load_results(RESULTS / sweep / "results.json")), out)
        _DRAWN[sweep] = saved
    return _DRAWN[sweep]


def comparison():
    return build_comparison(load_inputs([RESULTS / name for name in INTERPRETERS]))


# -- the checks, on any figure ------------------------------------------------------------
def renderer_of(fig: Figure):
    """The renderer of ``fig`` drawn as saved (a figure pyplot closed gets a canvas back)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
        fig.canvas.draw()
    return fig.canvas.get_renderer()


def legend_sizes(fig: Figure) -> list[int]:
    return [len(ax.get_legend().texts) for ax in fig.axes if ax.get_legend() is not None]


def covered_axes(fig: Figure) -> list[str]:
    """Legends that lie over some axes' data area, or leave the figure."""
    renderer = renderer_of(fig)
    width, height = fig.canvas.get_width_height()
    out = []
    for owner in fig.axes:
        legend = owner.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            if box.overlaps(ax.get_window_extent(renderer)):
                out.append(f"legend of {owner.get_title()!r} over {ax.get_title()!r}")
        if box.x0 < -1 or box.y0 < -1 or box.x1 > width + 1 or box.y1 > height + 1:
            out.append(f"legend of {owner.get_title()!r} leaves the figure")
    return out


def overlapping_ticklabels(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of shown tick labels of one axis whose boxes intersect by at least a pixel."""
    renderer = renderer_of(fig)
    pairs = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = [t for t in [*axis.get_majorticklabels(), *axis.get_minorticklabels()]
                      if t.get_visible() and t.get_text()]
            boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels]
            for (a, p), (b, q) in itertools.combinations(boxes, 2):
                if (min(p.x1, q.x1) - max(p.x0, q.x0) >= 1
                        and min(p.y1, q.y1) - max(p.y0, q.y0) >= 1):
                    pairs.append((a, b))
    return pairs


# -- every figure of a report ------------------------------------------------------------
@pytest.mark.parametrize("sweep", SWEEPS)
def test_every_legend_has_at_most_eight_entries_and_covers_no_axes(sweep, tmp_path_factory):
    figures = report_figures(sweep, tmp_path_factory)
    assert len(figures) >= 8
    for name, fig in figures:
        assert all(n <= MAX_LEGEND_ENTRIES for n in legend_sizes(fig)), (name, legend_sizes(fig))
        assert not covered_axes(fig), (name, covered_axes(fig))


@pytest.mark.parametrize("sweep", SWEEPS)
def test_no_two_tick_labels_of_an_axis_overlap(sweep, tmp_path_factory):
    for name, fig in report_figures(sweep, tmp_path_factory):
        assert not overlapping_ticklabels(fig), (name, overlapping_ticklabels(fig))


def test_the_checks_fail_on_the_plots_they_replace():
    # A crowded legend inside the axes and unthinned log ticks over less than a decade:
    # what hashing-small.png looked like. The checks above must see all three faults.
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3))
    for i in range(12):
        ax.plot([1, 2], [i, i + 1], label=f"line {i}")
    ax.legend(loc="upper left")
    ax.barh(["a", "b"], [0.12, 0.29])
    ax.set_xscale("log")
    fig.canvas.draw()
    assert legend_sizes(fig) == [12] and covered_axes(fig)
    assert overlapping_ticklabels(fig)
    assert hide_overlapping_ticklabels(fig) > 0 and not overlapping_ticklabels(fig)
    plt.close(fig)
    with pytest.raises(ValueError, match="at most 8 entries. Got 9 instead"):
        check_legend_size(9)


# -- the scaling figure: panels, families, GIL-trait colours -----------------------------
def view_of(doc, kernel):
    return next(v for v in analyse(doc).kernels if v.kernel == kernel)


def bar_colours(fig: Figure) -> dict[str, str]:
    """Bar label -> colour (hex) in the panel of fastest times."""
    ax = next(a for a in fig.axes if "fastest time" in a.get_title())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    return {label: matplotlib.colors.to_hex(bar.get_facecolor())
            for label, bar in zip(labels, ax.patches, strict=True)}


def test_bars_take_the_colour_of_the_gil_trait_the_results_file_records():
    doc = load_results(RESULTS / "2cpu-xeon-standard" / "results.json")
    assert doc["settings"]["flavours"]["stdlib"]["gil"] == "partial"
    traits = ("holds", "partial", "releases", NO_GIL)
    assert len({GIL_COLOURS[t] for t in traits}) == len(traits)  # one colour, one trait
    small = bar_colours(scaling_figure(view_of(doc, "hashing-small")))
    assert set(small.values()) == {GIL_COLOURS["partial"]}  # partly, never "releases"
    mandelbrot = bar_colours(scaling_figure(view_of(doc, "mandelbrot")))
    assert mandelbrot["python + threads"] == GIL_COLOURS["holds"]
    assert mandelbrot["cython-gil + processes"] == GIL_COLOURS["holds"]
    assert mandelbrot["cython-nogil + threads"] == GIL_COLOURS["releases"]
    assert mandelbrot["numpy + serial"] == GIL_COLOURS["partial"]
    # The colour follows the file, not what this gilbench declares for the flavour.
    held = copy.deepcopy(doc)
    held["settings"]["flavours"]["stdlib"]["gil"] = "holds"
    assert set(bar_colours(scaling_figure(view_of(held, "hashing-small"))).values()) == \
        {GIL_COLOURS["holds"]}
    pyplot().close("all")


def test_runs_without_a_gil_are_coloured_no_gil():
    doc = load_results(RESULTS / "2cpu-xeon-py313t-gil0" / "results.json")
    colours = bar_colours(scaling_figure(view_of(doc, "mandelbrot")))
    assert colours["python + threads"] == GIL_COLOURS[NO_GIL]
    pyplot().close("all")


def with_more_flavours(doc, kernel: str, count: int):
    """``doc`` with ``count`` copies of each of ``kernel``'s flavours under new names."""
    doc = copy.deepcopy(doc)
    flavours = doc["settings"]["flavours"]
    for name in list(flavours):
        for i in range(count):
            flavours[f"{name}-copy{i}"] = dict(flavours[name])
    doc["runs"] += [{**r, "flavour": f"{r['flavour']}-copy{i}"} for i in range(count)
                    for r in doc["runs"] if r["kernel"] == kernel]
    return doc


def test_many_flavours_go_to_further_panels_of_at_most_eight_entries():
    doc = load_results(RESULTS / "2cpu-xeon-standard" / "results.json")
    fig = scaling_figure(view_of(with_more_flavours(doc, "mandelbrot", 1), "mandelbrot"))
    flavour_panels = [ax for ax in fig.axes if "speedup by flavour" in ax.get_title()]
    assert len(flavour_panels) >= 2  # 16 flavours: GIL-free ones apart from the rest
    assert all(n <= MAX_LEGEND_ENTRIES for n in legend_sizes(fig))
    fig.canvas.draw()
    assert not covered_axes(fig)
    pyplot().close("all")


def test_every_strategy_panel_colours_each_family_in_its_own_hue():
    doc = load_results(RESULTS / "2cpu-xeon-standard" / "results.json")
    fig = scaling_figure(view_of(doc, "hashing-small"))
    ax = next(a for a in fig.axes if "every strategy" in a.get_title())
    view = view_of(doc, "hashing-small")
    hues = {}
    for line in ax.get_lines():
        label = line.get_label()
        if label in view.traits.strategies:
            hue = matplotlib.colors.rgb_to_hsv(matplotlib.colors.to_rgb(line.get_color()))[0]
            hues.setdefault(view.traits.role(label), set()).add(
                "orange" if hue < 0.15 else "blue" if 0.5 <= hue < 0.68
                else "purple" if 0.68 <= hue < 0.85 else f"hue {hue:.2f}")
    assert hues["thread-pool"] == {"blue"} and hues["process-pool"] == {"orange"}
    assert hues["shipping"] == {"purple"}
    assert len(ax.get_legend().texts) == MAX_LEGEND_ENTRIES  # 15 strategies in 8 entries
    pyplot().close("all")


def test_granularity_curves_beyond_eight_entries_go_to_a_second_panel(tmp_path):
    from gilbench.axes.granularity.plot import granularity_figure

    doc = load_results(RESULTS / "2cpu-xeon-standard" / "results.json")
    view = view_of(with_more_flavours(doc, "mandelbrot", 1), "mandelbrot")
    fig = granularity_figure(view, [])
    assert len(fig.axes) == 2 and all(n <= MAX_LEGEND_ENTRIES for n in legend_sizes(fig))
    fig.canvas.draw()
    assert not covered_axes(fig)
    pyplot().close("all")


# -- calls.png ---------------------------------------------------------------------------
def test_calls_plot_names_strategy_and_workers_and_its_breakevens_do_not_overlap(
        tmp_path_factory):
    fig = dict(report_figures("2cpu-xeon-standard", tmp_path_factory))["calls.png"]
    renderer = renderer_of(fig)
    strips = [ax for ax in fig.axes if "break-even" in ax.get_title(loc="left")]
    assert len(strips) == 2
    rows = [t.get_text() for t in strips[0].get_yticklabels()]
    analysis = analyse(load_results(RESULTS / "2cpu-xeon-standard" / "results.json"))
    f = next(f for f in analysis.findings if f.kind == BREAKEVEN and f.kernel == "mandelbrot")
    # Each row names the kernel, the process strategy and the worker count.
    assert f"mandelbrot: {f.figure('process_strategy')}, {f.figure('workers')} workers" in rows
    for strip in strips:
        dots = [line for line in strip.get_lines() if line.get_marker() == "o"]
        boxes = [d.get_window_extent(renderer) for d in dots]
        assert len(boxes) >= 2 and not any(
            a.overlaps(b) for a, b in itertools.combinations(boxes, 2))
        width = fig.canvas.get_width_height()[0]
        for text in strip.texts:  # each break-even's note stays on the figure
            box = text.get_window_extent(renderer)
            assert box.x0 >= 0 and box.x1 <= width, text.get_text()


# -- the comparison ----------------------------------------------------------------------
def test_compare_plots_are_at_most_1600_px_tall_with_distinct_rows(tmp_path):
    with saved_figures() as saved:
        render_comparison(comparison(), tmp_path)
    assert len(saved) == 8
    for name, fig in saved:
        assert matplotlib.image.imread(tmp_path / name).shape[0] <= MAX_HEIGHT_PX, name
        ax = fig.axes[0]
        rows = [t.get_text() for t in ax.get_yticklabels()]
        assert len(rows) == len(set(rows)), name
        lo, hi = ax.get_xlim()
        shown = [x for x, t in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True)
                 if lo <= x <= hi and t.get_visible() and t.get_text()]
        assert any(x > 1 for x in shown) and any(x < 1 for x in shown), (name, shown)
        assert not overlapping_ticklabels(fig), name
        assert not covered_axes(fig), name


def test_a_kernel_with_more_runs_than_fit_gets_several_figures(tmp_path):
    base = comparison()
    runs = [a for a in base.aligned if a.field("kernel") == "mandelbrot" and a.complete]
    many = tuple(AlignedRun(a.key[:8] + ("point", i), a.rows) for i in range(3) for a in runs)
    big = Comparison(base.inputs, many, base.traits, base.warnings)
    figures = ratio_figures(big, "mandelbrot")
    assert len(figures) >= 2
    for fig in figures:
        width, height = fig.get_size_inches() * 110
        assert height <= MAX_HEIGHT_PX
    assert sum(len(f.axes[0].get_yticklabels()) for f in figures) == len(many)
    pyplot().close("all")


def test_row_labels_name_what_tells_runs_apart():
    runs = [a for a in comparison().for_kernel("mandelbrot") if a.complete]
    labels = dict(zip([a.key for a in runs], row_labels(runs), strict=True))
    assert len(set(labels.values())) == len(labels)
    mixed = [label for key, label in labels.items() if key[1] == "cython-mixed"
             and key[2] == "threads"]
    assert "cython-mixed + threads x2 gil-fraction 0.25" in mixed
    assert json.dumps(sorted(labels.values()))  # plain strings
