"""Hand-off instruments of the ``costs`` study: one message to the other side and back,
timed between two threads (Event, Condition, queue.Queue) or two processes
(multiprocessing Pipe, Queue).
"""

from __future__ import annotations

import multiprocessing as mp
import queue
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
    """A one-way doorbell: ``send`` rings it, ``recv`` waits for the ring and resets it."""

    def __init__(self) -> None:
        self.bell = threading.Event()
        self.closed = False

    def send(self, msg: Any) -> None:
        self.closed = msg is None
        self.bell.set()

    def recv(self, timeout: float) -> Any:
        if not self.bell.wait(timeout):
            raise TimeoutError
        self.bell.clear()
        return None if self.closed else 1


class ConditionChannel:
    """A one-slot mailbox guarded by a Condition."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.slot: list[Any] = []

    def send(self, msg: Any) -> None:
        with self.cond:
            self.slot.append(msg)
            self.cond.notify()

    def recv(self, timeout: float) -> Any:
        with self.cond:
            if not self.cond.wait_for(lambda: self.slot, timeout):
                raise TimeoutError
            return self.slot.pop()


class QueueChannel:
    """A one-way channel over a queue (``queue.Queue`` or ``multiprocessing.Queue``)."""

    def __init__(self, q: Any) -> None:
        self.q = q

    def send(self, msg: Any) -> None:
        self.q.put(msg)

    def recv(self, timeout: float) -> Any:
        try:
            return self.q.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None


class _PipeEnd:
    """Both directions over one end of a ``multiprocessing.Pipe``."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def send(self, msg: Any) -> None:
        self.conn.send(msg)

    def recv(self, timeout: float) -> Any:
        if not self.conn.poll(timeout):
            raise TimeoutError
        return self.conn.recv()


def _echo(inbox: Any, outbox: Any, timeout: float) -> None:
    """The other side of a ping-pong: send back every message until None (or silence)."""
    while True:
        try:
            msg = inbox.recv(timeout)
        except TimeoutError:
            return
        if msg is None:
            return
        outbox.send(msg)


def _echo_pipe(conn: Any, timeout: float) -> None:
    end = _PipeEnd(conn)
    _echo(end, end, timeout)


def _echo_queues(q_in: Any, q_out: Any, timeout: float) -> None:
    _echo(QueueChannel(q_in), QueueChannel(q_out), timeout)


def _round_trips(ping: Any, pong: Any, n: int, timeout: float) -> list[float]:
    clock = time.perf_counter
    times = []
    for _ in range(n):
        t0 = clock()
        ping.send(1)
        try:
            pong.recv(timeout)
        except TimeoutError:
            raise StudyError(f"no answer within {timeout:g} s in a ping-pong") from None
        times.append(clock() - t0)
    return times


def thread_handoff(make: Callable[[], Any], s: HandoffSettings) -> list[float]:
    """Round-trip times between this thread and an echoing one over two channels that
    ``make()`` builds, the warm-up round trips left out."""
    ping, pong = make(), make()
    echo = threading.Thread(target=_echo, args=(ping, pong, s.timeout_s), daemon=True)
    echo.start()
    try:
        return _round_trips(ping, pong, s.warmup_round_trips + s.round_trips,
                            s.timeout_s)[s.warmup_round_trips:]
    finally:
        ping.send(None)
        echo.join(s.timeout_s)


def process_handoff(kind: str, s: HandoffSettings) -> list[float]:
    """Round-trip times between this process and an echoing child over a ``"pipe"`` or
    two ``"queue"``s (the default start method), the warm-up round trips left out."""
    ctx = mp.get_context()
    if kind == "pipe":
        mine, theirs = ctx.Pipe()
        ping = pong = _PipeEnd(mine)
        target, args = _echo_pipe, [(theirs, s.timeout_s)]
    else:
        q_ping, q_pong = ctx.Queue(), ctx.Queue()
        ping, pong = QueueChannel(q_ping), QueueChannel(q_pong)
        target, args = _echo_queues, [(q_ping, q_pong, s.timeout_s)]
    with worker_processes(ctx, target, args, timeout=s.timeout_s):
        try:
            times = _round_trips(ping, pong, s.warmup_round_trips + s.round_trips,
                                 s.timeout_s)
        finally:
            ping.send(None)
    return times[s.warmup_round_trips:]


__all__ = ["ConditionChannel", "EventChannel", "HandoffSettings", "QueueChannel",
           "process_handoff", "thread_handoff"]
