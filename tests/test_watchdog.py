"""The watchdog that guards the strategies' blocking waits (pysrc/gilbench/strategies/
watchdog.py): it wakes a waiter blocked without a timeout at its deadline or when a watched
worker exits, and stays silent otherwise; and what a timeout on the waiting call would have
cost, measured beside the blocking form (for a Pipe, see tests/test_handoff.py)."""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from gilbench.strategies.watchdog import Watchdog, future_results
from gilbench.studies.handoff import (
    TIMED_OUT,
    LockChannel,
    QueueChannel,
    process_handoff,
    thread_handoff,
)

ROOT = Path(__file__).resolve().parents[1]


class Failed(RuntimeError):
    pass


def timeout_error(what):
    return Failed(f"did not {what} in time")


def exit_error(proc, what):
    return Failed(f"worker {proc.pid} exited with code {proc.exitcode} during {what}")


def put_failure(q):
    """A wake that puts the failure on the queue the waiter reads, once."""
    def wake(failure, attempt):
        if attempt == 0:
            q.put(failure)
    return wake


def receive(q, dog):
    message = q.get()  # blocking: only the wake ends it
    if isinstance(message, Failed):
        dog.check()
    return message


def test_the_deadline_wakes_a_blocking_get_with_the_timeout_error():
    q = queue.SimpleQueue()
    with Watchdog(timeout_error) as dog:
        t0 = time.monotonic()
        with pytest.raises(Failed, match="did not answer in time"), \
                dog.arm(0.3, "answer", put_failure(q)):
            receive(q, dog)
        took = time.monotonic() - t0
    assert 0.3 <= took < 5


def test_a_disarmed_watchdog_stays_silent():
    woken = threading.Event()
    with Watchdog(timeout_error) as dog:
        with dog.arm(0.05, "answer", lambda failure, attempt: woken.set()):
            pass
        time.sleep(0.3)
        assert not woken.is_set() and dog.failure is None
    assert not dog._thread.is_alive()  # closed: the monitor thread has left


def test_a_shorter_deadline_after_a_longer_one_is_kept():
    # The monitor sleeps until the deadline it knows; an earlier one must reach it.
    q = queue.SimpleQueue()
    with Watchdog(timeout_error) as dog:
        with dog.arm(60, "answer", put_failure(q)):
            pass
        t0 = time.monotonic()
        with pytest.raises(Failed), dog.arm(0.2, "answer", put_failure(q)):
            receive(q, dog)
        assert time.monotonic() - t0 < 5


def test_the_wake_is_repeated_until_the_waiter_disarms():
    # A waiter that was not blocked yet when the first wake came (between two calls) is
    # woken by a later one: here it starts waiting only after the first.
    cond = threading.Condition()
    attempts = []

    def wake(failure, attempt):
        attempts.append(attempt)
        with cond:
            cond.notify_all()

    with Watchdog(timeout_error) as dog, dog.arm(0.1, "answer", wake):
        while not attempts:
            time.sleep(0.01)
        with cond:
            assert cond.wait(timeout=5)  # a repeat came
        with pytest.raises(Failed):
            dog.check()
    assert attempts[:2] == [0, 1]


def _leave(code):
    raise SystemExit(code)


def test_a_worker_that_exits_fails_the_armed_wait_at_once():
    proc = mp.get_context().Process(target=time.sleep, args=(0.3,))
    proc.start()
    q = queue.SimpleQueue()
    try:
        with Watchdog(timeout_error, exit_error) as dog:
            dog.watch([proc])
            t0 = time.monotonic()
            with pytest.raises(Failed, match=rf"worker {proc.pid} exited with code 0 "
                                             "during run 4 chunks"), \
                    dog.arm(60, "run 4 chunks", put_failure(q)):
                receive(q, dog)
            assert time.monotonic() - t0 < 10  # not the deadline
    finally:
        proc.join(5)


def test_a_worker_that_exited_between_waits_fails_the_next_one():
    proc = mp.get_context().Process(target=_leave, args=(3,))
    proc.start()
    proc.join(10)
    with Watchdog(timeout_error, exit_error) as dog:
        dog.watch([proc])
        time.sleep(0.2)  # the monitor notices while nothing is armed
        with pytest.raises(Failed, match="exited with code 3 during the next map"):
            dog.arm(60, "the next map", put_failure(queue.SimpleQueue()))


def test_future_results_blocks_until_the_deadline_then_raises():
    never: Future = Future()
    with Watchdog(timeout_error) as dog, pytest.raises(Failed, match="finish in time"):
        future_results(dog, [never], 0.2, "finish")


def test_future_results_passes_a_chunks_own_timeout_error_on():
    # A TimeoutError raised by the work itself is an answer, not a wake: no waiting again.
    def chunk():
        raise TimeoutError("the chunk's own")

    with ThreadPoolExecutor(1) as pool, Watchdog(timeout_error) as dog:
        futures = [pool.submit(lambda: 1), pool.submit(chunk)]
        with pytest.raises(TimeoutError, match="the chunk's own"):
            future_results(dog, futures, 30, "finish")


# -- what a timeout on the waiting call costs: both forms measured, neither asserted ------
@dataclass
class Quick:
    round_trips: int = 200
    warmup_round_trips: int = 20
    timeout_s: float = 30.0


def test_a_queue_get_with_a_timeout_is_measured_beside_the_blocking_one(capsys):
    # multiprocessing.Queue.get(timeout=...) polls its pipe before reading it; get()
    # reads it at once. Both must work; medians are printed, not asserted.
    blocking = process_handoff("queue", Quick())
    guarded = process_handoff("queue", Quick(), guard_s=30.0)
    assert len(blocking) == len(guarded) == 200
    assert all(t > 0 for t in blocking + guarded)
    with capsys.disabled():
        print(f"\nmultiprocessing.Queue round trip: get() {statistics.median(blocking) * 1e6:.0f}"
              f" us, get(timeout) {statistics.median(guarded) * 1e6:.0f} us")


def test_a_lock_acquire_with_a_timeout_is_measured_beside_the_blocking_one(capsys):
    blocking = thread_handoff(LockChannel, Quick())
    guarded = thread_handoff(lambda: LockChannel(guard_s=30.0), Quick())
    assert len(blocking) == len(guarded) == 200
    assert all(t > 0 for t in blocking + guarded)
    with capsys.disabled():
        print(f"\nthreading.Lock hand-off: acquire() {statistics.median(blocking) * 1e6:.1f} "
              f"us, acquire(timeout) {statistics.median(guarded) * 1e6:.1f} us")


def test_a_guarded_receive_that_gets_nothing_says_so():
    # The guarded forms end on their own timeout with the watchdog's marker, not a hang.
    assert LockChannel(guard_s=0.05).recv() == TIMED_OUT
    assert QueueChannel(queue.Queue(), guard_s=0.05).recv() == TIMED_OUT


def test_the_instrument_benchmarks_run():
    # benchmarks/instruments.py times both forms with pytest-benchmark (run by name, see
    # its docstring); here each case runs once, timing disabled.
    pytest.importorskip("pytest_benchmark")
    args = [sys.executable, "-m", "pytest", str(ROOT / "benchmarks" / "instruments.py"),
            "--benchmark-disable", "-q", "-p", "no:cacheprovider"]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "pytest_benchmark.plugin"]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout, done.stdout[-2000:]
