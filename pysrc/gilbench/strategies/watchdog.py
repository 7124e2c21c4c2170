"""A watchdog for blocking waits: a monitor thread that wakes a waiter blocked without a
timeout once its deadline passes or a worker process it watches exits.

What a strategy times is the idiom users write: a blocking ``get()``, ``recv()``,
``join()`` or ``result()``. A timeout argument there would change what is measured (a
timed ``multiprocessing.Queue.get`` polls its pipe before reading it, a timed
``Lock.acquire`` takes the lock's timed path) and a loop of short waits adds wake-ups. So
the waiter arms a :class:`Watchdog` with a ``wake`` of its own (put a failure message on
the queue it reads, notify the Condition it sleeps on, kill the workers whose pipe it
reads), makes its blocking call, and raises :attr:`Watchdog.failure` when it comes back
without an answer.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FuturesTimeout
from multiprocessing.connection import wait as wait_connections
from multiprocessing.process import BaseProcess
from typing import Any

#: Seconds between two wakes, from the first until the waiter disarms: a waiter that was
#: between two blocking calls when the first one came is woken by the next.
WAKE_REPEAT_S = 0.05
#: Seconds the monitor waits for an exited worker's exit status (it follows the sentinel).
EXIT_STATUS_S = 1.0
#: Seconds :meth:`Watchdog.close` waits for the monitor thread to leave.
CLOSE_S = 2.0

#: Signals a thread raises itself (a fault): never blocked.
_SYNCHRONOUS = {getattr(signal, name) for name in ("SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL",
                                                   "SIGABRT", "SIGTRAP", "SIGSYS")
                if hasattr(signal, name)}

#: ``wake(failure, attempt)``: make the armed waiter's blocking call return; ``attempt``
#: counts from 0 (repeated every :data:`WAKE_REPEAT_S` until the waiter disarms).
Wake = Callable[[BaseException, int], None]


class _Arming:
    """One armed wait: its deadline, what it waits for, and how to wake it."""

    __slots__ = ("deadline", "wake", "what")

    def __init__(self, deadline: float, what: str, wake: Wake) -> None:
        self.deadline, self.what, self.wake = deadline, what, wake


class _Disarm:
    """What :meth:`Watchdog.arm` returns: leaving its ``with`` block disarms."""

    __slots__ = ("dog",)

    def __init__(self, dog: Watchdog) -> None:
        self.dog = dog

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        self.dog.disarm()


def _default_exit_error(proc: BaseProcess, what: str) -> BaseException:
    return RuntimeError(f"worker process {proc.pid} exited with code {proc.exitcode} "
                        f"while the session tried to {what}")


class Watchdog:
    """A monitor thread for one waiter (a session, a ping-pong).

    ``timeout_error(what)`` builds the exception for a deadline that passed and
    ``exit_error(process, what)`` the one for a watched worker process that exited; the
    monitor stores it in :attr:`failure`, then calls the armed ``wake`` until the waiter
    disarms. Arming costs a lock and a few stores: the monitor only needs a poke when the
    new deadline comes before the time it next looks on its own, which a session arming
    with the same timeout every map never needs.

    Use: ``with dog.arm(timeout, "run 8 chunks", wake): blocking_call()``, and on a
    return without an answer (a marker, a TimeoutError from a notified Condition, EOF)
    :meth:`check`. :meth:`close` stops the monitor (before the workers are asked to
    leave, since their exits would read as crashes).
    """

    def __init__(self, timeout_error: Callable[[str], BaseException],
                 exit_error: Callable[[BaseProcess, str], BaseException] | None = None, *,
                 name: str = "gilbench-watchdog") -> None:
        self._timeout_error = timeout_error
        self._exit_error = exit_error or _default_exit_error
        self._lock = threading.Lock()
        self._procs: dict[int, BaseProcess] = {}  # by sentinel
        #: A watched process that exited: every later arming fails at once.
        self._exited: BaseProcess | None = None
        self._armed: _Arming | None = None
        self._idle_s = math.inf  # how long the monitor sleeps while disarmed
        self._next_look = math.inf  # when the monitor next looks without being poked
        self._closed = False
        self._disarm = _Disarm(self)
        #: The exception the armed waiter must raise; None while nothing went wrong.
        self.failure: BaseException | None = None
        self._fired = threading.Event()  # set with failure
        self._poke_r, self._poke_w = os.pipe()
        self._thread = threading.Thread(target=self._monitor, name=name, daemon=True)
        self._thread.start()

    # -- the waiter's side ----------------------------------------------------------------
    def watch(self, procs: Iterable[BaseProcess]) -> None:
        """Watch these worker processes too: one that exits fails the armed wait (or the
        next one) with ``exit_error``."""
        with self._lock:
            for proc in procs:
                self._procs[proc.sentinel] = proc
        self._poke()

    def arm(self, timeout: float, what: str, wake: Wake) -> _Disarm:
        """Watch a wait of at most ``timeout`` seconds for ``what`` (e.g. "run 8 chunks");
        raises at once if a watched worker has already exited."""
        deadline = time.monotonic() + timeout
        with self._lock:
            exited = self._exited
            if exited is None:
                if self.failure is not None:  # (clearing costs a Condition: only if set)
                    self.failure = None
                    self._fired.clear()
                self._armed = _Arming(deadline, what, wake)
                self._idle_s = timeout
                poke = deadline < self._next_look
        if exited is not None:
            raise self._exit_error(exited, what)
        if poke:
            self._poke()
        return self._disarm

    def disarm(self) -> None:
        """The wait is over (answered or failed): no more wakes."""
        with self._lock:
            self._armed = None

    def check(self, wait: float = 0.0) -> None:
        """Raise :attr:`failure` if the watchdog fired for the armed wait (a blocking call
        that came back without an answer otherwise was woken by a stale wake: wait again).

        ``wait``: seconds to give the monitor to reach its verdict first, for a waiter that
        saw the trouble itself (EOF from a worker whose exit the monitor is describing).
        """
        if wait:
            self._fired.wait(wait)
        failure = self.failure
        if failure is not None:
            raise failure

    def close(self) -> None:
        """Stop the monitor thread (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._armed = None
        self._poke()
        self._thread.join(CLOSE_S)
        if not self._thread.is_alive():  # else it is stuck in a wake: leave it its pipe
            os.close(self._poke_r)
            os.close(self._poke_w)

    def __enter__(self) -> Watchdog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _poke(self) -> None:
        try:
            os.write(self._poke_w, b"\0")
        except OSError:  # closed
            pass

    # -- the monitor thread ---------------------------------------------------------------
    def _monitor(self) -> None:
        # Signals are for the main thread, whose blocking call they interrupt (Ctrl-C).
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals() - _SYNCHRONOUS)
        while True:
            with self._lock:
                if self._closed:
                    return
                now = time.monotonic()
                armed = self._armed if self.failure is None else None
                fired = None
                if armed is None:
                    self._next_look = now + self._idle_s
                elif now < armed.deadline:
                    self._next_look = armed.deadline
                else:
                    self.failure = self._timeout_error(armed.what)
                    self._fired.set()
                    fired = armed
                sentinels = list(self._procs)
            if fired is not None:
                self._keep_waking(fired)
                continue
            wait_s = None if math.isinf(self._next_look) else max(0.0, self._next_look - now)
            ready = wait_connections([self._poke_r, *sentinels], timeout=wait_s)
            if self._poke_r in ready:
                os.read(self._poke_r, 4096)
            for sentinel in ready:
                if sentinel != self._poke_r:
                    with self._lock:
                        proc = self._procs.pop(sentinel)
                    self._exit(proc)

    def _exit(self, proc: BaseProcess) -> None:
        """A watched worker exited: fail the armed wait, or the next one."""
        deadline = time.monotonic() + EXIT_STATUS_S
        while proc.exitcode is None and time.monotonic() < deadline:
            proc.join(0.05)  # its exit status follows its sentinel by a moment
        with self._lock:
            if self._exited is None:
                self._exited = proc
            armed = self._armed
            if armed is None or self.failure is not None:
                return
            self.failure = self._exit_error(proc, armed.what)
            self._fired.set()
        self._keep_waking(armed)

    def _keep_waking(self, armed: _Arming) -> None:
        attempt = 0
        while True:
            try:
                armed.wake(self.failure, attempt)
            except Exception:  # noqa: BLE001, S110 - a channel already broken: the next try
                pass
            attempt += 1
            if self._poke_r in wait_connections([self._poke_r], timeout=WAKE_REPEAT_S):
                os.read(self._poke_r, 4096)
            with self._lock:
                if self._closed or self._armed is not armed:
                    return


def future_results(dog: Watchdog, futures: Sequence[Future], timeout: float,
                   what: str) -> list[Any]:
    """``[f.result() for f in futures]`` (concurrent.futures), blocking as a user writes it,
    under ``dog``: its wake notifies the Condition each future sleeps on, which makes
    ``result()`` raise TimeoutError, and the watchdog's failure is raised instead."""
    def wake(failure: BaseException, attempt: int) -> None:
        for f in futures:
            with f._condition:
                f._condition.notify_all()

    done = []
    with dog.arm(timeout, what, wake):
        for f in futures:
            while True:
                try:
                    done.append(f.result())
                    break
                except FuturesTimeout:
                    if f.done():  # the chunk's own TimeoutError
                        raise
                    dog.check()  # else a stale wake: wait again
    return done


__all__ = ["EXIT_STATUS_S", "WAKE_REPEAT_S", "Wake", "Watchdog", "future_results"]
