"""GIL probe: how much a pure-Python ticker thread gets to run while work executes.

The ticker needs the GIL for every tick. **GIL availability** (0..1) is its tick rate
during the work relative to an idle interpreter, counted only over the time it was not
merely waiting for a CPU: near 1 when the work releases the GIL, near 0 when it holds it.

On Linux the ticker's scheduler statistics (``/proc/self/task/<tid>/schedstat``: time
runnable but waiting for a CPU) separate "blocked on the GIL" from "no CPU free", so all
cores being busy does not read as a held GIL (if the ticker got no CPU at all, the figure
is None). Elsewhere it falls back to the plain tick ratio, which conflates the two.

The ticker hands the GIL back after every tick, so it never makes the work wait for the
GIL: it observes without perturbing. Pure-Python work therefore reads near 0 (it holds
the GIL and gives it up only when the interpreter forces a switch every 5 ms).

A free-threaded build running without its GIL has nothing to probe: there the probe
starts no ticker and reads "no GIL" (availability None), never a misleading 1.0.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from gilbench.gilwatch import gil_enabled


def _schedstat(tid: int) -> tuple[int, int] | None:
    """(ns on a CPU, ns runnable but waiting for a CPU) of thread ``tid``, or None."""
    try:
        fields = Path(f"/proc/self/task/{tid}/schedstat").read_text().split()
        return int(fields[0]), int(fields[1])
    except (OSError, ValueError, IndexError):
        return None


#: [monotonic time, ticks a second] of the latest idle measurement, for ``reuse_idle_s``.
_LAST_IDLE: list[float] = [0.0, 0.0]

#: ``GilProbe.method`` when the interpreter ran without a GIL.
NO_GIL = "no GIL"

__all__ = ["NO_GIL", "GilProbe", "gil_enabled"]



class GilProbe:
    """Context manager: ``with GilProbe() as probe: work()``, then ``probe.availability``.

    ``tick_ratio`` (ticks per second during the work / while idle) is kept as well; the
    idle rate is measured on entry (``idle_s`` of sleeping). Without a GIL on entry,
    ``method`` is :data:`NO_GIL` and every reading stays None.
    """

    def __init__(self, idle_s: float = 0.05, reuse_idle_s: float = 0.0) -> None:
        self.idle_s = idle_s
        #: An idle rate measured by another probe less than this many seconds ago is
        #: reused instead of sleeping ``idle_s`` again (a sweep probes every run).
        self.reuse_idle_s = reuse_idle_s
        self.availability: float | None = None
        self.tick_ratio: float | None = None
        self.idle_rate: float | None = None
        self.busy_rate: float | None = None
        self.method: str | None = None
        self._running = False
        self._ticks = 0
        self._tid: int | None = None
        self._thread: threading.Thread | None = None

    def _tick(self) -> None:
        self._tid = threading.get_native_id()
        sleep = time.sleep
        # Each tick needs the GIL, then gives it straight back (sleep(0) releases it), so
        # the probe only takes a GIL that is free and never makes the work wait for it.
        while self._running:
            self._ticks += 1
            sleep(0)

    def __enter__(self) -> GilProbe:
        if not gil_enabled():
            # A ticker would run on a core of its own and read 1.0 whatever the work does.
            self.method = NO_GIL
            return self
        self._running = True
        self._thread = threading.Thread(target=self._tick, name="gilbench-probe", daemon=True)
        self._thread.start()
        time.sleep(0.005)  # let the ticker reach its loop before measuring
        measured_at, rate = _LAST_IDLE
        if rate and time.monotonic() - measured_at < self.reuse_idle_s:
            self.idle_rate = rate
        else:
            t0, n0 = time.perf_counter(), self._ticks
            time.sleep(self.idle_s)
            t1, n1 = time.perf_counter(), self._ticks
            self.idle_rate = (n1 - n0) / (t1 - t0)
            _LAST_IDLE[:] = [time.monotonic(), self.idle_rate]
        self._sched0 = _schedstat(self._tid) if self._tid else None
        self._t0, self._n0 = time.perf_counter(), self._ticks
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is None:
            if gil_enabled():  # an extension imported during the work turned it on
                self.method = "no GIL on entry, enabled during the work"
            return
        t1, n1 = time.perf_counter(), self._ticks
        sched1 = _schedstat(self._tid) if self._tid else None
        self._running = False
        self._thread.join()
        elapsed = t1 - self._t0
        if elapsed <= 0:
            return
        self.busy_rate = (n1 - self._n0) / elapsed
        if self.idle_rate:
            self.tick_ratio = _clip(self.busy_rate / self.idle_rate)
        if self._sched0 and sched1 and self.idle_rate:
            # Run-queue delay is accounted exactly at each switch, unlike time on a CPU.
            starved = (sched1[1] - self._sched0[1]) / 1e9
            could_run = elapsed - starved
            self.method = "schedstat"
            if could_run > 0.05 * elapsed:
                self.availability = _clip((n1 - self._n0) / (self.idle_rate * could_run))
            # else: starved of CPU nearly all the time, so the GIL cannot be judged.
            return
        self.availability = self.tick_ratio
        self.method = "tick rate"


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))
