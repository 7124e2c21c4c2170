"""The report's ranking of the components: per kernel, every thread and every process
strategy at the same flavour and worker count, in places that the intervals of their
medians separate (read from the ``strategy-overhead`` findings)."""

from __future__ import annotations

from gilbench.analysis import Finding
from gilbench.analysis.overhead import STRATEGY_OVERHEAD
from gilbench.report.markdown import ReportContext, fmt_time, register_section

#: This section's name (its place: gilbench.report.SECTION_ORDER).
SECTION = "components"


def ranking_rows(finding: Finding, display) -> list[str]:
    """The table rows of one ranking: place, component (its id), median and interval,
    and how much slower than the fastest."""
    places = sorted((fig.value, fig.name[len("tier_"):]) for fig in finding.figures
                    if fig.name.startswith("tier_"))
    fastest = finding.figure(f"median_{finding.figure('fastest')}")
    rows, previous = [], None
    for place, strategy in sorted(places, key=lambda p: (p[0], finding.figure(
            f"median_{p[1]}"))):
        median = finding.figure(f"median_{strategy}")
        low, high = (finding.figure(f"median_{side}_{strategy}") for side in ("low", "high"))
        shown = "" if place == previous else str(place)
        previous = place
        rows.append(f"| {shown} | {display(strategy)} (`{strategy}`) | {fmt_time(median)} "
                    f"({fmt_time(low)} to {fmt_time(high)}) | "
                    f"{'-' if median == fastest else f'+{median / fastest - 1:.0%}'} |")
    return rows


def components_section(ctx: ReportContext) -> list[str]:
    """Every kernel's rankings (none when no family had two strategies side by side)."""
    found = [f for f in ctx.analysis.findings if f.kind == STRATEGY_OVERHEAD]
    if not found:
        return []
    views = {v.kernel: v for v in ctx.analysis.kernels}
    out = ["## Components ranked", "",
           "Each way of running threads or processes on the same work, at the same worker "
           "count; components share a place where the intervals of their medians overlap "
           "the place's fastest: a place is claimed only where the intervals separate.", ""]
    for f in found:
        out += [f"**{f.kernel}**: {f.sentence}", "",
                "| place | component | median (interval) | against the fastest |",
                "|---|---|---|---|",
                *ranking_rows(f, views[f.kernel].traits.display), ""]
    return out


register_section(SECTION, components_section)
