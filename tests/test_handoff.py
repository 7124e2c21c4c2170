"""The hand-off instruments time the idiom users write (a blocking receive), and a watchdog,
not a timeout on the measured call, keeps them from hanging."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass

import pytest

from gilbench.studies.base import StudyError
from gilbench.studies.handoff import (
    TIMED_OUT,
    ConditionChannel,
    EventChannel,
    QueueChannel,
    process_handoff,
    round_trips,
    thread_handoff,
)


@dataclass
class Quick:
    round_trips: int = 200
    warmup_round_trips: int = 20
    timeout_s: float = 30.0


@pytest.mark.parametrize("make", [EventChannel, ConditionChannel,
                                  lambda: QueueChannel(__import__("queue").Queue())])
def test_thread_handoffs_time_every_round_trip(make):
    times = thread_handoff(make, Quick())
    assert len(times) == 200 and all(t > 0 for t in times)


@pytest.mark.parametrize("kind", ["pipe", "queue"])
def test_process_handoffs_time_every_round_trip(kind):
    times = process_handoff(kind, Quick())
    assert len(times) == 200 and all(t > 0 for t in times)


def test_the_guarded_form_is_measured_beside_the_blocking_one(capsys):
    # The instrument's own cost: poll(timeout) before every recv() against a blocking
    # recv(), on the same pipe and child. Both must work; their medians are printed so
    # that a reader sees what the guard would have added (timings are not asserted).
    blocking = statistics.median(process_handoff("pipe", Quick()))
    guarded = statistics.median(process_handoff("pipe", Quick(), guard_s=30.0))
    assert blocking > 0 and guarded > 0
    with capsys.disabled():
        print(f"\npipe round trip: blocking recv {blocking * 1e6:.0f} us, "
              f"poll(timeout) + recv {guarded * 1e6:.0f} us")


def test_a_silent_other_side_is_cut_off_by_the_watchdog():
    # Nobody echoes: the blocking receive returns when the watchdog speaks.
    ping, pong = EventChannel(), EventChannel()
    t0 = time.monotonic()
    with pytest.raises(StudyError, match="no answer within 0.3 s"):
        round_trips(ping, pong, 5, 0.3, pong.send)
    assert time.monotonic() - t0 < 5


def test_a_ping_pong_that_ends_in_time_is_not_woken():
    # The watchdog (tests/test_watchdog.py) is disarmed with the last round trip: nothing
    # reaches the channel after it, and the echo's messages are never mistaken for it.
    ping, pong = EventChannel(), EventChannel()
    echo = threading.Thread(target=lambda: [pong.send(ping.recv()) for _ in range(3)])
    echo.start()
    assert len(round_trips(ping, pong, 3, 0.2, pong.send)) == 3
    echo.join()
    time.sleep(0.4)
    assert not pong.bell.is_set()
    assert TIMED_OUT != 1
