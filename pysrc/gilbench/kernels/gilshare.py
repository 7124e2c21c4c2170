"""A tunable GIL share: what a "mixed" chunk function measures about itself, as run figures.

A mixed flavour (``cython-mixed``) holds the GIL for a share *f* of each chunk's work and
releases it for the rest, interleaved (see ``pixels_mixed`` in ``ext/mandelbrot.pyx``). Its
chunks return what they timed: compute with and without the GIL, the time spent giving
the GIL up and waiting to get it back, how much of the work (escape iterations) ran
held, and the chunk's wall and CPU time (the difference is time off a CPU).
:func:`mixed_figures` sums one execution's partials into the figures the harness records
in the run's ``extra``, from which the ``gil-fraction`` analysis explains the gap between
measured speedups and Amdahl's law.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: The problem parameter the ``gil-fraction`` axis sets (the nominal share f, 0..1).
GIL_FRACTION_PARAM = "gil_fraction"
#: The f grid of the gil-fraction axis: from all released to all held, denser where
#: threads start to lose.
GIL_FRACTIONS = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0)
#: f of a plain sweep that names the flavour: a tenth of the work holds the GIL.
DEFAULT_GIL_FRACTION = 0.1
#: Pixels (for mandelbrot) per block, the unit that holds the GIL or not: a few
#: microseconds of compute, so switches are frequent but each costs little next to it.
GIL_BLOCK = 64

#: What ``pixels_mixed`` returns per chunk, in order, as figure names. All are summed over
#: chunks except the longest held stretch (the maximum).
CHUNK_FIELDS = ("gil_held_s", "gil_free_s", "gil_release_s", "gil_wait_s",
                "gil_reacquires", "gil_held_stretches", "gil_longest_held_s",
                "held_pixels", "pixels", "held_iterations", "iterations",
                "chunk_wall_s", "chunk_cpu_s")
_MAXIMA = {"gil_longest_held_s"}

#: The reason kernels without a mixed flavour give (``gilbench list`` shows it).
ONE_KERNEL_SUFFICES = ("the tunable-GIL-share flavour is built on mandelbrot only: one "
                       "kernel with even, fine-grained work maps the GIL-fraction curve")


def mixed_figures(partials: Sequence[Any]) -> dict[str, float]:
    """One execution's figures from its chunks' partials (``CHUNK_FIELDS`` tuples).

    Adds the realised held shares: ``held_share_time`` (held compute / all compute, as
    timed) and ``held_share_work`` (held escape iterations / all iterations, exact).
    """
    totals: dict[str, float] = dict.fromkeys(CHUNK_FIELDS, 0.0)
    for partial in partials:
        if len(partial) != len(CHUNK_FIELDS):
            raise ValueError(f"a mixed chunk returns {len(CHUNK_FIELDS)} figures. "
                             f"Got {partial!r} instead.")
        for name, value in zip(CHUNK_FIELDS, partial, strict=True):
            totals[name] = (max(totals[name], value) if name in _MAXIMA
                            else totals[name] + value)
    compute = totals["gil_held_s"] + totals["gil_free_s"]
    totals["held_share_time"] = totals["gil_held_s"] / compute if compute > 0 else 0.0
    totals["held_share_work"] = (totals["held_iterations"] / totals["iterations"]
                                 if totals["iterations"] else 0.0)
    return totals
