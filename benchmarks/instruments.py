"""What a timeout on a waiting call costs: one hand-off round trip over the primitives
gilbench's strategies wait on, with the blocking call users write (``get()``,
``acquire()``) against the same call given a timeout (``get(timeout=...)``,
``acquire(timeout=...)``). The strategies time the blocking form, guarded by a watchdog
(gilbench.strategies.watchdog); this is the price the other form would have added.

Not a kernel suite, so ``pytest benchmarks`` does not collect it (its results would not
render as a gilbench report); run it by name::

    pytest benchmarks/instruments.py --benchmark-only

tests/test_watchdog.py smoke-runs it, so that it cannot rot.
"""

from __future__ import annotations

import multiprocessing as mp
import threading

import pytest

from gilbench.strategies.watchdog import Watchdog
from gilbench.studies.children import worker_processes
from gilbench.studies.handoff import (
    TIMED_OUT,
    LockChannel,
    QueueChannel,
    _echo,
    _echo_queues,
)

#: A timeout long enough never to expire: only the code path it selects is measured.
GUARD_S = 60.0
#: Seconds after which the watchdog ends the rounds if one got no answer.
WATCHDOG_S = 60.0
ROUNDS = 2000


def _queue_pair(guard_s):
    """Two multiprocessing Queues to an echoing child process, for the ``with`` block."""
    ctx = mp.get_context()
    q_ping, q_pong = ctx.Queue(), ctx.Queue()
    ping, pong = QueueChannel(q_ping), QueueChannel(q_pong, guard_s)
    return ping, pong, worker_processes(ctx, _echo_queues, [(q_ping, q_pong, guard_s)],
                                        timeout=WATCHDOG_S)


@pytest.mark.parametrize("form", ["blocking", "timeout"])
def test_multiprocessing_queue_round_trip(benchmark, form):
    guard_s = GUARD_S if form == "timeout" else None
    benchmark.group = "instrument: multiprocessing.Queue get"
    benchmark.extra_info.update(primitive="multiprocessing.Queue", form=form)
    ping, pong, children = _queue_pair(guard_s)
    with children:
        _time(benchmark, ping, pong, lambda: pong.q.put(TIMED_OUT))
        ping.send(None)


@pytest.mark.parametrize("form", ["blocking", "timeout"])
def test_threading_lock_hand_off(benchmark, form):
    guard_s = GUARD_S if form == "timeout" else None
    benchmark.group = "instrument: threading.Lock acquire"
    benchmark.extra_info.update(primitive="threading.Lock", form=form)
    ping, pong = LockChannel(guard_s), LockChannel(guard_s)
    echo = threading.Thread(target=_echo, args=(ping, pong), daemon=True)
    echo.start()
    try:
        _time(benchmark, ping, pong, lambda: pong.send(TIMED_OUT))
    finally:
        ping.send(None)
        echo.join(WATCHDOG_S)


def _time(benchmark, ping, pong, wake) -> None:
    """Time one round trip per round; the watchdog ends a round that gets no answer."""
    answers = []

    def round_trip():
        ping.send(1)
        answers.append(pong.recv())

    def send_timed_out(failure, attempt):
        if attempt == 0:
            wake()

    with Watchdog(lambda what: RuntimeError(f"no answer within {WATCHDOG_S:g} s")) as dog, \
            dog.arm(WATCHDOG_S, "time round trips", send_timed_out):
        for _ in range(20):  # warm: the echo's first answers are slower
            round_trip()
        benchmark.pedantic(round_trip, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    dog.check()
    assert answers and all(a == 1 for a in answers), "a round trip got no answer"
