"""The simulated clock: actions in time order, ties in scheduling order, pacing on request."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lastmile.sim.clock import SimClock


def test_actions_run_in_time_order_and_ties_in_the_order_they_were_scheduled() -> None:
    clock = SimClock()
    seen: list[tuple[float, str]] = []

    def note(name: str) -> None:
        seen.append((clock.now_s, name))

    for at, name in ((30.0, "c"), (10.0, "a"), (30.0, "d"), (20.0, "b")):
        clock.schedule(at, lambda name=name: note(name))  # type: ignore[misc]
    assert clock.run() == 4
    assert seen == [(10.0, "a"), (20.0, "b"), (30.0, "c"), (30.0, "d")]


def test_an_action_can_schedule_more_and_run_stops_at_the_horizon() -> None:
    clock, seen = SimClock(), []

    def tick() -> None:
        seen.append(clock.now_s)
        clock.after(60.0, tick)

    clock.schedule(0.0, tick)
    clock.run(until_s=300.0)
    assert seen == [0.0, 60.0, 120.0, 180.0, 240.0, 300.0]
    assert clock.now_s == 300.0 and clock.pending == 1


def test_the_past_cannot_be_scheduled() -> None:
    clock = SimClock(100.0)
    with pytest.raises(ValueError, match="clock is at 100"):
        clock.schedule(50.0, lambda: None)


def test_a_pace_waits_for_the_wall_clock_without_sleeping_for_real() -> None:
    wall = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        wall[0] += seconds

    clock = SimClock(pace=60.0, sleep=sleep, wall=lambda: wall[0])
    clock.schedule(600.0, lambda: None)
    clock.schedule(1200.0, lambda: None)
    clock.run()
    assert slept == pytest.approx([10.0, 10.0])


def test_a_pace_must_be_positive() -> None:
    with pytest.raises(ValueError, match="pace"):
        SimClock(pace=0.0)


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=60))
def test_whatever_the_schedule_time_never_goes_backwards(times: list[float]) -> None:
    clock, seen = SimClock(), []
    for t in times:
        clock.schedule(t, lambda: seen.append(clock.now_s))
    clock.run()
    assert seen == sorted(times)
