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
from gilbench.analysis.rows import Row, reference_run
from gilbench.analysis.verdicts import TIE_MARGIN, fmt_ms
from gilbench.axes.payload import CROSSOVER, NAME
from gilbench.roles import PROCESS_POOL, SHIPPING, THREAD_POOL


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
    default = view.settings.get("default_start_method")
    by_point: dict[object, list[Row]] = {}
    for r in rows:
        by_point.setdefault(r.axis_value, []).append(r)

    points = []
    for value, group in by_point.items():
        serial = next((r for r in group if t.is_baseline(r.strategy)), None)
        input_bytes = serial.get("input_bytes") if serial else None
        if serial is None or not input_bytes:
            continue
        tasks = int(serial.get("tasks") or serial.chunks)
        points.append(PayloadPoint(
            float(value), input_bytes / tasks, input_bytes / serial.median_s, serial,
            *(reference_run(t, group, role, default)
              for role in (SHIPPING, PROCESS_POOL, THREAD_POOL))))
    return sorted(points, key=lambda p: p.bytes_per_compute_s)


def copy_cost_per_100mb(points: Sequence[PayloadPoint]) -> tuple[float, float, float] | None:
    """Seconds the shipping strategy spends beyond shared memory per 100 MB of inputs it
    copies (pickle, send, unpickle): the median over the points where copying shows, and
    the lowest and highest of them; None where it never shows."""
    costs = sorted((p.shipping.median_s - p.shared.median_s)
                   / (p.bytes_per_task * (p.serial.get("tasks") or p.serial.chunks)) * 1e8
                   for p in points if p.shipping and p.shared
                   and p.shipping.median_s > p.shared.median_s)
    if not costs:
        return None
    return costs[len(costs) // 2], costs[0], costs[-1]


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
            erased_words = (f"loses all gain over serial above {fmt_bytes(erased.x)} "
                            f"shipped per second of compute")
        elif erased.status == "below":
            erased_words = (f"has no gain over serial even at {fmt_bytes(lo)} "
                            f"shipped per second of compute")
        else:
            erased_words = (f"keeps a gain over serial up to {fmt_bytes(hi)} shipped per "
                            f"second of compute")
        t = view.traits
        per_100mb = copy_cost_per_100mb(with_shared)
        sentence = f"{t.display(ship)}, {workers} workers: copying inputs costs "
        sentence += (f"{fmt_ms(per_100mb[0])} per 100 MB ({fmt_ms(per_100mb[1])}-"
                     f"{fmt_ms(per_100mb[2])}); it " if per_100mb else "; it ")
        if costs and shared:
            if costs.status == "inside":
                sentence += (f"trails shared memory by over {TIE_MARGIN:.0%} above "
                             f"{fmt_bytes(costs.x)} shipped per second of compute and ")
            elif costs.status == "below":
                sentence += f"trails shared memory by over {TIE_MARGIN:.0%} everywhere and "
            else:
                sentence += f"stays within {TIE_MARGIN:.0%} of shared memory and "
        sentence += erased_words + "."
        top = points[-1]
        detail = ""
        if top.threads:
            detail = (f"At {fmt_bytes(hi)} per second of compute "
                      f"({fmt_bytes(top.bytes_per_task)} a task), {t.display(ship)} reached "
                      f"{top.shipping.speedup:.2f}x and {t.display(top.threads.strategy)}, "
                      f"which reads the inputs in place, {top.threads.speedup:.2f}x.")
        share, busy = busy_machine_words([p.serial.utilisation for p in points])
        sentence += busy
        figures = [Figure("workers", workers), Figure("flavour", flavour),
                   Figure("serial_cpu_share", share),
                   Figure("shipping_strategy", ship), Figure("shared_strategy", shared),
                   Figure("lowest_ratio", lo, "B/s"), Figure("highest_ratio", hi, "B/s"),
                   *erased.figures("gain_erased_above", "B/s")]
        if costs:
            figures += costs.figures("copy_costs_5pct_above", "B/s")
        if per_100mb:
            figures += [Figure("copy_s_per_100mb", per_100mb[0], "s"),
                        Figure("copy_s_per_100mb_low", per_100mb[1], "s"),
                        Figure("copy_s_per_100mb_high", per_100mb[2], "s")]
        runs = tuple(r.id for p in points
                     for r in (p.serial, p.shipping, p.shared, p.threads) if r)
        yield Finding(kernel=view.kernel, kind=CROSSOVER, sentence=sentence, detail=detail,
                      runs=runs, figures=tuple(figures),
                      context=(("workers", workers), ("chunks", chunks), ("flavour", flavour)))
