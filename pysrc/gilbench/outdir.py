"""The output folder of a sweep: checked before anything runs, locked while a run writes
it, and the previous sweep's files set aside instead of silently replaced."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path

from gilbench.results import RESULTS_NAME

#: The lock file inside an output folder; it holds the pid of the process writing there.
LOCK_NAME = ".gilbench.lock"
#: Where earlier sweeps go, one subfolder per sweep named by its ``created`` time.
PREVIOUS_DIR = "previous"
#: What a sweep writes into its folder (and what is set aside with its results.json).
SWEEP_FILES = (RESULTS_NAME, "findings.json", "report.md", "report.html", "*.png")


class FolderError(ValueError):
    """The output folder cannot be used: bad input, exit code 2."""


class FolderBusy(FolderError):
    """Another live process holds the output folder's lock."""


def check_folder(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` if needed and prove it writable; FolderError says why not."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise FolderError(f"output folder {str(folder)!r} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FolderError(f"cannot create output folder {str(folder)!r}: "
                          f"{exc.strerror or exc}") from None
    try:  # access() is not enough: read-only mounts, and root passes every access() check
        fd, probe = tempfile.mkstemp(prefix=".gilbench-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise FolderError(f"cannot write in output folder {str(folder)!r}: "
                          f"{exc.strerror or exc}") from None
    return folder


class FolderLock:
    """An exclusive ``flock`` on ``FOLDER/.gilbench.lock``, holding this process's pid.

    The kernel drops the lock when the process dies however it dies, so a lock file left
    by a dead process never blocks. Released (and the file removed) by :meth:`release`.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.path = Path(folder) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        """Take the lock or raise :class:`FolderBusy` naming the process that holds it."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_pid(fd)
                os.close(fd)
                who = f"pid {holder}" if holder else "another process"
                raise FolderBusy(f"output folder {str(self.path.parent)!r} is in use by "
                                 f"gilbench ({who}); wait for it to finish or choose "
                                 "another --out") from None
            except OSError as exc:  # a filesystem without locks: warn, do not refuse
                os.close(fd)
                warnings.warn(f"cannot lock output folder {str(self.path.parent)!r} "
                              f"({exc.strerror}); concurrent runs would not be detected",
                              RuntimeWarning, stacklevel=2)
                return self
            # The holder we waited for may have removed the file after we opened it: the
            # lock only counts on the file that is still at the path.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Remove the lock file and drop the lock (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # while still locked: see acquire()
        finally:
            os.close(fd)

    def __enter__(self) -> FolderLock:
        return self if self._fd is not None else self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip())
    except (OSError, ValueError):  # being written, or not ours
        return None


def set_aside_previous(folder: str | os.PathLike[str]) -> Path | None:
    """Move the files of the sweep in ``folder`` (if any) to ``previous/<created>/``.

    Returns where they went, or None when ``folder`` holds no results.json. Call it with
    the folder's lock held, so that a live sweep's files are never moved.
    """
    folder = Path(folder)
    results = folder / RESULTS_NAME
    if not results.is_file():
        return None
    base = folder / PREVIOUS_DIR / _stamp(results)
    dest, n = base, 1
    while dest.exists():
        n += 1
        dest = base.with_name(f"{base.name}-{n}")
    dest.mkdir(parents=True)
    for pattern in SWEEP_FILES:
        for f in sorted(folder.glob(pattern)):
            if f.is_file():
                f.rename(dest / f.name)
    return dest


def _stamp(results: Path) -> str:
    """The sweep's ``created`` time (UTC) as a file name, else the file's modification time."""
    try:
        created = datetime.fromisoformat(json.loads(results.read_text())["created"])
    except (OSError, ValueError, KeyError, TypeError):
        created = datetime.fromtimestamp(results.stat().st_mtime, timezone.utc)
    if created.tzinfo is not None:
        created = created.astimezone(timezone.utc)
    return created.strftime("%Y-%m-%dT%H-%M-%S")


def claim(path: str | os.PathLike[str], *, keep_previous: bool = True
          ) -> tuple[FolderLock, Path | None]:
    """Check ``path``, lock it, and set aside the sweep already in it.

    Returns the held lock (release it, or use it as a context manager) and where the
    previous sweep went (None: there was none). Raises FolderError (FolderBusy when
    another live process holds the folder); nothing is moved then.
    """
    folder = check_folder(path)
    lock = FolderLock(folder).acquire()
    try:
        previous = set_aside_previous(folder) if keep_previous else None
    except OSError as exc:
        lock.release()
        raise FolderError(f"cannot set aside the previous sweep in {str(folder)!r}: "
                          f"{exc.strerror or exc}") from None
    return lock, previous
