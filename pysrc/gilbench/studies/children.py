"""Child processes the studies start: every wait has a deadline, and none outlives its study.

Standalone scripts (``standalone/*.py``, standard library only) run in a fresh, minimal
interpreter (``python -I``) in a session of their own, so that they and anything they
start are killed as one process group on every way out: success, failure, timeout, Ctrl-C
or SIGTERM. Worker processes started with multiprocessing are joined with a timeout and
killed if they linger.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import queue
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gilbench.studies.base import StudyError

STANDALONE_DIR = Path(__file__).resolve().parent / "standalone"


def script_argv(script: str, *args: object) -> list[str]:
    """The command line that runs ``standalone/<script>.py`` in a minimal interpreter."""
    return [sys.executable, "-I", str(STANDALONE_DIR / f"{script}.py"), *map(str, args)]


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group that ``proc`` leads (it and all it started); reap it.

    The kernel does not reuse a pid while a process group still carries it, so once the
    group is empty this is a harmless ESRCH, never a stranger's group.
    """
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


@dataclass(frozen=True)
class ScriptRun:
    """How a standalone script ended: its exit code (-N: killed by signal N) and output."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def report(self) -> Any:
        """The JSON document the script printed on its last line of output."""
        lines = self.stdout.strip().splitlines()
        try:
            return json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            tail = self.stderr.strip().splitlines()[-1:] or ["no output"]
            raise StudyError(f"{' '.join(self.argv[2:])} printed no report (exit code "
                             f"{self.returncode}: {tail[0]})") from None


def run_script(script: str, *args: object, timeout: float) -> ScriptRun:
    """Run a standalone script to its end (at most ``timeout`` seconds)."""
    argv = script_argv(script, *args)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise StudyError(f"{script} {' '.join(map(str, args))} did not finish within "
                         f"{timeout:g} s") from None
    finally:
        kill_group(proc)
    return ScriptRun(tuple(argv), proc.returncode, out, err)


class LineChannel:
    """A long-lived standalone script spoken to in lines: one request, one reply."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self._buffer = b""
        self._selector = selectors.DefaultSelector()
        self._selector.register(proc.stdout, selectors.EVENT_READ)

    def ask(self, line: str, timeout: float) -> str:
        """Send ``line``; return the script's next line of output (StudyError after
        ``timeout`` seconds, or if the script exits first)."""
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        return self.read_line(timeout, f"answer {line!r}")

    def read_line(self, timeout: float, what: str = "say anything") -> str:
        """The script's next line of output (StudyError after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                raise StudyError(f"{self.proc.args[2]} did not {what} within {timeout:g} s")
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise StudyError(f"{self.proc.args[2]} exited (code {self.proc.poll()}) "
                                 f"before it could {what}")
            self._buffer += chunk
        reply, self._buffer = self._buffer.split(b"\n", 1)
        return reply.decode()

    def close(self) -> None:
        self._selector.close()


@contextmanager
def script_channel(script: str, *args: object) -> Iterator[LineChannel]:
    """Start a standalone script that answers lines; on the way out close its input and
    give it a moment to finish, then kill its process group whatever happened."""
    proc = subprocess.Popen(script_argv(script, *args), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    channel = LineChannel(proc)
    try:
        yield channel
        proc.stdin.close()
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    finally:
        channel.close()
        kill_group(proc)


def _without_sigint(target: Callable[..., Any], *args: Any) -> Any:
    # Ctrl-C reaches the whole foreground process group; the parent decides what it means
    # and ends the workers itself, so a worker must not die with a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return target(*args)


@contextmanager
def worker_processes(ctx: mp.context.BaseContext, target: Callable[..., Any],
                     args: Sequence[tuple], *, timeout: float) -> Iterator[list]:
    """Start one ``ctx.Process(target, a)`` per tuple in ``args`` (daemons that ignore
    Ctrl-C). Leaving normally, join them within ``timeout`` seconds (StudyError if one
    lingers or failed); leaving on an error or Ctrl-C, kill them at once."""
    procs = [ctx.Process(target=_without_sigint, args=(target, *a), daemon=True)
             for a in args]
    try:
        for p in procs:
            p.start()
        yield procs
    except BaseException:
        _kill(procs)
        raise
    deadline = time.monotonic() + timeout
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
    stuck = [p for p in procs if p.is_alive()]
    _kill(procs)
    if stuck:
        raise StudyError(f"{len(stuck)} worker process(es) did not finish within "
                         f"{timeout:g} s")
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise StudyError(f"worker process(es) failed with exit code(s) {failed}")


def collect(results: Any, n: int, timeout: float, what: str) -> list[Any]:
    """``n`` reports from a ``queue.Queue`` or multiprocessing queue that workers put
    them on, all within ``timeout`` seconds (StudyError naming ``what`` otherwise)."""
    deadline = time.monotonic() + timeout
    try:
        return [results.get(timeout=max(0.0, deadline - time.monotonic())) for _ in range(n)]
    except queue.Empty:
        raise StudyError(f"{what} did not report within {timeout:g} s") from None


def _kill(procs: Sequence[Any]) -> None:
    for p in procs:
        if p.pid is not None and p.exitcode is None:
            p.kill()
    for p in procs:
        if p.pid is not None:
            p.join(5)
