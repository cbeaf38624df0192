from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lastmile.domain.values import Coordinate
from lastmile.tracking.dwell import DwellRules, DwellTracker, StopFence
from lastmile.tracking.events import LongStop, StopArrived, StopDeparted

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STOP = Coordinate(48.8500, 2.3500)
# One metre of latitude is about 9e-6 degrees.
M = 9e-6


def tracker(**rules: float) -> DwellTracker:
    return DwellTracker("van-1", [StopFence("s1", STOP, ("o-1",))], DwellRules(**rules))


def feed(t: DwellTracker, fixes: list[tuple[int, float]]) -> list[object]:
    """Fixes as (seconds after T0, metres north of the stop)."""
    events: list[object] = []
    for seconds, north in fixes:
        events += t.observe(T0 + timedelta(seconds=seconds), STOP.lat + north * M, STOP.lon)
    return events


def test_driving_past_a_stop_is_not_an_arrival() -> None:
    # 30 km/h through a 75 m fence: inside for about 18 s.
    fixes = [(s, -150 + s * 8.3) for s in range(0, 40, 2)]
    assert feed(tracker(dwell_s=45), fixes) == []


def test_staying_inside_for_the_dwell_threshold_is_an_arrival_at_the_time_of_entry() -> None:
    events = feed(tracker(dwell_s=45), [(0, 200), (10, 20), (30, 5), (60, 0)])
    assert len(events) == 1 and isinstance(events[0], StopArrived)
    assert events[0].arrived_at == T0 + timedelta(seconds=10)
    assert events[0].order_refs == ("o-1",)


def test_jitter_at_the_fence_edge_does_not_end_the_stay() -> None:
    fixes = [(0, 0), (60, 0), (90, 90), (120, 70), (150, 95), (180, 0)]
    events = feed(tracker(dwell_s=45, exit_margin_m=30), fixes)
    assert [type(e) for e in events] == [StopArrived]


def test_leaving_records_the_dwell_time() -> None:
    t = tracker(dwell_s=30)
    events = feed(t, [(0, 0), (40, 0), (300, 10), (320, 500)])
    departed = [e for e in events if isinstance(e, StopDeparted)]
    assert departed and departed[0].dwell_s == 300
    assert t.dwells[0].dwell_s == 300


def test_a_long_stop_is_raised_once() -> None:
    events = feed(tracker(dwell_s=30, long_stop_s=600), [(s, 0) for s in range(0, 1500, 60)])
    assert [type(e) for e in events] == [StopArrived, LongStop]


def test_a_late_fix_never_moves_the_stay_backwards() -> None:
    t = tracker(dwell_s=30)
    feed(t, [(0, 0), (60, 0)])
    assert feed(t, [(30, 900)]) == []
    assert t._stay is not None


def test_the_nearest_of_two_overlapping_fences_is_chosen() -> None:
    other = Coordinate(STOP.lat + 60 * M, STOP.lon)
    t = DwellTracker("v", [StopFence("a", STOP), StopFence("b", other)], DwellRules(dwell_s=0))
    events = t.observe(T0, STOP.lat + 50 * M, STOP.lon)
    assert isinstance(events[0], StopArrived) and events[0].stop_ref == "b"
