"""Process-wide glibc allocator tuning for measurements: apply it once, or report it.

:func:`equalise` changes this process (the harness calls it before every run);
:func:`state` only reports, so ``gilbench info`` can describe the allocator untouched.
Nothing here imports the rest of gilbench, so any module may import it.
"""

from __future__ import annotations

import ctypes
import sys
import threading

__all__ = ["TOP_PAD_BYTES", "TRIM_THRESHOLD_BYTES", "equalise", "equalised", "state"]

#: M_TOP_PAD: slack glibc keeps above the main heap's top when it grows or trims.
TOP_PAD_BYTES = 64 << 20
#: M_TRIM_THRESHOLD: free space at the top of the main heap before glibc returns it.
TRIM_THRESHOLD_BYTES = 128 << 20
# mallopt parameter numbers from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2

_lock = threading.Lock()
#: None until equalise() has run in this process, then whether glibc accepted the tuning.
_applied: bool | None = None


def _unsupported_reason() -> str | None:
    """None when mallopt can be called here, else why not (without calling it)."""
    if not sys.platform.startswith("linux"):
        return f"glibc malloc tuning is Linux-only (platform {sys.platform})"
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt  # noqa: B018 - the lookup is the check
    except (OSError, AttributeError):
        return "the C library has no mallopt (not glibc)"
    return None


def equalise() -> bool:
    """Give glibc's main-thread heap the slack that thread heaps get; True if done.

    Without it, the main arena trims and regrows around large temporaries, so numpy code
    that allocates heavily runs measurably slower on the main thread (serial, openmp) than
    on pool threads, a fake "threads beat serial". 64 MiB of top padding (which also fixes
    the mmap threshold) removes the asymmetry; every strategy then runs under it. Only the
    first call in a process changes anything; later calls return the same answer.
    """
    global _applied
    with _lock:
        if _applied is None:
            _applied = _unsupported_reason() is None and _mallopt()
        return _applied


def _mallopt() -> bool:
    libc = ctypes.CDLL(None)
    return bool(libc.mallopt(_M_TOP_PAD, TOP_PAD_BYTES) and
                libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))


def equalised() -> bool:
    """Whether :func:`equalise` has tuned this process's allocator (changes nothing)."""
    return bool(_applied)


def state() -> dict[str, object]:
    """What the allocator tuning is in this process, for metadata; changes nothing.

    ``equalised``: applied here already; ``supported``: whether it could be (else
    ``reason`` says why); ``top_pad_bytes`` and ``trim_threshold_bytes``: what applying
    sets.
    """
    reason = _unsupported_reason()
    info: dict[str, object] = {"equalised": equalised(), "supported": reason is None,
                               "top_pad_bytes": TOP_PAD_BYTES,
                               "trim_threshold_bytes": TRIM_THRESHOLD_BYTES}
    if reason:
        info["reason"] = reason
    return info
