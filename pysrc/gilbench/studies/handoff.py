"""Hand-off instruments of the ``costs`` study: one message to the other side and back,
timed between two threads (Event, Condition, queue.Queue) or two processes
(multiprocessing Pipe, Queue).

The measured calls are the idiom users write: a blocking ``recv()``, ``get()``, ``wait()``.
A timeout argument on them would change what is measured (``Connection.poll(timeout)``
then ``recv()`` costs twice a blocking ``recv()`` on Linux, ``Lock.acquire(timeout=...)``
takes the lock's timed path), so nothing hangs because of a watchdog instead (the
strategies' :class:`~gilbench.strategies.watchdog.Watchdog`): past the deadline, it wakes
the waiting side with a message of its own.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from gilbench.strategies.watchdog import Watchdog
from gilbench.studies.base import StudyError
from gilbench.studies.children import worker_processes


class HandoffSettings(Protocol):
    """What a hand-off measurement needs from a study's settings (see
    :class:`gilbench.studies.costs.Settings`)."""

    round_trips: int
    warmup_round_trips: int
    timeout_s: float


class EventChannel:
    """A one-way doorbell: ``send`` leaves a message and rings, ``recv`` waits for the
    ring, resets it and takes the message."""

    def __init__(self) -> None:
        self.bell = threading.Event()
        self.msg: Any = None

    def send(self, msg: Any) -> None:
        self.msg = msg
        self.bell.set()

    def recv(self) -> Any:
        self.bell.wait()
        self.bell.clear()
        return self.msg


class ConditionChannel:
    """A one-slot mailbox guarded by a Condition."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.slot: list[Any] = []

    def send(self, msg: Any) -> None:
        with self.cond:
            self.slot.append(msg)
            self.cond.notify()

    def recv(self) -> Any:
        with self.cond:
            self.cond.wait_for(lambda: self.slot)
            return self.slot.pop()


class QueueChannel:
    """A one-way channel over a queue (``queue.Queue`` or ``multiprocessing.Queue``): a
    blocking ``get()``, or, with ``guard_s``, the guarded form ``get(timeout=guard_s)``
    (kept only to measure what such a guard costs: see tests/test_watchdog.py)."""

    def __init__(self, q: Any, guard_s: float | None = None) -> None:
        self.q = q
        self.guard_s = guard_s

    def send(self, msg: Any) -> None:
        self.q.put(msg)

    def recv(self) -> Any:
        if self.guard_s is None:
            return self.q.get()
        try:
            return self.q.get(timeout=self.guard_s)
        except queue.Empty:
            return TIMED_OUT


class LockChannel:
    """A one-way channel over a ``threading.Lock`` held while the channel is empty:
    ``send`` leaves the message and releases, ``recv`` acquires, blocking or, with
    ``guard_s``, ``acquire(timeout=guard_s)`` (the lock's timed path; kept only to measure
    what it costs: see tests/test_watchdog.py)."""

    def __init__(self, guard_s: float | None = None) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.msg: Any = None
        self.guard_s = guard_s

    def send(self, msg: Any) -> None:
        self.msg = msg
        self.lock.release()

    def recv(self) -> Any:
        if self.guard_s is None:
            self.lock.acquire()
        elif not self.lock.acquire(timeout=self.guard_s):
            return TIMED_OUT
        return self.msg


class PipeEnd:
    """Both directions over one end of a ``multiprocessing.Pipe``: a blocking ``recv()``,
    or, with ``poll_s``, the guarded form ``poll(poll_s)`` then ``recv()`` (kept only to
    measure what such a guard costs: see tests/test_handoff.py)."""

    def __init__(self, conn: Any, poll_s: float | None = None) -> None:
        self.conn = conn
        self.poll_s = poll_s

    def send(self, msg: Any) -> None:
        self.conn.send(msg)

    def recv(self) -> Any:
        if self.poll_s is not None and not self.conn.poll(self.poll_s):
            return TIMED_OUT
        return self.conn.recv()


#: What a watchdog sends the waiting side when the deadline passes.
TIMED_OUT = "gilbench: timed out"


def _echo(inbox: Any, outbox: Any) -> None:
    """The other side of a ping-pong: send back every message until None."""
    while True:
        msg = inbox.recv()
        if msg is None or msg == TIMED_OUT:
            return
        outbox.send(msg)


def _echo_pipe(conn: Any, guard_s: float | None = None) -> None:
    end = PipeEnd(conn, guard_s)
    _echo(end, end)


def _echo_queues(q_in: Any, q_out: Any, guard_s: float | None = None) -> None:
    _echo(QueueChannel(q_in, guard_s), QueueChannel(q_out))


def round_trips(ping: Any, pong: Any, n: int, timeout: float,
                wake: Callable[[Any], None]) -> list[float]:
    """``n`` timed round trips: send on ``ping``, a blocking receive on ``pong``; a
    watchdog calls ``wake`` (which must reach ``pong``'s receiver) after ``timeout``."""
    clock = time.perf_counter
    times = []

    def send_timed_out(failure: BaseException, attempt: int) -> None:
        if attempt == 0:
            wake(TIMED_OUT)

    with Watchdog(lambda what: StudyError(f"no answer within {timeout:g} s in a {what}")) \
            as dog, dog.arm(timeout, "ping-pong", send_timed_out):
        for _ in range(n):
            t0 = clock()
            ping.send(1)
            answer = pong.recv()
            times.append(clock() - t0)
            if answer == TIMED_OUT:
                dog.check()
                raise StudyError(f"the other side timed out in a ping-pong ({timeout:g} s)")
    return times


def thread_handoff(make: Callable[[], Any], s: HandoffSettings) -> list[float]:
    """Round-trip times between this thread and an echoing one over two channels that
    ``make()`` builds, the warm-up round trips left out."""
    ping, pong = make(), make()
    echo = threading.Thread(target=_echo, args=(ping, pong), daemon=True)
    echo.start()
    try:
        return round_trips(ping, pong, s.warmup_round_trips + s.round_trips, s.timeout_s,
                           pong.send)[s.warmup_round_trips:]
    finally:
        ping.send(None)
        echo.join(s.timeout_s)


def process_handoff(kind: str, s: HandoffSettings, *,
                    guard_s: float | None = None) -> list[float]:
    """Round-trip times between this process and an echoing child over a ``"pipe"`` or
    two ``"queue"``s (the default start method), the warm-up round trips left out.

    ``guard_s`` guards every receive, both sides, with ``poll(guard_s)`` (pipe) or a
    ``get(timeout=guard_s)`` (queue): the form an instrument must not use, measured only
    to know what it would add."""
    ctx = mp.get_context()
    if kind == "pipe":
        mine, theirs = ctx.Pipe()
        ping = pong = PipeEnd(mine, guard_s)
        # The watchdog speaks from the child's end, which this process keeps open.
        target, args, wake = _echo_pipe, [(theirs, guard_s)], theirs.send
    else:
        q_ping, q_pong = ctx.Queue(), ctx.Queue()
        ping, pong = QueueChannel(q_ping), QueueChannel(q_pong, guard_s)
        target, args, wake = _echo_queues, [(q_ping, q_pong, guard_s)], q_pong.put
    with worker_processes(ctx, target, args, timeout=s.timeout_s):
        try:
            times = round_trips(ping, pong, s.warmup_round_trips + s.round_trips,
                                s.timeout_s, wake)
        finally:
            ping.send(None)
    return times[s.warmup_round_trips:]


__all__ = ["TIMED_OUT", "ConditionChannel", "EventChannel", "HandoffSettings", "PipeEnd",
           "LockChannel", "QueueChannel", "process_handoff", "round_trips", "thread_handoff"]
