"""The ``copy-crossover`` finding: how many bytes shipped per second of compute a process
pool that copies each task's inputs can afford.

Reads the ``payload`` axis's runs. At each point (passes over each chunk) the ratio is
the bytes a task ships divided by the seconds of compute it feeds, measured: the
problem's input bytes over its serial median (both per task, the tasks cancel). Roles by
trait: the strategy that ``ships_inputs``, the process pool over shared memory and the
thread pool, each against the serial baseline at the same point.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gilbench.analysis.crossings import above, below, busy_machine_words, crossing, fmt_bytes
from gilbench.analysis.engine import KernelView, register_finder
from gilbench.analysis.findings import Figure, Finding
from gilbench.analysis.rows import Row
from gilbench.analysis.verdicts import TIE_MARGIN
from gilbench.axes.payload import CROSSOVER, NAME


@dataclass(frozen=True)
class PayloadPoint:
    """One pass count: bytes shipped per second of compute and the role runs there."""

    passes: float
    bytes_per_task: float
    bytes_per_compute_s: float
    serial: Row
    shipping: Row | None
    shared: Row | None
    threads: Row | None


def payload_points(view: KernelView, rows: Sequence[Row]) -> list[PayloadPoint]:
    """The points of one curve (one flavour, worker count and chunking), by ratio."""
    t = view.traits
    by_point: dict[object, list[Row]] = {}
    for r in rows:
        by_point.setdefault(r.axis_value, []).append(r)

    def best(group, role):
        runs = [r for r in group if role(r.strategy) and r.speedup]
        return min(runs, key=lambda r: r.median_s) if runs else None

    points = []
    for value, group in by_point.items():
        serial = next((r for r in group if t.is_baseline(r.strategy)), None)
        input_bytes = serial.get("input_bytes") if serial else None
        if serial is None or not input_bytes:
            continue
        tasks = int(serial.get("tasks") or serial.chunks)
        points.append(PayloadPoint(
            float(value), input_bytes / tasks, input_bytes / serial.median_s, serial,
            best(group, t.ships_inputs), best(group, t.is_process_pool),
            best(group, t.is_thread_pool)))
    return sorted(points, key=lambda p: p.bytes_per_compute_s)


def curves(view: KernelView) -> dict[tuple, list[Row]]:
    """The payload runs grouped by (flavour, pool workers, chunks)."""
    rows = view.axis_rows(NAME)
    t = view.traits
    groups: dict[tuple, list[Row]] = {}
    for flavour in t.flavour_order({r.flavour for r in rows}):
        mine = [r for r in rows if r.flavour == flavour]
        for workers in sorted({r.workers for r in mine if not t.is_baseline(r.strategy)}):
            for chunks in sorted({r.chunks for r in mine}):
                members = [r for r in mine if r.chunks == chunks
                           and (r.workers == workers or t.is_baseline(r.strategy))]
                if any(r.workers == workers for r in members):
                    groups[(flavour, workers, chunks)] = members
    return groups


@register_finder(CROSSOVER,
                 "the bytes shipped per second of compute above which copying inputs erases "
                 "the processes' gain")
def copy_crossover(view: KernelView) -> Iterator[Finding]:
    for (flavour, workers, chunks), rows in curves(view).items():
        points = [p for p in payload_points(view, rows) if p.shipping]
        if len(points) < 2:
            continue
        lo, hi = points[0].bytes_per_compute_s, points[-1].bytes_per_compute_s
        ship = points[0].shipping.strategy
        erased = crossing([(p.bytes_per_compute_s, p.shipping.speedup) for p in points],
                          1.0, below)
        with_shared = [p for p in points if p.shared]
        costs = crossing([(p.bytes_per_compute_s, p.shipping.median_s / p.shared.median_s)
                          for p in with_shared], 1 + TIE_MARGIN, above) if with_shared else None
        shared = with_shared[0].shared.strategy if with_shared else None
        if erased.status == "inside":
            erased_words = (f"erases the processes' gain (no faster than serial) above "
                            f"{fmt_bytes(erased.x)} shipped per second of compute")
        elif erased.status == "below":
            erased_words = (f"left no gain at any measured ratio, down to {fmt_bytes(lo)} "
                            f"shipped per second of compute")
        else:
            erased_words = (f"never erased the processes' gain in the measured range, up to "
                            f"{fmt_bytes(hi)} shipped per second of compute")
        sentence = f"Copying each task's inputs to {workers} worker processes ({ship}) "
        if costs and shared:
            if costs.status == "inside":
                sentence += (f"costs under {TIE_MARGIN:.0%} against shared memory ({shared}) "
                             f"below {fmt_bytes(costs.x)} shipped per second of compute, and ")
            elif costs.status == "below":
                sentence += (f"costs more than {TIE_MARGIN:.0%} against shared memory "
                             f"({shared}) at every measured ratio, and ")
            else:
                sentence += (f"stays within {TIE_MARGIN:.0%} of shared memory ({shared}) "
                             f"everywhere measured, and ")
        sentence += erased_words + "."
        top = points[-1]
        if top.threads:
            sentence += (f" At {fmt_bytes(hi)} per second of compute "
                         f"({fmt_bytes(top.bytes_per_task)} a task), {ship} reached "
                         f"{top.shipping.speedup:.2f}x and "
                         f"{top.threads.strategy}, which read the inputs in place, "
                         f"{top.threads.speedup:.2f}x.")
        share, busy = busy_machine_words([p.serial.utilisation for p in points])
        sentence += busy
        figures = [Figure("workers", workers), Figure("flavour", flavour),
                   Figure("serial_cpu_share", share),
                   Figure("shipping_strategy", ship), Figure("shared_strategy", shared),
                   Figure("lowest_ratio", lo, "B/s"), Figure("highest_ratio", hi, "B/s"),
                   *erased.figures("gain_erased_above", "B/s")]
        if costs:
            figures += costs.figures("copy_costs_5pct_above", "B/s")
        runs = tuple(r.id for p in points
                     for r in (p.serial, p.shipping, p.shared, p.threads) if r)
        yield Finding(kernel=view.kernel, kind=CROSSOVER, sentence=sentence,
                      runs=runs, figures=tuple(figures),
                      context=(("workers", workers), ("chunks", chunks), ("flavour", flavour)))
