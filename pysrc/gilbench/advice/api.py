"""``gilbench.advise(fn, items)``: profile, predict, verify, recommend.

The phases, each its own module: the function's profile (:mod:`.profile`), the machine's
per-task costs (:mod:`.costs`), the model's predictions (:mod:`.model`), the top
candidates run for real (:mod:`.verify`) and the recommendation (:mod:`.recommend`).
The command ``gilbench advise`` is a thin layer over :func:`advise` and :func:`compare`.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gilbench.advice import model, recommend
from gilbench.advice.costs import MEASURED, StrategyCosts, machine_costs
from gilbench.advice.document import Advice
from gilbench.advice.profile import Profile, measure_profile
from gilbench.advice.target import BadAdviseInput, Target, make_target
from gilbench.advice.verify import MIN_WARM, verify
from gilbench.limits import check_workers, usable_cores

#: Seconds verification aims at beyond its minimum repeats (the budget caps it too): a
#: 1-10 ms function on 200 items gets its advice in about half a minute.
VERIFY_SOFT_S = 15.0
#: Candidates run besides serial: the best thread pool, the best process pool, the next.
VERIFIED = 3
DEFAULT_BUDGET_S = 60.0
#: Where a sweep of this machine may be found (``gilbench run``'s default output).
DEFAULT_SWEEP = Path("gilbench-results") / "results.json"


def check_settings(calls: Any, budget: Any, workers: Any, start_method: Any) -> int:
    """BadAdviseInput for an absurd setting; the worker count to use."""
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 1:
        raise BadAdviseInput(f"calls must be an int >= 1. Got {calls!r} instead.")
    if (isinstance(budget, bool) or not isinstance(budget, (int, float))
            or not 0 < budget <= 86_400):
        raise BadAdviseInput(f"budget must be > 0 and <= 86400 seconds. Got {budget!r} "
                             "instead.")
    if start_method is not None:
        from gilbench.strategies.startmethod import check_start_method

        try:
            check_start_method(start_method)
        except ValueError as exc:
            raise BadAdviseInput(str(exc)) from None
    if workers is None:
        return usable_cores()
    try:
        return check_workers(workers)
    except (TypeError, ValueError) as exc:
        raise BadAdviseInput(str(exc)) from None


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Callable[[str], None]]:
    """A ``step(description)`` callable: a rich progress bar on stderr, or nothing."""
    from rich.console import Console

    console = Console(stderr=True)
    # Off a terminal and a notebook (a pipe, a CI log) a bar would only leave blank lines.
    if not enabled or not (console.is_terminal or console.is_jupyter):
        yield lambda _: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    # auto_refresh=False: no refresh thread, so forking workers never sees extra threads.
    bar = Progress(TextColumn("advise: {task.description}"), BarColumn(),
                   TimeElapsedColumn(), console=console, auto_refresh=False,
                   transient=True)
    task = bar.add_task("starting", total=total)
    with bar:
        def step(description: str) -> None:
            bar.update(task, advance=1, description=description)
            bar.refresh()

        yield step


def _chosen(predictions: Sequence[model.Prediction]) -> list[model.Prediction]:
    """Serial, the best thread pool, the best process pool, the best subinterpreters
    (where they can run it), then the next best."""
    out = [p for p in predictions if p.strategy == "serial"][:1]
    for strategies in (("threads",), ("processes", "pool-map"), ("subinterpreters",)):
        best = next((p for p in predictions if p.strategy in strategies), None)
        if best is not None:
            out.append(best)
    for p in predictions:
        if len(out) > VERIFIED:
            break
        if p not in out:
            out.append(p)
    return out


def _verified_count(profile: Profile, chosen: Sequence[model.Prediction], n: int,
                    allowance: float, workers: int) -> int:
    """How many items verification can run within ``allowance`` seconds (all of them,
    unless the minimum repeats of every candidate would not fit)."""
    per_item = sum((p.seconds - p.parts.get("startup", 0.0)) * (1 + MIN_WARM) / n
                   for p in chosen)
    fixed = sum(p.parts.get("startup", 0.0) for p in chosen)
    if per_item * n + fixed <= allowance:
        return n
    biggest = max(p.chunksize for p in chosen)
    return max(min(n, 2 * workers * biggest), int(max(0.0, allowance - fixed) / per_item))


def _run(target: Target, *, calls: int, budget: float, check: bool, workers: int,
         start_method: str | None, sweep: Path | None, progress: bool,
         cache: dict[str, StrategyCosts] | None = None) -> Advice:
    started = time.perf_counter()
    cores = usable_cores()
    n = len(target.items)
    with _progress(progress, 8) as step:
        profile = measure_profile(target, budget=budget, cores=cores, step=step)
        skip = (("processes", "pool-map", "subinterpreters") if profile.pickle_problem
                else ("subinterpreters",) if profile.subinterpreter_problem else ())
        step("the machine's per-task costs")
        cache = {} if cache is None else cache
        missing = tuple(k for k in MEASURED if k not in cache and k not in skip)
        if missing:
            cache.update(machine_costs(workers, start_method=start_method, sweep=sweep,
                                       cores=cores, hostname=platform.node(),
                                       skip=tuple(k for k in MEASURED if k not in missing)))
        costs = {k: v for k, v in cache.items() if k not in skip}
        predictions = model.candidates(profile, costs, n=n, workers=workers, calls=calls)
        chosen = _chosen(predictions)
        left = budget - (time.perf_counter() - started)
        count = _verified_count(profile, chosen, n, min(left, budget), workers)
        measured = verify(target, chosen, count=count, calls=calls,
                          allowance_s=max(0.0, min(VERIFY_SOFT_S, left)),
                          start_method=start_method, check=check, step=step)
    if count < n:
        predictions = [model.at_items(p, profile, costs, n=count, calls=calls)
                       for p in predictions]
    table = recommend.rows(predictions, measured, profile)
    rec = recommend.choose(table, measured)
    released = model.released(profile, costs, n=count, workers=workers, calls=calls)
    threads_now = max((r.predicted_speedup for r in table if r.strategy == "threads"),
                      default=1.0)
    released_words = None
    if (released is not None and profile.gil_held_share > recommend.GIL_MATTERS
            and released.speedup > max(1.05, threads_now * 1.05)):
        released_words = recommend.released_sentence(target.fn, target.name,
                                                      released.speedup, threads_now, workers)
    return Advice(
        function=target.name, calls=calls, workers=workers, cores=cores,
        verified_items=count, profile=profile, costs=costs, rows=tuple(table),
        recommendation=rec,
        why=recommend.why(rec, table, profile, costs, workers, calls),
        snippet=recommend.snippet(rec, target.name, target.star),
        released_speedup=released.speedup if released else None, released=released_words,
        notes=tuple(_notes(profile, costs, count, n, check, measured)),
        machine={"python": platform.python_version(), "hostname": platform.node(),
                 "start_method": next((m.start_method for m in measured if m.start_method),
                                      None)},
        elapsed_s=time.perf_counter() - started)


def _notes(profile: Profile, costs: dict[str, StrategyCosts], count: int, n: int,
           check: bool, measured: Sequence[Any]) -> Iterator[str]:
    if profile.pickle_problem:
        yield (f"Process pools are out: {profile.pickle_problem}. Threads and serial were "
               "judged.")
    if not profile.deterministic:
        yield ("Results differ from one call to the next on the same item"
               + ("; --check compared each pool's results with serial's anyway."
                  if check else "; results were not compared (pass --check to compare)."))
    if count < n:
        yield (f"Verified on the first {count} of {n} items: all of them would not fit the "
               "time budget; the table's predictions are for those items.")
    if profile.subinterpreter_problem is not None:
        yield f"Subinterpreters: not a candidate here: {profile.subinterpreter_problem}."
    sources = sorted({c.source for c in costs.values()})
    yield ("Per-task costs: " + ", ".join(sources) + " (start-up and per-byte costs "
           "measured with empty tasks).")


def advise(fn: Callable[..., Any], items: Any, calls: int = 1, *, star: bool = False,
           budget: float = DEFAULT_BUDGET_S, check: bool = False, workers: int | None = None,
           progress: bool = True, start_method: str | None = None,
           sweep: str | Path | None = DEFAULT_SWEEP, name: str | None = None) -> Advice:
    """Advise how to run ``fn`` over ``items`` in parallel on this machine.

    Each item is one task, ``fn(item)`` (``fn(*item)`` with ``star``); the program runs
    the whole batch ``calls`` times. ``budget`` caps the seconds advise may spend (a
    function whose serial pass would exceed it is refused); ``check`` compares every
    pool's results with serial's; ``workers`` defaults to the usable cores; per-task costs
    come from ``sweep`` (a results.json of this machine) where it has them. Raises
    :class:`BadAdviseInput` (a ValueError) for input it cannot judge.
    """
    workers = check_settings(calls, budget, workers, start_method)
    target = make_target(fn, items, star=star, name=name)
    return _run(target, calls=calls, budget=float(budget), check=check, workers=workers,
                start_method=start_method, sweep=Path(sweep) if sweep else None,
                progress=progress)


def compare(fns: Sequence[Callable[..., Any]], items: Any, calls: int = 1, *,
            names: Sequence[str] | None = None, **options: Any) -> list[Advice]:
    """Advice for several versions of a function on the same items (before and after),
    the machine's costs measured once for all."""
    star = options.pop("star", False)
    budget = options.pop("budget", DEFAULT_BUDGET_S)
    workers = check_settings(calls, budget, options.pop("workers", None),
                              options.get("start_method"))
    sweep = options.pop("sweep", DEFAULT_SWEEP)
    listed = list(items) if not isinstance(items, (str, bytes)) and hasattr(
        items, "__iter__") else items
    targets = [make_target(fn, listed, star=star, name=names[i] if names else None)
               for i, fn in enumerate(fns)]
    out: list[Advice] = []
    cache: dict[str, StrategyCosts] = {}  # the machine's costs, measured once for all
    for target in targets:
        advice = _run(target, calls=calls, budget=float(budget), workers=workers,
                      sweep=Path(sweep) if sweep else None, cache=cache,
                      check=options.get("check", False),
                      start_method=options.get("start_method"),
                      progress=options.get("progress", True))
        out.append(advice)
    return out


__all__ = ["DEFAULT_BUDGET_S", "Advice", "BadAdviseInput", "advise", "compare"]

