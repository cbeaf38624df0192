from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lastmile.domain.errors import InvalidInput
from lastmile.domain.values import Coordinate
from lastmile.tracking.drift import DriftRules, DriftTracker
from lastmile.tracking.events import RouteDrifted, RouteRejoined

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PATH = [Coordinate(48.85, 2.30), Coordinate(48.85, 2.40)]  # an east-west line
M = 9e-6


def observe(t: DriftTracker, fixes: list[tuple[int, float]]) -> list[object]:
    out: list[object] = []
    for seconds, north in fixes:
        out += t.observe(T0 + timedelta(seconds=seconds), 48.85 + north * M, 2.35)
    return out


def test_a_vehicle_on_its_path_raises_nothing() -> None:
    t = DriftTracker("v", "r", PATH)
    assert observe(t, [(s, 50) for s in range(0, 600, 30)]) == []
    assert t.distance_m(48.85 + 50 * M, 2.35) == pytest.approx(50, rel=0.02)


def test_one_stray_fix_is_not_drift() -> None:
    t = DriftTracker("v", "r", PATH, DriftRules(corridor_m=300, after_s=120))
    assert observe(t, [(0, 0), (30, 900), (60, 0), (90, 0), (400, 0)]) == []


def test_staying_off_the_path_past_the_delay_raises_drift_once_then_rejoins() -> None:
    t = DriftTracker("v", "r", PATH, DriftRules(corridor_m=300, after_s=120))
    events = observe(t, [(0, 0), *[(s, 800) for s in range(30, 400, 30)], (420, 0)])
    assert [type(e) for e in events] == [RouteDrifted, RouteRejoined]
    drifted = events[0]
    assert isinstance(drifted, RouteDrifted) and drifted.since == T0 + timedelta(seconds=30)
    assert drifted.distance_m == pytest.approx(800, rel=0.02)


def test_an_empty_path_is_refused() -> None:
    with pytest.raises(InvalidInput, match="path"):
        DriftTracker("v", "r", [])
