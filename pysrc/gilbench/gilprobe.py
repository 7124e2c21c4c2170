"""GIL probe: how often a pure-Python ticker thread gets to run while work executes.

The ticker needs the GIL for every tick. Its tick rate during a run, divided by its rate
while the main thread merely sleeps, is the run's **GIL availability** (0..1): near 1
when the work releases the GIL, near 0 when it holds it. On a machine whose cores are all
busy the ticker also competes for a CPU, which lowers the figure without any GIL being
held; reports say so.

While probing, the interpreter's switch interval is lowered (0.5 ms instead of 5 ms):
when the work ends, the measuring thread must win the GIL back from the ticker, and every
switch interval spent waiting would otherwise count as ticks.
"""

from __future__ import annotations

import sys
import threading
import time


class GilProbe:
    """Context manager: ``with GilProbe() as probe: work()``, then ``probe.availability``.

    The ticker's idle rate is measured on entry (``idle_s`` of sleeping), so the figure
    is relative to this machine at this moment.
    """

    def __init__(self, idle_s: float = 0.05, switch_interval_s: float = 5e-4) -> None:
        self.idle_s = idle_s
        self.switch_interval_s = switch_interval_s
        self._saved_interval = sys.getswitchinterval()
        self.availability: float | None = None
        self.idle_rate: float | None = None
        self.busy_rate: float | None = None
        self._running = False
        self._ticks = 0
        self._thread: threading.Thread | None = None

    def _tick(self) -> None:
        # Deliberately pure Python: every iteration needs the GIL.
        while self._running:
            self._ticks += 1

    def __enter__(self) -> GilProbe:
        self._saved_interval = sys.getswitchinterval()
        sys.setswitchinterval(self.switch_interval_s)
        self._running = True
        self._thread = threading.Thread(target=self._tick, name="gilbench-probe", daemon=True)
        self._thread.start()
        time.sleep(0.005)  # let the ticker reach its loop before measuring
        t0, n0 = time.perf_counter(), self._ticks
        time.sleep(self.idle_s)
        t1, n1 = time.perf_counter(), self._ticks
        self.idle_rate = (n1 - n0) / (t1 - t0)
        self._t0, self._n0 = time.perf_counter(), self._ticks
        return self

    def __exit__(self, *exc: object) -> None:
        t1, n1 = time.perf_counter(), self._ticks
        self._running = False
        if self._thread is not None:
            self._thread.join()
        sys.setswitchinterval(self._saved_interval)
        elapsed = t1 - self._t0
        if elapsed > 0 and self.idle_rate:
            self.busy_rate = (n1 - self._n0) / elapsed
            self.availability = min(1.0, max(0.0, self.busy_rate / self.idle_rate))
