"""What a worker costs, measured in a minimal interpreter (standard library, plus psutil).

    python -I workers.py create KIND N     start and join N no-op workers, one at a time
    python -I workers.py memory KIND N     park N workers, then read their memory
    python -I workers.py crash SCENARIO    a worker dies; does its parent survive?

KIND is ``thread`` or a multiprocessing start method; SCENARIO is ``process-exit``,
``process-segfault`` or ``thread-segfault``. The report is one JSON line on stdout. The
parent runs this script in a process group of its own and kills the group afterwards, so
nothing started here can outlive it. Every wait has a timeout.
"""

import ctypes
import json
import multiprocessing as mp
import os
import resource
import sys
import threading
import time

#: No single wait on a worker may take longer than this.
TIMEOUT_S = 60.0


def _start(kind, target, args=()):
    if kind == "thread":
        worker = threading.Thread(target=target, args=args)
    else:
        worker = mp.get_context(kind).Process(target=target, args=args)
    worker.start()
    return worker


def _join(worker):
    worker.join(TIMEOUT_S)
    if worker.is_alive():
        raise SystemExit(f"a worker did not finish within {TIMEOUT_S:g} s")
    if getattr(worker, "exitcode", 0) != 0:
        raise SystemExit(f"a worker failed with exit code {worker.exitcode}")


def create(kind, n):
    """Time start + join of a worker that does nothing (os.getpid), ``n`` times, after a
    first, cold one (forkserver starts its server then; every kind warms its imports)."""
    clock = time.perf_counter
    t0 = clock()
    _join(_start(kind, os.getpid))
    cold = clock() - t0
    times = []
    for _ in range(n):
        t0 = clock()
        _join(_start(kind, os.getpid))
        times.append(clock() - t0)
    return {"kind": kind, "cold_s": cold, "times_s": times}


def _park(ready, stop):
    ready.put(os.getpid())
    stop.wait(TIMEOUT_S)


def memory(kind, n):
    """Park ``n`` idle workers and read memory: a thread's cost is what it adds to this
    process (USS, i.e. pages no other process shares); a process's is its own USS and PSS
    (shared pages split between the processes sharing them)."""
    import queue

    import psutil

    me = psutil.Process()
    if kind == "thread":
        ready, stop = queue.Queue(), threading.Event()
    else:
        ctx = mp.get_context(kind)
        ready, stop = ctx.Queue(), ctx.Event()
    _join(_start(kind, os.getpid))  # warm: thread machinery, forkserver's server, imports
    before = me.memory_full_info().uss
    workers = [_start(kind, _park, (ready, stop)) for _ in range(n)]
    try:
        pids = [ready.get(timeout=TIMEOUT_S) for _ in range(n)]
        parent_delta = me.memory_full_info().uss - before
        if kind == "thread":
            report = {"kind": kind, "workers": n, "uss_bytes": [parent_delta / n] * n,
                      "pss_bytes": None, "parent_delta_bytes": parent_delta}
        else:
            infos = [psutil.Process(pid).memory_full_info() for pid in pids]
            report = {"kind": kind, "workers": n, "uss_bytes": [i.uss for i in infos],
                      "pss_bytes": [i.pss for i in infos], "rss_bytes": [i.rss for i in infos],
                      "parent_delta_bytes": parent_delta}
    finally:
        stop.set()
    for w in workers:
        _join(w)
    return report


def _segfault():
    ctypes.string_at(0)  # reads address 0: SIGSEGV in native code, no Python exception


def _exit_abruptly():
    os._exit(3)


def crash(scenario):
    """A worker dies. Processes: the parent reports the worker's exit code and lives on.
    Threads: the segfault takes this whole process down, so the final line never prints
    (the caller reads the exit signal instead)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core files from the demonstration
    print(json.dumps({"stage": "started", "pid": os.getpid()}), flush=True)
    if scenario == "thread-segfault":
        _join(_start("thread", _segfault))
        return {"scenario": scenario, "parent_alive": True}
    target = {"process-exit": _exit_abruptly, "process-segfault": _segfault}[scenario]
    worker = _start(mp.get_start_method(), target)
    worker.join(TIMEOUT_S)
    return {"scenario": scenario, "start_method": mp.get_start_method(),
            "worker_exitcode": worker.exitcode, "parent_alive": True}


def main(argv):
    command, arg = argv[0], argv[1]
    if command == "crash":
        report = crash(arg)
    else:
        report = {"create": create, "memory": memory}[command](arg, int(argv[2]))
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
