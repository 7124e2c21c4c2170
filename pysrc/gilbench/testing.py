"""GIL assertions for test suites: does a function release the GIL while it runs, or hold it?

``gil_held_share(fn, *args)`` is the share (0..1) of ``fn``'s call time during which it
holds the GIL; ``assert_releases_gil`` and ``assert_holds_gil`` turn it into a test. The
pytest plugin :mod:`gilbench.pytest_gil` offers the same as the ``gil`` fixture.

**How it measures.** ``fn(*args, **kwargs)`` is called once to warm up, then again and
again for at least ``min_time`` seconds (0.2 s by default: some forty switch intervals of
5 ms, so the figure rests on many scheduler decisions) inside the GIL probe
(:class:`gilbench.gilprobe.GilProbe`). The probe's ticker thread needs the GIL for each
tick and hands it straight back, so it ticks at its idle rate while ``fn`` leaves the GIL
free and about once per switch interval while ``fn`` holds it; on Linux the time it waited
for a CPU rather than for the GIL is taken out (schedstat), so a busy machine does not
read as a held GIL. The held share is ``1 - availability``. The loop and the call itself
(argument parsing, building the result) run with the GIL, so a function of a few
microseconds per call reads as partly held: that is true of calling it.

**One reading, not two.** A second reading, the CPU time of two concurrent copies against
wall time, measures how well two copies scale, not the GIL: memory bandwidth, two
hyperthreads of one core or a busy machine hold it back as well, and a function that
waits (``time.sleep``, I/O) releases the GIL yet uses no CPU. Each would be blamed on the
GIL. The probe's ticker needs nothing but the GIL, so it is the only reading used. What
makes the assertions robust is confirmation instead: a verdict that fails is measured a
second time and the assertion fails only if both readings do, reporting the one nearer
to passing. A function that truly holds (or releases) the GIL fails every time; a single
reading disturbed by the machine does not fail a test suite.

**Without a GIL.** On a free-threaded build running without its GIL (3.13t by default,
or ``PYTHON_GIL=0``) there is nothing to hold or release, and no figure would be true.
:func:`gil_held_share` then raises :class:`GilNotEnabled`; the assertions skip the
running test under pytest (``pytest.skip`` with the same reason: the check is neither
passed nor failed) and raise :class:`GilNotEnabled` elsewhere. ``PYTHON_GIL=1`` turns the
GIL on for such a build, and then everything here measures as on a default build.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gilbench.gilprobe import GilProbe
from gilbench.gilwatch import gil_enabled

__all__ = ["DEFAULT_MIN_TIME", "GilAssertions", "GilNotEnabled", "GilReading",
           "assert_holds_gil", "assert_releases_gil", "gil_held_share", "measure_gil"]

#: Seconds of calls behind one reading, at least: some forty 5 ms switch intervals.
DEFAULT_MIN_TIME = 0.2
#: Readings tried before giving up when the probe's thread gets no CPU to judge by.
_ATTEMPTS = 3


class GilNotEnabled(RuntimeError):
    """This interpreter runs without a GIL: there is no share of it to measure."""


@dataclass(frozen=True, kw_only=True)
class GilReading:
    """One measurement of a function: its GIL-held share over ``calls`` calls in
    ``seconds`` of wall time, and the probe's method (``schedstat`` or ``tick rate``)."""

    held_share: float
    seconds: float
    calls: int
    method: str


def measure_gil(fn: Callable[..., Any], *args: Any, min_time: float = DEFAULT_MIN_TIME,
                **kwargs: Any) -> GilReading:
    """Call ``fn(*args, **kwargs)`` for at least ``min_time`` seconds under the GIL probe
    (after one warm-up call) and return the :class:`GilReading`.

    Raises :class:`GilNotEnabled` without a GIL, and RuntimeError when the probe's thread
    got no CPU to judge by in three tries. Exceptions of ``fn`` propagate.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable. Got {fn!r} instead.")
    if isinstance(min_time, bool) or not (isinstance(min_time, (int, float))
                                          and math.isfinite(min_time) and min_time > 0):
        raise ValueError(f"min_time must be a positive number of seconds. "
                         f"Got {min_time!r} instead.")
    _require_gil()
    fn(*args, **kwargs)  # first-call costs (imports, caches, page faults) stay outside
    for _ in range(_ATTEMPTS):  # a reading is None only when the ticker got no CPU
        with GilProbe() as probe:
            calls, t0 = 0, time.perf_counter()
            while True:
                fn(*args, **kwargs)
                calls += 1
                seconds = time.perf_counter() - t0
                if seconds >= min_time:
                    break
        if probe.availability is not None:
            return GilReading(held_share=1.0 - probe.availability, seconds=seconds,
                              calls=calls, method=probe.method or "")
    raise RuntimeError(f"could not measure the GIL held by {_name(fn)}: the probe's thread "
                       f"got almost no CPU in {_ATTEMPTS} tries of {min_time:g} s; "
                       "is the machine overloaded?")


def gil_held_share(fn: Callable[..., Any], *args: Any, min_time: float = DEFAULT_MIN_TIME,
                   **kwargs: Any) -> float:
    """The share (0..1) of ``fn(*args, **kwargs)``'s call time that holds the GIL: near 0
    when it releases the GIL (``with nogil``, blocking I/O, ``time.sleep``), near 1 when
    it holds it (pure Python, a Cython loop that keeps the GIL).

    ``fn`` is called repeatedly for at least ``min_time`` seconds (a keyword of this
    function, so pass an ``fn`` keyword of that name through ``functools.partial``).
    Raises :class:`GilNotEnabled` where the interpreter runs without a GIL.
    """
    return measure_gil(fn, *args, min_time=min_time, **kwargs).held_share


def assert_releases_gil(fn: Callable[..., Any], *args: Any, max_held: float = 0.1,
                        min_time: float = DEFAULT_MIN_TIME, **kwargs: Any) -> float:
    """Fail (AssertionError) unless ``fn(*args, **kwargs)`` holds the GIL for at most
    ``max_held`` of its call time; returns the held share measured.

    A failing reading is measured again and the assertion fails only if both do. Without
    a GIL it skips the running pytest test, or raises :class:`GilNotEnabled` outside pytest.
    """
    __tracebackhide__ = True  # pytest shows the test's line, not this module's
    _check_share("max_held", max_held)
    return _assert(fn, args, kwargs, min_time, max_held, at_most=True)


def assert_holds_gil(fn: Callable[..., Any], *args: Any, min_held: float = 0.5,
                     min_time: float = DEFAULT_MIN_TIME, **kwargs: Any) -> float:
    """Fail (AssertionError) unless ``fn(*args, **kwargs)`` holds the GIL for at least
    ``min_held`` of its call time (default half: then no number of threads runs it even
    twice as fast as one); returns the held share measured.

    Confirmed and skipped as :func:`assert_releases_gil` is.
    """
    __tracebackhide__ = True
    _check_share("min_held", min_held)
    return _assert(fn, args, kwargs, min_time, min_held, at_most=False)


class GilAssertions:
    """What the ``gil`` fixture of :mod:`gilbench.pytest_gil` gives a test: this module's
    functions as methods, each skipping the test where the interpreter runs without a GIL.

    ``gil.assert_releases(fn, *args)``, ``gil.assert_holds(fn, *args)`` and
    ``gil.held_share(fn, *args)`` take the keywords of :func:`assert_releases_gil`,
    :func:`assert_holds_gil` and :func:`gil_held_share`.
    """

    assert_releases = staticmethod(assert_releases_gil)
    assert_holds = staticmethod(assert_holds_gil)

    def __repr__(self) -> str:  # what pytest prints for the fixture beside a failure
        return "<gil: assert_releases, assert_holds, held_share (gilbench.testing)>"

    @staticmethod
    def held_share(fn: Callable[..., Any], *args: Any, min_time: float = DEFAULT_MIN_TIME,
                   **kwargs: Any) -> float:
        """:func:`gil_held_share`, skipping the test without a GIL."""
        _skip_without_gil()
        return gil_held_share(fn, *args, min_time=min_time, **kwargs)


def _assert(fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any], min_time: float,
            bound: float, at_most: bool) -> float:
    __tracebackhide__ = True
    _skip_without_gil()
    readings = []
    # Confirm before failing: one reading disturbed by the machine must not fail a suite.
    for _ in range(2):
        reading = measure_gil(fn, *args, min_time=min_time, **kwargs)
        share = reading.held_share
        if (share <= bound) if at_most else (share >= bound):
            return share
        readings.append(reading)
    readings.sort(key=lambda r: r.held_share, reverse=not at_most)
    near, other = readings  # near: the one nearer to passing
    raise AssertionError(
        f"{_name(fn)} holds the GIL for {'' if at_most else 'only '}{near.held_share:.0%} "
        f"of its run (measured over {near.seconds:.2f} s, {near.calls} calls; "
        f"{other.held_share:.0%} on a second try); "
        f"expected at {'most' if at_most else 'least'} {bound:.0%}")


def _check_share(name: str, value: object) -> None:
    if isinstance(value, bool) or not (isinstance(value, (int, float)) and 0 <= value <= 1):
        raise ValueError(f"{name} must be a share between 0 and 1. Got {value!r} instead.")


def _name(fn: Callable[..., Any]) -> str:
    """A function's name; a callable object without one (a partial, a dataclass) is its
    repr, which says what it calls."""
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def _no_gil_reason() -> str:
    return (f"no GIL to measure: this free-threaded Python {sys.version.split()[0]} runs "
            "without its GIL, so a function can neither hold nor release it (PYTHON_GIL=1 "
            "turns it on to test GIL release on this build)")


def _require_gil() -> None:
    if not gil_enabled():
        raise GilNotEnabled(_no_gil_reason())


def _skip_without_gil() -> None:
    """Skip the running pytest test without a GIL; outside pytest, raise GilNotEnabled."""
    if gil_enabled():
        return
    # PYTEST_CURRENT_TEST is set while pytest runs a test (setup, call, teardown): only
    # then does a skip have a test to mark; anywhere else it would be a stray BaseException.
    if "pytest" in sys.modules and os.environ.get("PYTEST_CURRENT_TEST"):
        import pytest

        pytest.skip(_no_gil_reason())
    raise GilNotEnabled(_no_gil_reason())
