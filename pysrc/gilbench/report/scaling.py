"""One kernel's scaling figure: speedup against workers by flavour, every strategy on the
flavour most strategies ran, and the fastest time of each flavour x strategy.

Every legend lists at most eight entries and sits outside the data. In the flavours panel
the colour is the flavour and the line style the role (the legend's title says which
strategy each style is); in the strategies panel each role has its own colour family
(blues for thread pools, oranges for process pools, ...) and the members that do not fit
in the legend are thin lines behind one entry. The bars are coloured by the GIL trait the
results file records for the flavour, or "no GIL" where the run had none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from gilbench import roles
from gilbench.analysis import KernelView, Row
from gilbench.report.plotstyle import (
    MAX_LEGEND_ENTRIES,
    NO_GIL,
    ROLE_WORDS,
    check_legend_size,
    extent_in,
    gil_colour,
    gil_words,
    legend_below,
    legend_beside,
    pyplot,
    role_shades,
    seconds_label,
    strategy_style,
    text_width_in,
)

__all__ = ["curves", "run_trait", "scaling_figure"]

#: Roles in the order their lines and legend entries come.
ROLE_ORDER = (roles.THREAD_POOL, roles.PROCESS_POOL, roles.SHIPPING, roles.INTERPRETERS,
              roles.PARALLEL_INSIDE, roles.OTHER, roles.SERIAL)
#: Roles whose work runs under this interpreter's GIL: the only runs whose measured GIL
#: availability says what the work did with it (a process pool's parent sits idle).
IN_PROCESS = (roles.SERIAL, roles.THREAD_POOL)
STYLE_WORDS = {"-": "solid", "--": "dashed", ":": "dotted", "-.": "dash-dot"}
#: Layout, inches: margins, the smallest line panel, one bar, the gap between panels.
LEFT, RIGHT, TOP, BOTTOM, GAP = 0.7, 1.05, 0.45, 0.6, 0.85
MIN_PANEL_W, MIN_PANEL_H, BAR_H, WIDTH = 3.2, 3.0, 0.2, 14.0
FONT = 7

Curve = dict[int, float]


def curves(view: KernelView) -> dict[tuple[str, str], Curve]:
    """(flavour, strategy) -> {workers: best speedup} of the plain sweep (several sizes,
    chunks or schedules: the best per worker count), from 1 (the baseline, by definition)."""
    out: dict[tuple[str, str], Curve] = {}
    for r in view.main_rows():
        if view.traits.is_baseline(r.strategy) or not r.speedup:
            continue
        curve = out.setdefault((r.flavour, r.strategy), {1: 1.0})
        curve[r.workers] = max(r.speedup, curve.get(r.workers, 0.0))
    return dict(sorted(out.items()))


def run_trait(view: KernelView, row: Row) -> str | None:
    """What a run's code did with the GIL: none where the run had no GIL, else the trait
    the results file records for its flavour."""
    return NO_GIL if row.gil_enabled is False else view.traits.gil(row.flavour)


def _level(curve: Curve, usable: int | None) -> float:
    """A curve's speedup at the most workers within the usable cores (oversubscribed
    counts only where it has no other)."""
    inside = [w for w in curve if w > 1 and (usable is None or w <= usable)]
    return curve[max(inside or curve)]


def _main_flavour(view: KernelView, lines: dict[tuple[str, str], Curve]) -> str:
    """The flavour most strategies ran; GIL-free flavours, then registry order, first."""
    count: dict[str, int] = {}
    for flavour, _ in lines:
        count[flavour] = count.get(flavour, 0) + 1
    order = view.traits.flavour_order(set(count))
    gil_rank = {t: i for i, t in enumerate(roles.NOGIL_TRAITS)}
    return min(order, key=lambda f: (-count[f], gil_rank.get(view.traits.gil(f), 9),
                                     order.index(f)))


def _representatives(view: KernelView, lines: dict[tuple[str, str], Curve]) -> list[str]:
    """Strategies, those that ran the most flavours first (recorded order breaks ties):
    each flavour's line per role in the flavours panel is its first one here."""
    ran: dict[str, int] = {}
    for _, strategy in lines:
        ran[strategy] = ran.get(strategy, 0) + 1
    recorded = list(view.traits.strategies)
    return sorted(ran, key=lambda s: (-ran[s], recorded.index(s) if s in recorded
                                      else len(recorded), s))


def _flavour_groups(view: KernelView, flavours: Sequence[str]) -> list[list[str]]:
    """Flavours in panels of at most eight legend entries: all in one where they fit,
    else the GIL-free ones and the rest apart (each cut into eights if need be)."""
    if len(flavours) <= MAX_LEGEND_ENTRIES:
        return [list(flavours)]
    free = [f for f in flavours if view.traits.gil(f) in roles.NOGIL_TRAITS]
    groups = [free, [f for f in flavours if f not in free]]
    return [g[i:i + MAX_LEGEND_ENTRIES] for g in groups if g
            for i in range(0, len(g), MAX_LEGEND_ENTRIES)]


def _workers_axis(ax: Any, workers: Sequence[int], usable: int | None) -> None:
    import matplotlib.ticker

    top = max(workers)
    ax.plot([1, top], [1, top], color="0.75", lw=1, zorder=1)  # the legends say "ideal"
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(set(workers)))
    ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    words = "workers"
    if usable and top > usable:  # more workers than cores: never a measure of scaling
        ax.axvspan(usable * 1.04, top * 1.2, color="0.93", zorder=0, lw=0)
        words += f" (grey: more than the {usable} usable cores)"
    ax.set_xlim(0.9, top * 1.12)
    ax.set_xlabel(words)
    ax.set_ylabel("speedup over the same flavour, serial")
    ax.grid(True, alpha=0.3)


def _flavours_panel(ax: Any, view: KernelView, lines: dict[tuple[str, str], Curve],
                    flavours: Sequence[str], colours: dict[str, Any], title: str) -> None:
    from matplotlib.lines import Line2D

    t = view.traits
    ranked = _representatives(view, lines)
    styles: dict[str, list[str]] = {}
    for flavour in flavours:
        ran = [s for s in ranked if (flavour, s) in lines]
        for role in dict.fromkeys(t.role(s) for s in ran):
            strategy = next(s for s in ran if t.role(s) == role)
            curve = lines[(flavour, strategy)]
            ls, marker = strategy_style(t, strategy)
            xs = sorted(curve)
            ax.plot(xs, [curve[x] for x in xs], ls=ls, marker=marker, ms=5,
                    color=colours[flavour])
            names = styles.setdefault(ls, [])
            if f"{strategy} ({ROLE_WORDS[role]})" not in names:
                names.append(f"{strategy} ({ROLE_WORDS[role]})")
    handles = [Line2D([], [], color=colours[f], marker="s", ls="", ms=7) for f in flavours]
    labels = [f"{f}: {_trait_words(view, f)}" for f in flavours]
    key = "\n".join(f"{STYLE_WORDS.get(ls, ls)}: {', '.join(names)}"
                    for ls, names in styles.items())
    legend_beside(ax, handles, labels, title=f"colour: flavour; grey line: ideal\n{key}")
    ax.set_title(title, fontsize=10)


def _trait_words(view: KernelView, flavour: str) -> str:
    """What the flavour's code does with the GIL, and whether its runs had none."""
    declared = view.traits.gil(flavour)
    runs = [r for r in view.main_rows() if r.flavour == flavour and r.gil_enabled is not None]
    if runs and all(r.gil_enabled is False for r in runs):
        return f"{gil_words(NO_GIL)} (its code {gil_words(declared)})" if declared \
            else gil_words(NO_GIL)
    return gil_words(declared)


def _slots(counts: dict[str, int]) -> dict[str, int]:
    """Legend entries per role, eight in all: one each, the rest shared out to the roles
    with more members, largest first (a role short of entries gathers its remainder)."""
    slots = dict.fromkeys(counts, 1)
    free = MAX_LEGEND_ENTRIES - len(slots)
    while free > 0 and any(slots[r] < counts[r] for r in counts):
        for role in sorted(counts, key=lambda r: -counts[r]):
            if free > 0 and slots[role] < counts[role]:
                slots[role] += 1
                free -= 1
    return slots


def _extremes_first(items: Sequence[str]) -> list[str]:
    """Best, worst, second best, second worst, ...: labelled lines bound the others."""
    out, lo, hi = [], 0, len(items) - 1
    while lo <= hi:
        out.append(items[lo])
        if hi != lo:
            out.append(items[hi])
        lo, hi = lo + 1, hi - 1
    return out


def _strategies_panel(ax: Any, view: KernelView, lines: dict[tuple[str, str], Curve],
                      flavour: str, usable: int | None) -> None:
    t = view.traits
    members: dict[str, list[str]] = {}
    for f, strategy in lines:
        if f == flavour:
            members.setdefault(t.role(strategy), []).append(strategy)
    by_role = {role: sorted(members[role], key=lambda s: -_level(lines[(flavour, s)], usable))
               for role in ROLE_ORDER if role in members}
    slots = _slots({role: len(m) for role, m in by_role.items()})
    for role, ranked in by_role.items():
        gathered = len(ranked) > slots[role]
        named = _extremes_first(ranked)[:slots[role] - gathered]
        rest = [s for s in ranked if s not in named]
        named.sort(key=ranked.index)  # darkest shade: fastest
        shades = role_shades(role, len(named) + gathered)
        for strategy, shade in zip(named, shades, strict=False):
            curve, (ls, marker) = lines[(flavour, strategy)], strategy_style(t, strategy)
            xs = sorted(curve)
            ax.plot(xs, [curve[x] for x in xs], ls=ls, marker=marker, ms=5, lw=1.6,
                    color=shade, label=strategy, zorder=3)
        for i, strategy in enumerate(rest):
            curve, (ls, _) = lines[(flavour, strategy)], strategy_style(t, strategy)
            xs = sorted(curve)
            ax.plot(xs, [curve[x] for x in xs], ls=ls, lw=0.8, color=shades[-1], alpha=0.8,
                    zorder=2, label=(f"{len(rest)} more: {ROLE_WORDS[role]}s" if i == 0
                                     else "_nolegend_"))
    legend_beside(ax, title=f"{flavour}: {_trait_words(view, flavour)}\n"
                            "one colour per family, darkest fastest;\ngrey line: ideal")
    ax.set_title(f"{view.kernel}: every strategy on {flavour}", fontsize=10)


def _bars_panel(ax: Any, view: KernelView) -> list[str]:
    """The fastest run of each flavour x strategy, coloured by its GIL trait; returns the
    bar labels (the layout makes room for them)."""
    import matplotlib.ticker
    from matplotlib.patches import Patch

    best: dict[str, Row] = {}
    for r in view.main_rows():
        key = f"{r.flavour} + {r.strategy}"
        if key not in best or r.median_s < best[key].median_s:
            best[key] = r
    labels = sorted(best, key=lambda k: best[k].median_s, reverse=True)
    traits = [run_trait(view, best[k]) for k in labels]
    # Flavours may run problems of their own size (interpreted Python a smaller one):
    # their bars say so, since their times are not for the same work.
    sizes = Counter(r.size for r in best.values())
    main_size = sizes.most_common(1)[0][0] if sizes else None
    ax.barh(labels, [best[k].median_s for k in labels], height=0.7,
            color=[gil_colour(trait) for trait in traits])
    for i, (k, trait) in enumerate(zip(labels, traits, strict=True)):
        row = best[k]
        note = f" {row.workers}w"
        if row.size != main_size:
            note += f", size {row.size}"
        if (trait == "partial" and row.gil_availability is not None
                and view.traits.role(row.strategy) in IN_PROCESS):
            note += f", GIL free {row.gil_availability:.0%}"  # measured: what partly means
        ax.annotate(note, (row.median_s, i), va="center", fontsize=FONT)
    ax.set_xscale("log")
    times = [best[k].median_s for k in labels]
    if times:  # room on the right for the notes (log axis: a factor, not an offset)
        ax.set_xlim(min(times) / 1.3, max(times) * 3.0)
    as_seconds = matplotlib.ticker.FuncFormatter(lambda v, _: seconds_label(v))
    ax.xaxis.set_major_formatter(as_seconds)
    ax.xaxis.set_minor_formatter(as_seconds)
    ax.tick_params(axis="y", labelsize=FONT)
    ax.tick_params(axis="x", which="both", labelsize=8)
    ax.tick_params(axis="x", which="minor", pad=5.0)  # labels in line with the majors'
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlabel("median time at the best worker count (log); 2w: 2 workers"
                  + (f"; size: where not {main_size}" if len(sizes) > 1 else ""))
    ax.set_title(f"{view.kernel}: fastest time per flavour x strategy", fontsize=10)
    present = list(dict.fromkeys(traits))
    legend_below(ax, [Patch(color=gil_colour(tr)) for tr in present],
                 [gil_words(tr) for tr in present], ncol=2)
    return labels


def scaling_figure(view: KernelView) -> Any:
    """The figure (None where the kernel has no plain-sweep runs): line panels on the left
    (flavours, then every strategy on the main flavour), the fastest times on the right."""
    rows = view.main_rows()
    if not rows:
        return None
    usable = view.machine.get("usable_cores")
    lines = curves(view)
    plt = pyplot()
    fig = plt.figure(figsize=(WIDTH, 6))
    flavours = view.traits.flavour_order({f for f, _ in lines})
    colours = {f: plt.get_cmap("tab10")(i % 10) for i, f in enumerate(flavours)}
    workers = sorted({1, *(r.workers for r in rows)})
    panels = []
    if len(flavours) > 1:
        groups = _flavour_groups(view, flavours)
        for group in groups:
            ax = fig.add_axes((0, 0, 1, 1))
            title = f"{view.kernel}: speedup by flavour"
            if len(groups) > 1:
                title += " (GIL-free)" if view.traits.gil(group[0]) in roles.NOGIL_TRAITS \
                    else " (holding the GIL)"
            _flavours_panel(ax, view, lines, group, colours, title)
            _workers_axis(ax, workers, usable)
            panels.append(ax)
    if lines:
        main = _main_flavour(view, lines)
        own = [s for f, s in lines if f == main]
        if len(flavours) == 1 or len(own) > len({view.traits.role(s) for s in own}):
            ax = fig.add_axes((0, 0, 1, 1))
            _strategies_panel(ax, view, lines, main, usable)
            _workers_axis(ax, workers, usable)
            panels.append(ax)
    bars = fig.add_axes((0, 0, 1, 1))
    labels = _bars_panel(bars, view)
    _lay_out(fig, panels, bars, labels)
    return fig


def _lay_out(fig: Any, panels: Sequence[Any], bars: Any, labels: Sequence[str]) -> None:
    """Place the panels now that their legends and labels can be measured: line panels
    stacked on the left with their legends beside them, the bars on the right."""
    legend_w = max((extent_in(ax.get_legend())[0] for ax in panels), default=0.0)
    for ax in panels:  # the legend must fit beside its panel, whatever else is there
        check_legend_size(len(ax.get_legend().texts))
    label_w = text_width_in(fig, list(labels), FONT) + 0.15
    _, bar_legend_h = extent_in(bars.get_legend())
    bar_bottom = BOTTOM + 0.2 + bar_legend_h
    k = len(panels)
    height = max(4.8, TOP + k * MIN_PANEL_H + max(k - 1, 0) * GAP + BOTTOM,
                 TOP + max(len(labels) * BAR_H, 2.5) + bar_bottom,
                 TOP + max((extent_in(ax.get_legend())[1] for ax in panels), default=0)
                 + BOTTOM)
    fixed = LEFT + (legend_w + 0.5 if k else 0) + label_w + RIGHT
    panel_w = max(MIN_PANEL_W, (WIDTH - fixed) / (2 if k else 1))
    width = fixed + panel_w * (2 if k else 1)
    fig.set_size_inches(width, height)
    if k:
        panel_h = (height - TOP - BOTTOM - (k - 1) * GAP) / k
        for i, ax in enumerate(panels):
            y0 = height - TOP - (i + 1) * panel_h - i * GAP
            ax.set_position((LEFT / width, y0 / height, panel_w / width, panel_h / height))
    x0 = LEFT + (panel_w + legend_w + 0.5 if k else 0) + label_w
    bars.set_position((x0 / width, bar_bottom / height, panel_w / width,
                       (height - TOP - bar_bottom) / height))
