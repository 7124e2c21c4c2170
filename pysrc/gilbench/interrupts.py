"""SIGTERM and SIGHUP handled like Ctrl-C: every cleanup path runs, the exit code says why.

``timeout``, ``kill``, CI cancellation, container stop and a closing terminal send SIGTERM
or SIGHUP, whose default action kills the process on the spot: workers and shared memory
would be left behind. Inside :func:`signals_interrupt` those signals raise
:class:`Terminated`, a KeyboardInterrupt, so sessions close (``kill=True``) exactly as
they do after Ctrl-C. Worker processes leave all three signals to their parent.
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import psutil

#: Signals turned into :class:`Terminated` (SIGHUP does not exist on Windows).
SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
#: Exit code after Ctrl-C, as a shell reports a process killed by SIGINT.
EXIT_INTERRUPTED = 128 + signal.SIGINT
_PR_SET_PDEATHSIG = 1
#: Exit code after SIGTERM or SIGHUP (128 + SIGTERM's number, what `timeout` and CI expect).
EXIT_TERMINATED = 143
#: Seconds the command may take to unwind after SIGTERM or SIGHUP (killing workers,
#: unlinking segments, closing a cluster take a few): past them it kills its child
#: processes and exits, printing every thread's stack, rather than hang.
UNWIND_DEADLINE_S = 30.0


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C, then exit with :attr:`exit_code`."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """143 for SIGTERM and SIGHUP alike (the design's contract: "terminated", whoever
        sent it), as 130 means Ctrl-C."""
        return EXIT_TERMINATED


def exit_code(exc: KeyboardInterrupt) -> int:
    """The exit code for an interruption: 143 after SIGTERM/SIGHUP, 130 after Ctrl-C."""
    return exc.exit_code if isinstance(exc, Terminated) else EXIT_INTERRUPTED


#: Inside :func:`signals_interrupt` (in the main thread).
_active = False
#: The signal received inside :func:`signals_interrupt`, None before one arrives.
_pending: int | None = None
#: True while ``os.fork`` runs its at-fork hooks, where an exception would be swallowed.
_forking = False
#: Depth of :func:`deferred` blocks: signals are recorded, raised when the outermost ends.
_deferring = 0
_hooked = False


def _fork_hooks() -> None:
    """Mark the fork window, and keep forked children out of the parent's handling.

    Registered last, so that (hooks run in reverse order before a fork and in order after
    it) the window covers every hook registered earlier, such as logging's lock handling.
    """
    global _hooked

    def opened() -> None:
        global _forking
        _forking = True

    def closed() -> None:
        global _forking
        _forking = False

    def in_child() -> None:
        global _active, _forking, _pending
        if _active:
            # A child forked inside the block would otherwise run the parent's handler
            # (and print a Terminated traceback) if the group is signalled before it
            # gets to detach_worker(); until then it leaves the signals to the parent.
            for sig in (signal.SIGINT, *SIGNALS):
                try:
                    signal.signal(sig, signal.SIG_IGN)
                except ValueError:  # forked from another thread: not the main one
                    pass
        _active, _forking, _pending = False, False, None

    if not _hooked and hasattr(os, "register_at_fork"):
        os.register_at_fork(before=opened, after_in_parent=closed, after_in_child=in_child)
        _hooked = True


class _UnwindDeadline:
    """Armed by the first signal: unless disarmed within ``seconds``, print every thread's
    stack, SIGKILL this process's children and exit with :data:`EXIT_TERMINATED`.

    A terminated command must end: a cleanup step stuck on a lock, a pipe or a process
    that never exits would otherwise keep the command (and whoever waits on it, a CI job)
    alive for ever. The check runs in a daemon thread, which a stuck main thread cannot
    hold up while it waits (waiting releases the GIL).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._disarmed = threading.Event()
        self._thread: threading.Thread | None = None

    def arm(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, daemon=True,
                                            name="gilbench-unwind-deadline")
            self._thread.start()

    def disarm(self) -> None:
        self._disarmed.set()

    def _watch(self) -> None:
        if self._disarmed.wait(self.seconds):
            return
        try:
            print(f"gilbench: still cleaning up {self.seconds:g} s after the signal; "
                  "killing the workers and exiting. Where each thread was stuck:",
                  file=sys.stderr, flush=True)
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        except (OSError, ValueError):  # stderr closed: exit all the same
            pass
        try:
            children = psutil.Process().children(recursive=True)
        except psutil.Error:
            children = []
        for child in children:
            try:
                child.kill()
            except psutil.Error:
                pass
        os._exit(EXIT_TERMINATED)


@contextmanager
def signals_interrupt(unwind_deadline_s: float | None = None) -> Iterator[None]:
    """Raise :class:`Terminated` in the main thread on SIGTERM or SIGHUP, inside the block.

    Only the first such signal raises: later ones are ignored until the block exits, so
    that a second SIGTERM cannot cut short the cleanup that the first one started. Python
    swallows (and prints) exceptions raised where they cannot propagate: a signal that
    arrives while ``os.fork`` runs its at-fork hooks is therefore only recorded, and
    raised by the next :func:`raise_if_pending` (the harness calls it between repeats and
    runs), as is one that arrives inside :func:`deferred`. The previous handlers are
    restored on exit. Off the main thread (where Python cannot set handlers) this does
    nothing.

    With ``unwind_deadline_s`` (the command's: :data:`UNWIND_DEADLINE_S`), the first
    signal also starts a deadline for the rest of the process's life, interpreter
    shutdown included, where multiprocessing joins its children: past it the process
    kills its children and exits (:class:`_UnwindDeadline`). It is called off when the
    block ends with no signal received.
    """
    global _active, _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _fork_hooks()
    deadline = _UnwindDeadline(unwind_deadline_s) if unwind_deadline_s else None

    def handler(signum: int, frame: FrameType | None) -> None:
        global _pending
        if _pending is None:
            _pending = signum
            if deadline is not None:
                deadline.arm()
            if not (_forking or _deferring):
                raise Terminated(signum)

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    _active = True
    try:
        yield
    finally:
        _active = False
        for sig, old in previous.items():
            signal.signal(sig, old)
        if deadline is not None and _pending is None:
            deadline.disarm()
        _pending = None


@contextmanager
def deferred() -> Iterator[None]:
    """Hold back :class:`Terminated` until the block ends (then raise it, if a signal came).

    For steps that must not stop half-way, such as starting a process pool: interrupted
    between ``fork`` and the pool recording the child, a worker would be known to nobody
    who could kill it.
    """
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if not _deferring:
        raise_if_pending()


def raise_if_pending() -> None:
    """Raise :class:`Terminated` if a signal arrived and may not have been raised yet;
    harmless outside :func:`signals_interrupt` and before any signal."""
    if _pending is not None:
        raise Terminated(_pending)


@contextmanager
def signals_blocked() -> Iterator[None]:
    """Block SIGTERM and SIGHUP in this thread for the block (they wait, not lost).

    A process spawned inside inherits the blocked mask across ``exec``: multiprocessing's
    resource tracker, started so, then ignores SIGHUP too (it ignores SIGINT and SIGTERM
    itself), instead of dying when a terminal hangs up on the process group and being
    relaunched without its record of the segments.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def detach_worker(parent_pid: int) -> None:
    """In a worker process: leave Ctrl-C, SIGTERM and SIGHUP to the parent; die with it.

    A terminal or ``timeout`` signals the whole process group; a worker that died of it
    half-way through a chunk would turn an interruption into a "worker crashed" failure.
    The parent handles these signals and kills its workers (SIGKILL) when it unwinds. On
    Linux the worker also asks for SIGKILL when its parent dies, so that even a parent
    killed outright (SIGKILL, OOM killer) leaves no worker behind.
    """
    for sig in (signal.SIGINT, *SIGNALS):
        signal.signal(sig, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # not glibc: the parent's cleanup must do
            pass
    if os.getppid() != parent_pid and not _running(parent_pid):
        # The parent died before prctl took effect (this process was re-parented); a
        # forkserver's workers, whose parent is the server, get here with it running.
        os._exit(1)


def _running(pid: int) -> bool:
    """Whether ``pid`` runs: a zombie (killed, not yet reaped) does not."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
