"""Study ``contention``: threads against serial, for CPU-bound and for I/O-bound work,
on every core and pinned to one core (``os.sched_setaffinity``), plus asyncio for I/O.

CPU-bound: a pure-Python loop split over one thread per core. I/O-bound: many tasks that
each wait, either in ``time.sleep`` or on a loopback socket whose server (another
process) answers after a delay.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gilbench.analysis import Figure, Finding
from gilbench.plan import usable_cores
from gilbench.report.markdown import Image
from gilbench.studies.base import Progress, Study, StudyError, StudyResult, Table
from gilbench.studies.children import script_channel
from gilbench.studies.timing import fmt_duration, ran_in_parallel, ratio_text

#: Within this relative margin two times are the same.
SAME = 0.05

SERIAL, THREADS, PINNED, ASYNCIO = "serial", "threads", "threads, pinned to one core", "asyncio"


@dataclass(frozen=True)
class Settings:
    cpu_iterations: int = 6_000_000
    io_tasks: int = 20
    io_wait_s: float = 0.01
    repeats: int = 3
    timeout_s: float = 60.0


def pinning_unavailable() -> str | None:
    """Why threads cannot be pinned here, or None."""
    if not hasattr(os, "sched_setaffinity"):
        return "os.sched_setaffinity does not exist on this platform"
    return None


@contextmanager
def pinned_to_one_core() -> Iterator[int]:
    """Pin the calling thread (and the threads it starts inside) to its first usable core.

    On Linux affinity is per thread and inherited at creation, so the threads started
    inside stay pinned; the caller's own affinity is restored on the way out.
    """
    before = os.sched_getaffinity(0)
    core = min(before)
    os.sched_setaffinity(0, {core})
    try:
        yield core
    finally:
        os.sched_setaffinity(0, before)


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def _in_threads(tasks: list[Callable[[], object]], timeout: float) -> None:
    errors: list[BaseException] = []

    def run(task: Callable[[], object]) -> None:
        try:
            task()
        except BaseException as exc:  # noqa: BLE001 - reported by the caller below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,), daemon=True) for t in tasks]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in threads):
        raise StudyError(f"threads did not finish within {timeout:g} s")
    if errors:
        raise StudyError(f"a task failed: {type(errors[0]).__name__}: {errors[0]}")


def _fetch(port: int, timeout: float) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"x")
        if sock.recv(1) != b"x":
            raise ConnectionError("the delay server closed the connection early")


async def _fetch_async(port: int, timeout: float) -> None:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port),
                                            timeout)
    try:
        writer.write(b"x")
        if await asyncio.wait_for(reader.read(1), timeout) != b"x":
            raise ConnectionError("the delay server closed the connection early")
    finally:
        writer.close()


class Workload:
    """One workload: its tasks, run serially, in threads (pinned or not) or by asyncio."""

    def __init__(self, name: str, tasks: Callable[[], list[Callable[[], object]]],
                 coroutines: Callable[[], list] | None = None) -> None:
        self.name = name
        self.tasks = tasks
        self.coroutines = coroutines

    def variants(self, pinning: bool) -> list[str]:
        return ([SERIAL, THREADS] + ([PINNED] if pinning else [])
                + ([ASYNCIO] if self.coroutines else []))

    def run(self, variant: str, timeout: float) -> tuple[float, float]:
        """(wall seconds, CPU seconds of this process) for every task of the workload,
        run as ``variant``."""
        if variant == ASYNCIO:
            async def gather() -> None:
                await asyncio.wait_for(asyncio.gather(*self.coroutines()), timeout)

            t0, c0 = time.perf_counter(), time.process_time()
            asyncio.run(gather())
            return time.perf_counter() - t0, time.process_time() - c0
        tasks = self.tasks()
        with pinned_to_one_core() if variant == PINNED else nullcontext():
            t0, c0 = time.perf_counter(), time.process_time()
            if variant == SERIAL:
                for task in tasks:
                    task()
            else:
                _in_threads(tasks, timeout)
            return time.perf_counter() - t0, time.process_time() - c0


CPU, SLEEP, SOCKET = "cpu-bound", "I/O: time.sleep", "I/O: loopback socket"


def workloads(s: Settings, cores: int, port: int) -> list[Workload]:
    """The three workloads, sized by ``s``; the socket one talks to the server at ``port``."""
    share = s.cpu_iterations // cores
    return [
        Workload(CPU, lambda: [lambda: _spin(share)] * cores),
        Workload(SLEEP, lambda: [lambda: time.sleep(s.io_wait_s)] * s.io_tasks,
                 lambda: [asyncio.sleep(s.io_wait_s) for _ in range(s.io_tasks)]),
        Workload(SOCKET, lambda: [lambda: _fetch(port, s.timeout_s)] * s.io_tasks,
                 lambda: [_fetch_async(port, s.timeout_s) for _ in range(s.io_tasks)]),
    ]


class ContentionStudy(Study):
    name = "contention"
    title = "Threads for CPU-bound and for I/O-bound work, pinned or not"
    claim = ("Python threads do not run CPU-bound code in parallel and thrash on several "
             "cores (pin them to one core); they, and coroutines, suit I/O-bound code.")
    quote = "指定cpu运行线程; 全IO密集型任务时才使用多线程; 使用协程"
    presets = {"default": Settings(),
               "tiny": Settings(cpu_iterations=300_000, io_tasks=8, io_wait_s=0.005,
                                repeats=3, timeout_s=30.0)}

    def steps(self, settings: Settings) -> int:
        pinning = pinning_unavailable() is None
        # cpu: serial, threads, pinned; each I/O workload adds asyncio.
        return 3 * (2 + pinning) + 2

    def measure(self, settings: Settings, progress: Progress) -> dict[str, Any]:
        s = settings
        cores = max(2, usable_cores())
        pinning = pinning_unavailable()
        results: dict[str, dict[str, Any]] = {}
        with script_channel("delay_server", s.io_wait_s) as server:
            port = int(server.read_line(s.timeout_s, "report its port"))
            for workload in workloads(s, cores, port):
                results[workload.name] = {}
                for variant in workload.variants(pinning is None):
                    workload.run(variant, s.timeout_s)  # warm: imports, first connects
                    runs = [workload.run(variant, s.timeout_s) for _ in range(s.repeats)]
                    times = [wall for wall, _ in runs]
                    results[workload.name][variant] = {
                        "median_s": statistics.median(times), "times_s": times,
                        "cpu_per_wall": statistics.median(cpu / wall for wall, cpu in runs)}
                    progress(f"contention: {workload.name}, {variant}")
        return {"threads": cores, "usable_cores": usable_cores(),
                "pinning_unavailable": pinning, "cpu_iterations": s.cpu_iterations,
                "io_tasks": s.io_tasks, "io_wait_s": s.io_wait_s, "workloads": results}

    # -- reading the numbers ---------------------------------------------------------------
    def findings(self, result: StudyResult) -> list[Finding]:
        d = result.data
        w = d["workloads"]
        out = []
        cpu = {k: v["median_s"] for k, v in w[CPU].items()}
        used = w[CPU][THREADS]["cpu_per_wall"]
        speedup = cpu[SERIAL] / cpu[THREADS]
        verdict = "parallel" if ran_in_parallel(used) else "serialised"
        out.append(Finding(
            kernel="contention", kind="cpu-threads-vs-serial",
            sentence=(f"CPU-bound pure Python: {d['threads']} threads took "
                      f"{fmt_duration(cpu[THREADS])} against {fmt_duration(cpu[SERIAL])} "
                      f"serially ({speedup:.2f}x the speed), "
                      f"using {used:.2f} CPU seconds per second: "
                      + ("they ran in parallel." if verdict == "parallel" else
                         "one ran at a time (the GIL serialises them).")),
            runs=(f"{CPU}/{SERIAL}", f"{CPU}/{THREADS}"), verdict=verdict, headline=True,
            figures=(Figure("serial_s", cpu[SERIAL], "s"),
                     Figure("threads_s", cpu[THREADS], "s"),
                     Figure("speedup", speedup, "x"), Figure("cpu_per_wall", used))))
        if PINNED in cpu:
            gain = cpu[THREADS] / cpu[PINNED]
            verdict = ("pinning helps" if gain > 1 + SAME else
                       "pinning hurts" if gain < 1 - SAME else "pinning makes no difference")
            out.append(Finding(
                kernel="contention", kind="pinning",
                sentence=(f"Pinned to one core, the same threads took "
                          f"{fmt_duration(cpu[PINNED])}, "
                          f"{gain:.2f}x the speed of the unpinned ones: {verdict}"
                          + (" (one usable core: nothing to pin away from)"
                             if d["usable_cores"] < 2 else "") + "."),
                runs=(f"{CPU}/{THREADS}", f"{CPU}/{PINNED}"), verdict=verdict, headline=True,
                figures=(Figure("pinned_s", cpu[PINNED], "s"), Figure("gain", gain, "x"))))
        elif d["pinning_unavailable"]:
            out.append(Finding(kernel="contention", kind="not-measured",
                               sentence=f"Pinning was not measured: {d['pinning_unavailable']}.",
                               verdict="unavailable"))
        for name in (SLEEP, SOCKET):
            io = {k: v["median_s"] for k, v in w[name].items()}
            others = [v for v in io if v != SERIAL]
            best = min(others, key=io.get)
            out.append(Finding(
                kernel="contention", kind="io-overlap",
                sentence=(f"{name}, {d['io_tasks']} waits of {fmt_duration(d['io_wait_s'])}: "
                          f"serially {fmt_duration(io[SERIAL])}; "
                          + ", ".join(f"{v} {fmt_duration(io[v])} "
                                      f"({ratio_text(io[SERIAL] / io[v])} faster)"
                                      for v in others)
                          + f": waiting overlaps, {best} fastest."),
                runs=tuple(f"{name}/{v}" for v in io), context=(("workload", name),),
                verdict=f"{best} fastest", headline=True,
                figures=tuple(Figure(f"{v}_s", t, "s") for v, t in io.items())))
        return out

    def tables(self, result: StudyResult) -> list[Table]:
        d = result.data
        rows = []
        for name, variants in d["workloads"].items():
            serial = variants[SERIAL]["median_s"]
            for variant, v in variants.items():
                spread = (f"{fmt_duration(min(v['times_s']))}-{fmt_duration(max(v['times_s']))}"
                          if len(v["times_s"]) > 1 else "-")
                rows.append((name, variant, fmt_duration(v["median_s"]),
                             f"{serial / v['median_s']:.2f}x", f"{v['cpu_per_wall']:.2f}",
                             spread))
        return [Table(("workload", "run as", "median", "speed vs serial", "CPU/wall", "range"),
                      tuple(rows),
                      f"{d['threads']} threads for CPU-bound work, {d['io_tasks']} tasks "
                      "for I/O")]

    def plot(self, result: StudyResult, out_dir: Path) -> list[Image]:
        from gilbench.report.plots import pyplot

        w = result.data["workloads"]
        plt = pyplot()
        fig, axes = plt.subplots(1, len(w), figsize=(13, 3.8), constrained_layout=True)
        colours = {SERIAL: "0.55", THREADS: "tab:blue", PINNED: "tab:purple",
                   ASYNCIO: "tab:green"}
        for ax, (name, variants) in zip(axes, w.items(), strict=True):
            labels = list(variants)
            ax.bar(range(len(labels)), [variants[v]["median_s"] for v in labels],
                   color=[colours[v] for v in labels])
            ax.set_xticks(range(len(labels)), [v.replace(", ", ",\n") for v in labels],
                          fontsize=8)
            ax.set_ylabel("median wall time (s)")
            ax.set_title(name)
            ax.grid(True, axis="y", alpha=0.3)
        return self.save_plot(fig, out_dir,
                              "contention: serial, threads, pinned threads and asyncio")


STUDY = ContentionStudy()
