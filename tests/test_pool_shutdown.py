"""Killing a pool ends, whatever its workers were doing: the hazards behind a SIGTERM that
once hung ``gilbench advise`` (and with it CI), each set up on purpose here."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import struct
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from gilbench.interrupts import detach_worker
from gilbench.strategies.pools import TERMINATE_GRACE_S, finish_pool
from gilbench.strategies.processes import EXECUTOR_WIND_UP_S, shutdown_executor

FORK = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
needs_fork = pytest.mark.skipif(FORK is None, reason="needs the fork start method")


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _ignore_signals(parent: int) -> None:
    detach_worker(parent)  # as gilbench's workers do: SIGTERM is left to the parent


def _finished_within(seconds: float, call) -> float:
    """Run ``call`` on a daemon thread; its duration, failing the test if it hangs."""
    done = threading.Event()
    t0 = time.monotonic()
    threading.Thread(target=lambda: (call(), done.set()), daemon=True).start()
    assert done.wait(seconds), f"still shutting down after {seconds} s"
    return time.monotonic() - t0


def _die_half_way_through_a_result(_: object) -> None:
    """Start a 1 MiB result message on the pool's result pipe, write 10 bytes of it and
    die: what a worker killed while sending a large result leaves behind."""
    frame = sys._getframe()
    while frame is not None and "result_queue" not in frame.f_locals:
        frame = frame.f_back
    assert frame is not None, "not in a ProcessPoolExecutor worker"
    writer = frame.f_locals["result_queue"]._writer
    os.write(writer.fileno(), struct.pack("!i", 1 << 20) + b"x" * 10)
    os.kill(os.getpid(), signal.SIGKILL)


@needs_fork
def test_killing_an_executor_waiting_for_the_rest_of_a_half_written_result_ends():
    # The pool's thread reads the message's header, then waits for 1 MiB that never comes:
    # this process still holds a write end of the pipe, so no end-of-file either.
    pool = ProcessPoolExecutor(2, mp_context=FORK, initializer=_ignore_signals,
                               initargs=(os.getpid(),))
    other = pool.submit(_sleep, 60)
    doomed = pool.submit(_die_half_way_through_a_result, None)
    time.sleep(1.0)
    assert not doomed.done()  # the pool has not noticed: its thread is stuck reading
    took = _finished_within(4 * EXECUTOR_WIND_UP_S,
                            lambda: shutdown_executor(pool, kill=True))
    assert other.done() and doomed.done()  # failed (broken pool), not left pending
    assert took < 4 * EXECUTOR_WIND_UP_S


@needs_fork
def test_terminating_a_pool_whose_workers_ignore_sigterm_ends():
    before = set(mp.active_children())
    pool = FORK.Pool(2, initializer=_ignore_signals, initargs=(os.getpid(),))
    pool.map_async(_sleep, [60, 60])
    time.sleep(0.5)
    workers = list(pool._pool)
    assert all(w.is_alive() for w in workers)
    # Pool.terminate alone SIGTERMs the workers and joins them: here, for ever.
    _finished_within(30, lambda: finish_pool(pool.terminate, pool, workers, before,
                                             TERMINATE_GRACE_S))
    assert not any(w.is_alive() for w in workers)
    assert all(w.exitcode == -signal.SIGKILL for w in workers)
