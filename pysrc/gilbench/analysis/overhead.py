"""Findings about the machinery of strategies: each against the fastest of its family, what
a Manager's proxy round trips and a shared Value's lock cost, start-up per start method.

Families and roles come from declared traits (:meth:`Traits.family`, ``ipc``,
``returns``) and the counters runs record in ``extra`` (``proxy_round_trips``,
``value_updates``, ``lock_wait_s``, ``forkserver_started``), never from strategy names.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Sequence

from gilbench.analysis.engine import KernelView, register_finder
from gilbench.analysis.findings import Figure, Finding
from gilbench.analysis.rows import Row
from gilbench.analysis.verdicts import NOGIL_TRAITS, TIE_MARGIN, context_of, fastest, fmt_ms

#: The kinds of finding this module makes.
STRATEGY_OVERHEAD = "strategy-overhead"
PROXY_COST = "proxy-cost"
SHARED_LOCK = "shared-lock"
START_METHOD = "start-method"

FAMILY_WORDS = {"threads": "Thread strategies", "processes": "Process strategies"}
#: Workers waiting for a lock longer than this share of the execution: it is contended.
CONTENDED_SHARE = 0.01


def fmt_short(seconds: float) -> str:
    """Microseconds below a millisecond, else as :func:`fmt_ms`."""
    return f"{seconds * 1e6:.0f} µs" if abs(seconds) < 1e-3 else fmt_ms(seconds)


def _by_strategy(rows: Sequence[Row], start_method: str | None = None) -> dict[str, Row]:
    """One row per strategy: at ``start_method`` where it ran with several (the sweep's
    default), else its first; never the fastest of its start methods."""
    out: dict[str, Row] = {}
    for r in rows:
        if r.strategy not in out or (r.start_method == start_method
                                     and out[r.strategy].start_method != start_method):
            out[r.strategy] = r
    return out


def _flavour_rank(view: KernelView, flavour: str) -> int:
    """GIL-free flavours first (their time is the work, the rest is the machinery)."""
    gil = view.traits.gil(flavour)
    return NOGIL_TRAITS.index(gil) if gil in NOGIL_TRAITS else len(NOGIL_TRAITS)


def family_group(view: KernelView, rows: Sequence[Row], family: str
                 ) -> tuple[str, int, dict[str, Row]] | None:
    """(flavour, workers, one row per strategy) where most strategies of ``family`` ran
    the same flavour on the same worker count (at least two), GIL-free flavours and more
    workers preferred, up to the usable cores (an oversubscribed count ranks nothing);
    None when no two strategies of the family meet."""
    t = view.traits
    cores = view.usable_cores
    groups: dict[tuple[str, int], list[Row]] = {}
    for r in rows:
        if (t.family(r.strategy) == family and r.workers > 1
                and (cores is None or r.workers <= cores) and not t.parallel_inside(r.flavour)):
            groups.setdefault((r.flavour, r.workers), []).append(r)
    order = t.flavour_order()
    best = None
    for (flavour, workers), members in groups.items():
        by_strategy = _by_strategy(members, view.settings.get("default_start_method"))
        if len(by_strategy) < 2:
            continue
        key = (len(by_strategy), -_flavour_rank(view, flavour), workers,
               -order.index(flavour) if flavour in order else 0)
        if best is None or key > best[0]:
            best = (key, (flavour, workers, by_strategy))
    return best[1] if best else None


@register_finder(STRATEGY_OVERHEAD,
                 "the thread and the process strategies ranked, a place claimed only where the "
                 "intervals of their medians separate")
def strategy_overhead(view: KernelView) -> Iterator[Finding]:
    for rows in view.contexts().values():
        for family, words in FAMILY_WORDS.items():
            group = family_group(view, rows, family)
            if group:
                yield _overhead_finding(view, rows, words, *group)


def tiers(ranked: Sequence[Row]) -> list[list[Row]]:
    """``ranked`` (fastest first) in tiers: a run joins the tier of the fastest one still
    open while their intervals overlap, and opens the next where its interval lies wholly
    above the tier leader's: a ranking claims a place only where the intervals separate."""
    out: list[list[Row]] = []
    for r in ranked:
        if out and out[-1][0].interval[1] >= r.interval[0]:
            out[-1].append(r)
        else:
            out.append([r])
    return out


def _overhead_finding(view: KernelView, rows: Sequence[Row], words: str, flavour: str,
                      workers: int, by_strategy: dict[str, Row]) -> Finding:
    t = view.traits
    ranked = sorted(by_strategy.values(), key=lambda r: r.median_s)
    fast, slow = ranked[0], ranked[-1]
    spread = slow.median_s / fast.median_s - 1
    groups = tiers(ranked)
    head = f"{words} on {flavour}, {workers} workers: "
    if len(groups) == 1:
        verdict = "tie"
        tail = f"all {len(ranked)} within noise of each other (spread {spread:.0%})"
    else:
        verdict = "spread"
        top = groups[0]
        lead = (f"{t.display(fast.strategy)} fastest, apart from the rest" if len(top) == 1
                else f"the fastest {len(top)} within noise of each other")
        tail = (f"{lead}; the slowest, {t.display(slow.strategy)}, takes "
                f"{fmt_short(slow.median_s - fast.median_s)} more per execution "
                f"(+{spread:.0%})")
    figures = [Figure("workers", workers), Figure("flavour", flavour),
               Figure("fastest", fast.strategy), Figure("slowest", slow.strategy),
               Figure("spread", spread, "x"), Figure("tiers", len(groups))]
    for rank, group in enumerate(groups, 1):
        for r in group:
            figures += [Figure(f"median_{r.strategy}", r.median_s, "s"),
                        Figure(f"median_low_{r.strategy}", r.interval[0], "s"),
                        Figure(f"median_high_{r.strategy}", r.interval[1], "s"),
                        Figure(f"tier_{r.strategy}", rank)]
    return Finding(kernel=view.kernel, kind=STRATEGY_OVERHEAD, sentence=head + tail + ".",
                   runs=tuple(r.id for r in ranked), figures=tuple(figures), verdict=verdict,
                   context=context_of(rows))


def _peer(view: KernelView, row: Row, rows: Sequence[Row], unlike: str, kind: str) -> Row | None:
    """The fastest run of ``row``'s family, flavour and workers whose ``kind`` trait is
    not ``unlike`` (the baseline a Manager or a shared Value is set against)."""
    t = view.traits
    return fastest(r for r in rows if t.family(r.strategy) == t.family(row.strategy)
                   and r.flavour == row.flavour and r.workers == row.workers
                   and t.value(r.strategy, kind) != unlike)


@register_finder(PROXY_COST, "what the round trips of Manager proxies cost per execution")
def proxy_cost(view: KernelView) -> Iterator[Finding]:
    t = view.traits
    for rows in view.contexts().values():
        for row in _by_strategy([r for r in rows if t.value(r.strategy, "ipc") == "proxy"
                                 and r.get("proxy_round_trips")]).values():
            base = _peer(view, row, rows, "proxy", "ipc")
            if base is None:
                continue
            trips = row.get("proxy_round_trips")
            extra = row.median_s - base.median_s
            if extra > 0:
                tail = (f"cost {fmt_short(extra)} more than {base.strategy} "
                        f"({fmt_ms(row.median_s)} against {fmt_ms(base.median_s)}), about "
                        f"{fmt_short(extra / trips)} per round trip")
            else:
                tail = (f"yet it ran no slower than {base.strategy} ({fmt_ms(row.median_s)} "
                        f"against {fmt_ms(base.median_s)}): the work hides them")
            yield Finding(
                kernel=view.kernel, kind=PROXY_COST,
                sentence=(f"{row.strategy} ({row.flavour}, {row.workers} workers): {trips:.0f} "
                          f"proxy round trips per execution (each access to a Manager's object "
                          f"is a message to its server process and back; every chunk takes a "
                          f"get, a store and a completion) {tail}."),
                runs=(row.id, base.id),
                figures=(Figure("round_trips", trips), Figure("extra", extra, "s"),
                         Figure("per_round_trip", extra / trips if extra > 0 else None, "s"),
                         Figure("baseline", base.strategy)),
                verdict="costly" if extra / base.median_s > TIE_MARGIN else "hidden",
                context=context_of(rows))


@register_finder(SHARED_LOCK, "how long workers waited for the lock of a shared Value")
def shared_lock(view: KernelView) -> Iterator[Finding]:
    t = view.traits
    for rows in view.contexts().values():
        for row in _by_strategy([r for r in rows if t.value(r.strategy, "returns") == "shared"
                                 and r.get("value_updates")]).values():
            updates, waited = row.get("value_updates"), row.get("lock_wait_s") or 0.0
            share = waited / row.median_s
            contended = share > CONTENDED_SHARE
            verdict = "contended" if contended else "uncontended"
            what = ("contention costs time" if contended else
                    "at this chunking the lock is no bottleneck; finer chunks would meet it "
                    "more often")
            yield Finding(
                kernel=view.kernel, kind=SHARED_LOCK,
                sentence=(f"{row.strategy} ({row.flavour}, {row.workers} workers): "
                          f"{updates:.0f} partials per execution were added into a shared Value "
                          f"under its lock; the workers waited {fmt_short(waited)} in all for it "
                          f"({share:.1%} of the execution): {what}."),
                runs=(row.id,),
                figures=(Figure("updates", updates), Figure("lock_wait", waited, "s"),
                         Figure("share", share)),
                verdict=verdict, context=context_of(rows))


@register_finder(START_METHOD, "start-up and warm speed per multiprocessing start method")
def start_method(view: KernelView) -> Iterator[Finding]:
    groups: dict[tuple, dict[str, Row]] = {}
    for r in view.main_rows():
        if r.start_method and r.startup_s is not None:
            key = (r.strategy, r.flavour, r.workers, r.size, r.chunks)
            groups.setdefault(key, {})[r.start_method] = r
    groups = {k: g for k, g in groups.items() if len(g) > 1}
    if not groups:
        return
    methods = sorted({m for g in groups.values() for m in g})
    startup = {m: statistics.median(g[m].startup_s for g in groups.values() if m in g)
               for m in methods}
    server = any(g["forkserver"].get("forkserver_started") for g in groups.values()
                 if "forkserver" in g)
    # Warm speed: each run against the fastest method of its group.
    warm = {m: statistics.median(g[m].median_s / min(r.median_s for r in g.values())
                                 for g in groups.values() if m in g) for m in methods}
    order = sorted(methods, key=startup.get)
    parts = []
    for m in order:
        part = f"{m} {fmt_ms(startup[m])}"
        if m == "forkserver" and server:
            part += " (starting its server included)"
        parts.append(part)
    worst = max(warm.values()) - 1
    tail = (f"warm, they run within {worst:.0%} of each other: the method is a cold cost"
            if worst <= TIE_MARGIN else
            f"warm, {max(warm, key=warm.get)} runs {worst:.0%} slower than the fastest method")
    n = len(groups)
    runs = tuple(r.id for g in groups.values() for r in g.values())
    yield Finding(
        kernel=view.kernel, kind=START_METHOD,
        sentence=(f"Start-up by start method (the median over {n} process "
                  f"configuration{'s' if n > 1 else ''} each run with several): "
                  f"{', '.join(parts)}; {tail}."),
        runs=runs,
        figures=tuple([Figure(f"startup_{m}", startup[m], "s") for m in methods]
                      + [Figure(f"warm_{m}", warm[m], "x") for m in methods]),
        verdict=order[0])
