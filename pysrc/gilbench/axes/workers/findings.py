"""Scaling fits: Amdahl's law and the Universal Scalability Law fitted to speedup curves.

A **curve** is one flavour x strategy's speedup against workers (at one size, chunking,
schedule). Both models pass through S(1) = 1 by construction, so the 1-worker point
constrains nothing; each further worker count is one equation:

- Amdahl: S(N) = 1 / (s + (1 - s) / N), one parameter, the serial fraction s;
- USL (Gunther): S(N) = N / (1 + sigma (N - 1) + kappa N (N - 1)), contention sigma
  and coherency kappa (kappa > 0 makes the curve peak and fall).

Both are linear in their parameters after a transform (1/S - 1/N = s (1 - 1/N) and
N/S - 1 = sigma (N - 1) + kappa N (N - 1)), so numpy's least squares fits them, with the
parameters kept non-negative. Fits need at least :data:`MIN_WORKER_COUNTS` worker counts
within the usable cores (oversubscribed points measure the scheduler, not the code);
with fewer, nothing is fitted and nothing is projected. Projections beyond the largest
measured count are labelled as such, with the points they rest on.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from gilbench.analysis.engine import KernelView, register_finder
from gilbench.analysis.findings import Figure, Finding
from gilbench.analysis.rows import Row
from gilbench.analysis.verdicts import (
    context_of,
    headline_workers,
    nogil_flavours,
    reference_row,
)
from gilbench.axes.workers import OVERSUBSCRIPTION, SCALING_FIT
from gilbench.roles import PROCESS_POOL, THREAD_POOL

#: Worker counts (the 1-worker baseline included) a curve needs before a fit means
#: anything: with 1 and 2 only, any serial fraction passes through both points.
MIN_WORKER_COUNTS = 3
#: Core counts the fits are projected to.
PROJECT_TO = (16, 64)


def amdahl_speedup(workers: float, serial: float) -> float:
    """Amdahl's speedup on ``workers`` with serial fraction ``serial``."""
    return 1.0 / (serial + (1.0 - serial) / workers)


def usl_speedup(workers: float, sigma: float, kappa: float) -> float:
    """The Universal Scalability Law's speedup on ``workers``."""
    return workers / (1.0 + sigma * (workers - 1) + kappa * workers * (workers - 1))


@dataclass(frozen=True)
class Fit:
    """A model fitted to a curve: its parameters, and measured minus fitted speedups."""

    model: str  # "amdahl" or "usl"
    params: tuple[tuple[str, float], ...]
    workers: tuple[int, ...]
    measured: tuple[float, ...]
    #: Measured minus fitted speedup at each worker count, in ``workers`` order.
    residuals: tuple[float, ...]
    #: Informative points (workers > 1) minus parameters: 0 means an exact fit that
    #: checks nothing.
    dof: int

    def param(self, name: str) -> float:
        return dict(self.params)[name]

    def predict(self, workers: float) -> float:
        p = dict(self.params)
        if self.model == "amdahl":
            return amdahl_speedup(workers, p["serial"])
        return usl_speedup(workers, p["sigma"], p["kappa"])

    @property
    def rms(self) -> float:
        return float(np.sqrt(np.mean(np.square(self.residuals))))

    @property
    def peak_workers(self) -> float | None:
        """USL only: the worker count where speedup peaks (None when it never does)."""
        if self.model != "usl" or self.param("kappa") <= 0:
            return None
        return math.sqrt((1.0 - self.param("sigma")) / self.param("kappa"))


def _points(workers: Sequence[int], speedups: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    n = np.asarray(workers, dtype=float)
    s = np.asarray(speedups, dtype=float)
    if n.shape != s.shape or n.ndim != 1:
        raise ValueError("workers and speedups must be sequences of the same length. "
                         f"Got {len(workers)} and {len(speedups)} instead.")
    if np.any(n < 1) or np.any(s <= 0) or not np.all(np.isfinite(s)):
        raise ValueError("workers must be >= 1 and speedups finite and > 0. "
                         f"Got {list(workers)} and {list(speedups)} instead.")
    if len(set(n.tolist())) != len(n):
        raise ValueError(f"worker counts must be distinct. Got {list(workers)} instead.")
    if len(n) < MIN_WORKER_COUNTS:
        raise ValueError(f"a scaling fit needs at least {MIN_WORKER_COUNTS} worker counts "
                         f"(the 1-worker baseline included). Got {len(n)} instead.")
    return n, s


def _nonnegative_lstsq(design: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least squares with every coefficient >= 0 (exhaustive over which are pinned at 0:
    fine for the one or two parameters these models have)."""
    cols = design.shape[1]
    best, best_err = np.zeros(cols), float(np.sum(target ** 2))
    for mask in range(1, 2 ** cols):
        free = [c for c in range(cols) if mask >> c & 1]
        coef, *_ = np.linalg.lstsq(design[:, free], target, rcond=None)
        if np.any(coef < 0):
            continue
        full = np.zeros(cols)
        full[free] = coef
        err = float(np.sum((design @ full - target) ** 2))
        if err < best_err - 1e-15:
            best, best_err = full, err
    return best


def _fit(model: str, names: tuple[str, ...], coef: np.ndarray, n: np.ndarray,
         s: np.ndarray) -> Fit:
    fit = Fit(model, tuple(zip(names, (float(c) for c in coef), strict=True)),
              tuple(int(w) for w in n), tuple(float(v) for v in s), (), 0)
    residuals = tuple(float(v - fit.predict(w)) for w, v in zip(n, s, strict=True))
    dof = int(np.sum(n > 1)) - len(names)
    return Fit(fit.model, fit.params, fit.workers, fit.measured, residuals, dof)


def fit_amdahl(workers: Sequence[int], speedups: Sequence[float]) -> Fit:
    """Amdahl's serial fraction (0..1) fitted to the points; ValueError with too few."""
    n, s = _points(workers, speedups)
    design = (1.0 - 1.0 / n)[:, None]
    coef = _nonnegative_lstsq(design, 1.0 / s - 1.0 / n)
    return _fit("amdahl", ("serial",), np.minimum(coef, 1.0), n, s)


def fit_usl(workers: Sequence[int], speedups: Sequence[float]) -> Fit:
    """USL's sigma and kappa (both >= 0) fitted to the points; ValueError with too few."""
    n, s = _points(workers, speedups)
    design = np.column_stack([n - 1.0, n * (n - 1.0)])
    coef = _nonnegative_lstsq(design, n / s - 1.0)
    return _fit("usl", ("sigma", "kappa"), coef, n, s)


# -- curves of a results document ----------------------------------------------------------
@dataclass(frozen=True)
class ScalingCurve:
    """One flavour x strategy's best speedup per worker count, within the usable cores."""

    flavour: str
    strategy: str
    size: int
    chunks: int
    schedule: str | None
    points: tuple[tuple[int, float], ...]  # (workers, speedup), 1-worker baseline first
    runs: tuple[str, ...]


def scaling_curves(view: KernelView) -> list[ScalingCurve]:
    """Every curve of the plain sweep, with the points within the usable cores."""
    t = view.traits
    cores = view.usable_cores
    rows = [r for r in view.main_rows() if r.speedup and not t.is_baseline(r.strategy)]
    curves = []
    for key, group in view.contexts(
            rows, ("flavour", "strategy", "size", "chunks", "schedule")).items():
        best: dict[int, Row] = {}
        for r in group:
            if cores is None or r.workers <= cores:
                if r.workers not in best or r.speedup > best[r.workers].speedup:
                    best[r.workers] = r
        points = {1: 1.0}  # the baseline, by definition of speedup
        points.update({w: r.speedup for w, r in best.items()})
        curves.append(ScalingCurve(*key, tuple(sorted(points.items())),
                                   tuple(best[w].id for w in sorted(best))))
    return curves


def _fmt_points(points: Sequence[tuple[int, float]]) -> str:
    return ", ".join(f"{w}: {s:.2f}x" for w, s in points)


@register_finder(SCALING_FIT,
                 "Amdahl and USL fitted to each speedup curve, projected to more cores")
def scaling_fit(view: KernelView) -> Iterator[Finding]:
    curves = scaling_curves(view)
    cores = view.usable_cores
    fitted = [c for c in curves if len(c.points) >= MIN_WORKER_COUNTS]
    if curves and not fitted:
        counts = sorted({w for c in curves for w, _ in c.points})
        yield Finding(
            kernel=view.kernel, kind=SCALING_FIT,
            sentence=(f"No scaling fit: within the {cores or '?'} usable cores the curves have "
                      f"only {len(counts)} worker count(s) ({', '.join(map(str, counts))}), and "
                      f"Amdahl or USL needs at least {MIN_WORKER_COUNTS} to be constrained "
                      f"(through 2 points any serial fraction fits); nothing is projected."),
            runs=tuple(r for c in curves for r in c.runs),
            figures=(Figure("usable_cores", cores), Figure("worker_counts", len(counts)),
                     Figure("needed", MIN_WORKER_COUNTS)),
            verdict="unconstrained")
        return
    for curve in fitted:
        workers = [w for w, _ in curve.points]
        speedups = [s for _, s in curve.points]
        am, usl = fit_amdahl(workers, speedups), fit_usl(workers, speedups)
        where = f"{curve.flavour} + {curve.strategy}" + (
            f" ({curve.schedule})" if curve.schedule else "")
        figures = [Figure("curve", where), Figure("flavour", curve.flavour),
                   Figure("strategy", curve.strategy), Figure("schedule", curve.schedule),
                   Figure("inputs", _fmt_points(curve.points)),
                   Figure("amdahl_serial", am.param("serial")),
                   Figure("amdahl_rms_residual", am.rms, "x"),
                   Figure("usl_sigma", usl.param("sigma")),
                   Figure("usl_kappa", usl.param("kappa")),
                   Figure("usl_rms_residual", usl.rms, "x"),
                   Figure("usl_dof", usl.dof), Figure("usl_peak_workers", usl.peak_workers)]
        # Residuals one figure per worker count: measured minus fitted speedup.
        for fit in (am, usl):
            figures += [Figure(f"{fit.model}_residual_{w}", r, "x")
                        for w, r in zip(fit.workers, fit.residuals, strict=True) if w > 1]
        projections = []
        for n in PROJECT_TO:
            figures += [Figure(f"amdahl_projected_{n}", am.predict(n), "x"),
                        Figure(f"usl_projected_{n}", usl.predict(n), "x")]
            projections.append(f"{n} cores {am.predict(n):.1f}x (Amdahl) / "
                               f"{usl.predict(n):.1f}x (USL)")
        exact = (" (USL has as many parameters as informative points: an exact fit, "
                 "checked by nothing)" if usl.dof <= 0 else "")
        peak = (f", USL peaks near {usl.peak_workers:.0f} workers" if usl.peak_workers
                else "")
        sentence = (f"{where}: Amdahl serial fraction {am.param('serial'):.1%} (rms residual "
                    f"{am.rms:.2f}x); USL sigma {usl.param('sigma'):.3f}, kappa "
                    f"{usl.param('kappa'):.4f} (rms {usl.rms:.2f}x){exact}{peak}. "
                    f"Projected, not measured: {'; '.join(projections)}, from "
                    f"{_fmt_points(curve.points)}.")
        yield Finding(kernel=view.kernel, kind=SCALING_FIT, sentence=sentence, runs=curve.runs,
                      figures=tuple(figures), verdict="fitted",
                      context=(("size", curve.size), ("chunks", curve.chunks)))




@register_finder(OVERSUBSCRIPTION,
                 "what more workers than usable cores did to the reference pools")
def oversubscription(view: KernelView) -> Iterator[Finding]:
    """Per size and chunking: the reference pools' speedups beyond the usable cores
    against theirs at the cores. These runs feed no headline, crossover or threshold."""
    cores = view.usable_cores
    if cores is None:
        return
    t = view.traits
    for rows in view.contexts().values():
        over = sorted({r.workers for r in rows if r.workers > cores})
        at = headline_workers(view, rows)
        flavours = nogil_flavours(view, rows)
        if not over or at is None or not flavours:
            continue
        parts, runs = [], []
        for role in (THREAD_POOL, PROCESS_POOL):
            base = reference_row(view, rows, flavours[0], role, at)
            beyond = reference_row(view, rows, flavours[0], role, over[-1])
            if base and beyond:
                parts.append(f"{t.display(beyond.strategy)} {beyond.speedup:.2f}x against "
                             f"{base.speedup:.2f}x at {at}")
                runs += [base.id, beyond.id]
        if parts:
            yield Finding(kernel=view.kernel, kind=OVERSUBSCRIPTION,
                          sentence=(f"Oversubscribed, {over[-1]} workers on {cores} usable "
                                    f"cores ({flavours[0]}): {'; '.join(parts)}."),
                          runs=tuple(runs), context=context_of(rows),
                          figures=(Figure("workers", over[-1]), Figure("usable_cores", cores)))

__all__ = ["MIN_WORKER_COUNTS", "PROJECT_TO", "Fit", "ScalingCurve", "amdahl_speedup",
           "fit_amdahl", "fit_usl", "oversubscription", "scaling_curves", "scaling_fit",
           "usl_speedup"]
