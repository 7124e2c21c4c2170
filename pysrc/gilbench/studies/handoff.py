"""Hand-off instruments of the ``costs`` study: one message to the other side and back,
timed between two threads (Event, Condition, queue.Queue) or two processes
(multiprocessing Pipe, Queue).

The measured calls are the idiom users write: a blocking ``recv()``, ``get()``, ``wait()``.
A timeout argument on them would change what is measured (``Connection.poll(timeout)``
then ``recv()`` costs twice a blocking ``recv()`` on Linux, ``Lock.acquire(timeout=...)``
takes the lock's timed path), so nothing hangs because of a :class:`Watchdog` instead: a
timer that, past the deadline, wakes the waiting side with a message of its own.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

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
    """A one-way channel over a queue (``queue.Queue`` or ``multiprocessing.Queue``)."""

    def __init__(self, q: Any) -> None:
        self.q = q

    def send(self, msg: Any) -> None:
        self.q.put(msg)

    def recv(self) -> Any:
        return self.q.get()


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


class Watchdog:
    """A timer: unless cancelled (leaving the ``with`` block) within ``timeout_s``, it
    sends :data:`TIMED_OUT` through ``wake`` so that a blocking receive returns."""

    def __init__(self, timeout_s: float, wake: Callable[[Any], None]) -> None:
        self.fired = False

        def fire() -> None:
            self.fired = True
            wake(TIMED_OUT)

        self.timer = threading.Timer(timeout_s, fire)
        self.timer.daemon = True

    def __enter__(self) -> Watchdog:
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.cancel()


def _echo(inbox: Any, outbox: Any) -> None:
    """The other side of a ping-pong: send back every message until None."""
    while True:
        msg = inbox.recv()
        if msg is None or msg == TIMED_OUT:
            return
        outbox.send(msg)


def _echo_pipe(conn: Any, poll_s: float | None = None) -> None:
    end = PipeEnd(conn, poll_s)
    _echo(end, end)


def _echo_queues(q_in: Any, q_out: Any) -> None:
    _echo(QueueChannel(q_in), QueueChannel(q_out))


def round_trips(ping: Any, pong: Any, n: int, timeout: float,
                wake: Callable[[Any], None]) -> list[float]:
    """``n`` timed round trips: send on ``ping``, a blocking receive on ``pong``; a
    watchdog calls ``wake`` (which must reach ``pong``'s receiver) after ``timeout``."""
    clock = time.perf_counter
    times = []
    with Watchdog(timeout, wake):
        for _ in range(n):
            t0 = clock()
            ping.send(1)
            answer = pong.recv()
            times.append(clock() - t0)
            if answer == TIMED_OUT:
                raise StudyError(f"no answer within {timeout:g} s in a ping-pong")
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
                    poll_s: float | None = None) -> list[float]:
    """Round-trip times between this process and an echoing child over a ``"pipe"`` or
    two ``"queue"``s (the default start method), the warm-up round trips left out.

    ``poll_s`` (pipe only) guards every receive with ``poll(poll_s)``, both sides: the
    form an instrument must not use, measured only to know what it would add."""
    ctx = mp.get_context()
    if kind == "pipe":
        mine, theirs = ctx.Pipe()
        ping = pong = PipeEnd(mine, poll_s)
        # The watchdog speaks from the child's end, which this process keeps open.
        target, args, wake = _echo_pipe, [(theirs, poll_s)], theirs.send
    else:
        q_ping, q_pong = ctx.Queue(), ctx.Queue()
        ping, pong = QueueChannel(q_ping), QueueChannel(q_pong)
        target, args, wake = _echo_queues, [(q_ping, q_pong)], q_pong.put
    with worker_processes(ctx, target, args, timeout=s.timeout_s):
        try:
            times = round_trips(ping, pong, s.warmup_round_trips + s.round_trips,
                                s.timeout_s, wake)
        finally:
            ping.send(None)
    return times[s.warmup_round_trips:]


__all__ = ["TIMED_OUT", "ConditionChannel", "EventChannel", "HandoffSettings", "PipeEnd",
           "QueueChannel", "Watchdog", "process_handoff", "round_trips", "thread_handoff"]
