"""Study ``switch-interval``: what ``sys.setswitchinterval`` does to throughput and latency.

For each interval and each load (pure-Python threads that hold the GIL, Cython threads
that release it): the throughput of one CPU-bound thread per core, then the round-trip
latency of a responsive thread (a loopback echo server) while the load runs, measured by
a client in another process. A thread waking from I/O needs the GIL back; under a
GIL-holding load it waits for the holder to be told to drop it: the convoy effect. With the
GIL off (a free-threaded build) the pure-Python load holds no GIL, and the findings say so.
"""

from __future__ import annotations

import json
import math
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gilbench import native
from gilbench.analysis import Figure, Finding
from gilbench.gilprobe import gil_enabled
from gilbench.plan import usable_cores
from gilbench.report.markdown import Image
from gilbench.studies.base import Progress, Study, StudyError, StudyResult, Table
from gilbench.studies.children import LineChannel, script_channel
from gilbench.studies.timing import distribution, fmt_duration, ran_in_parallel, ratio_text

#: The load that holds the GIL is interpreted Python: the switch interval is what makes
#: it let go. The load that releases it is compiled code inside ``with nogil``.
GIL_HOLDING, NOGIL, NO_LOAD = "gil-holding", "nogil", "none"
#: A median latency this many times the nogil load's is a convoy.
CONVOY_AT = 2.0


def _python_work() -> None:
    x = 0
    for _ in range(1000):
        x += 1


_NOGIL_ROWS, _NOGIL_WIDTH = 96, 256


def _nogil_work_factory() -> Callable[[], None]:
    pixels = native.extension("mandelbrot").pixels_nogil
    out = np.zeros((_NOGIL_ROWS, _NOGIL_WIDTH), np.int32)
    args = (0, out.size, -2.0, 2.6 / _NOGIL_WIDTH, -1.3, 2.6 / _NOGIL_ROWS, 200)
    return lambda: pixels(out, *args)


LOADS: dict[str, Callable[[], Callable[[], None]]] = {
    GIL_HOLDING: lambda: _python_work,
    NOGIL: _nogil_work_factory,
}


@dataclass(frozen=True)
class Settings:
    intervals_ms: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 5.0, 10.0, 30.0, 100.0)
    throughput_s: float = 0.4
    latency_s: float = 0.8
    max_pings: int = 300
    min_pings: int = 12
    timeout_s: float = 30.0


@contextmanager
def switch_interval(seconds: float) -> Iterator[None]:
    """Set ``sys.setswitchinterval`` inside, restore the previous value on the way out."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@contextmanager
def running_load(work: Callable[[], None], threads: int, timeout: float
                 ) -> Iterator[Callable[[], tuple[int, float, float]]]:
    """``threads`` threads calling ``work`` in a loop until the block ends; yields a
    function returning (calls so far, wall seconds and CPU seconds of this process since
    they all started)."""
    stop = False
    counts = [0] * threads
    start = threading.Barrier(threads + 1)

    def loop(i: int) -> None:
        start.wait(timeout)
        n = 0
        while not stop:
            work()
            n += 1
            counts[i] = n

    pool = [threading.Thread(target=loop, args=(i,), daemon=True, name=f"gilbench-load-{i}")
            for i in range(threads)]
    for t in pool:
        t.start()
    try:
        start.wait(timeout)
        t0, c0 = time.perf_counter(), time.process_time()
        yield lambda: (sum(counts), time.perf_counter() - t0, time.process_time() - c0)
    finally:
        stop = True
        for t in pool:
            t.join(timeout)
    if any(t.is_alive() for t in pool):
        raise StudyError(f"load threads did not stop within {timeout:g} s")


class EchoServer:
    """A thread of this process that echoes every byte from one loopback connection."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(timeout)
        self.port = self.listener.getsockname()[1]
        self.conn: socket.socket | None = None
        self.thread: threading.Thread | None = None

    def accept(self) -> None:
        """Take the client's connection and start echoing on a thread."""
        try:
            self.conn, _ = self.listener.accept()
        except TimeoutError:
            raise StudyError(f"the echo client did not connect within {self.timeout:g} s") \
                from None
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn.settimeout(None)  # idle between measurements; closing ends the recv
        self.thread = threading.Thread(target=self._echo, daemon=True, name="gilbench-echo")
        self.thread.start()

    def _echo(self) -> None:
        conn = self.conn
        try:
            while data := conn.recv(1):
                conn.sendall(data)
        except OSError:
            return  # closed under us: the study is over

    def close(self) -> None:
        for sock in (self.conn, self.listener):
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
        if self.thread is not None:
            self.thread.join(self.timeout)


def _latencies(client: LineChannel, s: Settings, interval_s: float) -> list[float]:
    # Gaps of up to one interval spread pings over every phase of the holder's turn.
    gap = max(interval_s, 1e-3)
    reply = client.ask(f"{s.max_pings} {s.min_pings} {s.latency_s} {gap}",
                       timeout=s.timeout_s + s.max_pings * 3 * gap)
    times = json.loads(reply)
    if isinstance(times, dict):
        raise StudyError(f"echo client: {times['error']}")
    return times


class SwitchIntervalStudy(Study):
    name = "switch-interval"
    title = "The switch interval, and CPU-bound threads against I/O latency"
    claim = ("the GIL is released every 5 ms when another thread asks for it; CPU-bound "
             "threads make I/O-bound threads wait (threads suit I/O-bound code better).")
    quote = "当前线程就会在5毫秒后被强制释放该锁"
    presets = {
        "default": Settings(),
        "tiny": Settings(intervals_ms=(1.0, 50.0), throughput_s=0.08, latency_s=0.25,
                         max_pings=60, min_pings=10, timeout_s=20.0),
    }

    @staticmethod
    def _steps_per_load(settings: Settings) -> int:
        # A one-thread baseline, then throughput and latency per interval.
        return 1 + 2 * len(settings.intervals_ms)

    def steps(self, settings: Settings) -> int:
        return len(LOADS) * self._steps_per_load(settings) + 1  # + the no-load floor

    def measure(self, settings: Settings, progress: Progress) -> dict[str, Any]:
        s = settings
        cores = usable_cores()
        latency_threads = max(1, cores - 1)
        data: dict[str, Any] = {
            "default_interval_s": sys.getswitchinterval(), "cores": cores,
            "throughput_threads": cores, "latency_threads": latency_threads,
            "loads": {}, "unavailable": {}}
        server = EchoServer(s.timeout_s)
        try:
            with script_channel("echo_client", server.port, s.timeout_s) as client:
                server.accept()
                floor = distribution(_latencies(client, s, sys.getswitchinterval()))
                data["no_load"] = floor
                progress("switch-interval: latency with no load")
                for load, factory in LOADS.items():
                    try:
                        work = factory()
                    except native.NativeUnavailable as exc:
                        data["unavailable"][load] = str(exc)
                        for _ in range(self._steps_per_load(s)):
                            progress(f"switch-interval: {load} load unavailable")
                        continue
                    data["loads"][load] = self._sweep(load, work, client, s, cores,
                                                      latency_threads, progress)
        finally:
            server.close()
        data["gil_enabled"] = gil_enabled()  # after the loads ran: neither turned it on
        return data

    def _sweep(self, load: str, work: Callable[[], None], client: LineChannel, s: Settings,
               cores: int, latency_threads: int, progress: Progress) -> dict[str, Any]:
        with running_load(work, 1, s.timeout_s) as done:
            time.sleep(s.throughput_s)
            calls, elapsed, cpu = done()
        alone, alone_per_cpu = calls / elapsed, calls / cpu
        progress(f"switch-interval: {load}, one thread alone")
        points = []
        for ms in s.intervals_ms:
            with switch_interval(ms / 1e3):
                with running_load(work, cores, s.timeout_s) as done:
                    time.sleep(s.throughput_s)
                    calls, elapsed, cpu = done()
                progress(f"switch-interval: {load}, {ms:g} ms, throughput")
                with running_load(work, latency_threads, s.timeout_s):
                    latency = distribution(_latencies(client, s, ms / 1e3))
                progress(f"switch-interval: {load}, {ms:g} ms, latency")
            # Work per CPU second against one thread alone is what switching costs; it
            # stays meaningful when other programs take CPU time (which blurs throughput).
            points.append({"interval_s": ms / 1e3, "calls_per_s": calls / elapsed,
                           "throughput_vs_one_thread": calls / elapsed / alone,
                           "work_per_cpu_vs_one_thread": calls / cpu / alone_per_cpu,
                           "cpu_per_wall": cpu / elapsed,
                           "latency": latency})
        return {"one_thread_calls_per_s": alone, "one_thread_calls_per_cpu_s": alone_per_cpu,
                "points": points}

    # -- reading the numbers ---------------------------------------------------------------
    def findings(self, result: StudyResult) -> list[Finding]:
        d = result.data
        loads = d["loads"]
        out = []
        default = d["default_interval_s"]
        if GIL_HOLDING in loads and NOGIL in loads:
            gil = _at(loads[GIL_HOLDING], default)
            free = _at(loads[NOGIL], default)
            r50 = gil["latency"]["median_s"] / free["latency"]["median_s"]
            ratio = gil["latency"]["p99_s"] / free["latency"]["p99_s"]
            # The median carries the verdict: p99 also catches waits for a CPU that other
            # programs on a busy machine cause, whatever the load does with the GIL.
            no_gil = d.get("gil_enabled") is False
            verdict = "gil-off" if no_gil else "convoy" if r50 > CONVOY_AT else "no convoy"
            at = (f"At the default {fmt_duration(default)} switch interval"
                  if math.isclose(gil["interval_s"], default) else
                  f"At a {fmt_duration(gil['interval_s'])} switch interval (the default is "
                  f"{fmt_duration(default)})")
            n = d["latency_threads"]
            out.append(Finding(
                kernel="switch-interval", kind="convoy-effect",
                sentence=(f"{at}, the responsive thread answered in "
                          f"{fmt_duration(gil['latency']['median_s'])} (p99 "
                          f"{fmt_duration(gil['latency']['p99_s'])}) beside "
                          f"{_threads(n, GIL_HOLDING)}, "
                          f"and in {fmt_duration(free['latency']['median_s'])} (p99 "
                          f"{fmt_duration(free['latency']['p99_s'])}) beside "
                          f"{_threads(n, NOGIL)} doing "
                          f"the same work ({fmt_duration(d['no_load']['median_s'])} with no load): "
                          + (f"the GIL was off in this interpreter (a free-threaded build), so "
                             f"the pure-Python threads held none; the median was "
                             f"{ratio_text(r50)} and p99 "
                             f"{ratio_text(ratio)} the nogil load's." if no_gil else
                             f"holding the GIL multiplied the median by {ratio_text(r50)} and "
                             f"p99 by {ratio_text(ratio)}.")),
                runs=(f"{GIL_HOLDING}@{gil['interval_s']}", f"{NOGIL}@{free['interval_s']}",
                      "no-load"),
                figures=(Figure("interval_s", gil["interval_s"], "s"),
                         Figure("gil_holding_p99_s", gil["latency"]["p99_s"], "s"),
                         Figure("nogil_p99_s", free["latency"]["p99_s"], "s"),
                         Figure("no_load_median_s", d["no_load"]["median_s"], "s"),
                         Figure("median_ratio", r50, "x"), Figure("p99_ratio", ratio, "x")),
                verdict=verdict, headline=True))
        for load, sweep in loads.items():
            points = sweep["points"]
            if len(points) > 1:
                slope = _loglog_slope([p["interval_s"] for p in points],
                                      [p["latency"]["median_s"] for p in points])
                first, last = points[0], points[-1]
                word = ("grew in proportion to" if slope > 0.7 else
                        "grew with" if slope > 0.3 else "did not follow")
                out.append(Finding(
                    kernel="switch-interval", kind="latency-vs-interval",
                    sentence=(f"Beside {_threads(d['latency_threads'], load)} the median latency "
                              f"{word} the switch interval (log-log slope {slope:.2f}): "
                              f"{fmt_duration(first['latency']['median_s'])} "
                              f"at {fmt_duration(first['interval_s'])}, "
                              f"{fmt_duration(last['latency']['median_s'])} at "
                              f"{fmt_duration(last['interval_s'])}."),
                    runs=tuple(f"{load}@{p['interval_s']}" for p in points),
                    context=(("load", load),), verdict=word,
                    figures=(Figure("slope", slope),)))
            per_cpu = [p["work_per_cpu_vs_one_thread"] for p in points]
            cpu = [p["cpu_per_wall"] for p in points]
            lo = min(points, key=lambda p: p["work_per_cpu_vs_one_thread"])
            parallel = ran_in_parallel(statistics.median(cpu))
            out.append(Finding(
                kernel="switch-interval", kind="switch-throughput",
                sentence=(f"{_threads(d['throughput_threads'], load)} did "
                          f"{min(per_cpu):.2f}-{max(per_cpu):.2f}x the work per CPU second of one "
                          f"thread alone (least at {fmt_duration(lo['interval_s'])}), using "
                          f"{min(cpu):.2f}-{max(cpu):.2f} CPU seconds per second: "
                          + ("they ran in parallel." if parallel else "they took turns.")),
                runs=tuple(f"{load}@{p['interval_s']}" for p in points),
                context=(("load", load),),
                verdict="parallel" if parallel else "serialised",
                figures=(Figure("min_work_per_cpu", min(per_cpu), "x"),
                         Figure("max_work_per_cpu", max(per_cpu), "x"),
                         Figure("min_cpu_per_wall", min(cpu)),
                         Figure("max_cpu_per_wall", max(cpu)))))
        for load, reason in d["unavailable"].items():
            out.append(Finding(kernel="switch-interval", kind="not-measured",
                               sentence=f"The {load} load was not measured: {reason}.",
                               context=(("load", load),), verdict="unavailable"))
        return out

    def tables(self, result: StudyResult) -> list[Table]:
        d = result.data
        rows = [(NO_LOAD, fmt_duration(d["default_interval_s"]), "-", "-", "-",
                 fmt_duration(d["no_load"]["median_s"]), fmt_duration(d["no_load"]["p99_s"]),
                 str(d["no_load"]["n"]))]
        for load, sweep in d["loads"].items():
            for p in sweep["points"]:
                lat = p["latency"]
                rows.append((load, fmt_duration(p["interval_s"]),
                             f"{p['throughput_vs_one_thread']:.2f}x",
                             f"{p['work_per_cpu_vs_one_thread']:.2f}x",
                             f"{p['cpu_per_wall']:.2f}",
                             fmt_duration(lat["median_s"]), fmt_duration(lat["p99_s"]),
                             str(lat["n"])))
        return [Table(("load", "switch interval",
                       f"throughput of {d['throughput_threads']} threads vs 1 alone",
                       "work per CPU second vs 1 alone",
                       "CPU/wall",
                       "echo latency p50", "p99", "pings"), tuple(rows),
                      f"Latency beside {d['latency_threads']} load thread(s); throughput of "
                      f"{d['throughput_threads']}")]

    def plot(self, result: StudyResult, out_dir: Path) -> list[Image]:
        from gilbench.report.plotstyle import legend_below, pyplot

        d = result.data
        if not d["loads"]:
            return []
        plt = pyplot()
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5.4), constrained_layout=True)
        colours = {GIL_HOLDING: "tab:red", NOGIL: "tab:blue"}
        xs_all = sorted({p["interval_s"] for sw in d["loads"].values() for p in sw["points"]})
        ax1.plot(xs_all, xs_all, color="0.7", lw=1, label="= the interval")
        ax1.axhline(d["no_load"]["median_s"], color="0.4", ls=":", lw=1,
                    label="no load (median)")
        for load, sweep in d["loads"].items():
            xs = [p["interval_s"] for p in sweep["points"]]
            ax1.plot(xs, [p["latency"]["median_s"] for p in sweep["points"]], "o-",
                     color=colours.get(load), label=f"{load} load, p50")
            ax1.plot(xs, [p["latency"]["p99_s"] for p in sweep["points"]], "s--",
                     color=colours.get(load), alpha=0.6, label=f"{load} load, p99")
            ax2.plot(xs, [p["work_per_cpu_vs_one_thread"] for p in sweep["points"]], "o-",
                     color=colours.get(load), label=f"{load}: work per CPU second")
            ax2.plot(xs, [p["throughput_vs_one_thread"] for p in sweep["points"]], "x:",
                     color=colours.get(load), alpha=0.6, label=f"{load}: work per second")
        ax1.set_xscale("log")
        ax1.set_yscale("log")
        ax1.set_xlabel("switch interval (s)")
        ax1.set_ylabel("echo round trip (s)")
        ax1.set_title("latency of a responsive thread beside CPU-bound threads")
        legend_below(ax1, ncol=2)
        ax1.grid(True, alpha=0.3)
        ax2.axhline(1, color="0.7", lw=1)
        ax2.set_xscale("log")
        ax2.set_xlabel("switch interval (s)")
        ax2.set_ylabel(f"{d['throughput_threads']} threads / one thread alone")
        ax2.set_title("throughput, and work per CPU second (what switching costs)")
        ax2.set_ylim(bottom=0)
        legend_below(ax2, ncol=2)
        ax2.grid(True, alpha=0.3)
        return self.save_plot(fig, out_dir,
                              "switch-interval: latency and throughput against the interval")


#: How a load's threads are called in sentences.
LOAD_WORDS = {GIL_HOLDING: "GIL-holding (pure-Python)", NOGIL: "nogil (Cython)"}


def _threads(n: int, load: str) -> str:
    """'1 GIL-holding (pure-Python) thread', '2 nogil (Cython) threads'."""
    return f"{n} {LOAD_WORDS.get(load, load)} thread{'s' if n != 1 else ''}"



def _at(sweep: dict[str, Any], interval_s: float) -> dict[str, Any]:
    """The point of ``sweep`` whose interval is closest to ``interval_s`` (log scale)."""
    return min(sweep["points"], key=lambda p: abs(math.log(p["interval_s"] / interval_s)))


def _loglog_slope(xs: list[float], ys: list[float]) -> float:
    lx, ly = np.log(xs), np.log(ys)
    return float(np.polyfit(lx, ly, 1)[0])


STUDY = SwitchIntervalStudy()
