"""Reusing the legs between stops gives exactly the ETAs of a full refresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmile.domain.errors import InvalidInput
from lastmile.domain.values import Coordinate
from lastmile.geo.haversine import HaversineProvider
from lastmile.geo.travel import Profile
from lastmile.tracking.eta.route import LegCache, RemainingStop, route_etas

PROVIDER = HaversineProvider()
DAY = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
points = st.tuples(st.floats(52.3, 52.7), st.floats(13.1, 13.7)).map(lambda p: Coordinate(*p))


def stops_at(places: list[Coordinate]) -> list[RemainingStop]:
    return [RemainingStop(f"S{i}", c, 120 + i, (f"O{i}",)) for i, c in enumerate(places)]


@settings(max_examples=40, deadline=None)
@given(
    places=st.lists(points, min_size=1, max_size=25),
    fixes=st.lists(points, min_size=1, max_size=4),
    minutes=st.integers(0, 20 * 60),
)
def test_cached_legs_give_the_same_etas_as_one_full_matrix(
    places: list[Coordinate], fixes: list[Coordinate], minutes: int
) -> None:
    stops, cache = stops_at(places), LegCache(size=2)
    for n, fix in enumerate(fixes):
        at = DAY + timedelta(minutes=minutes + 7 * n)
        assert route_etas(fix, at, stops, PROVIDER, legs=cache) == route_etas(
            fix, at, stops, PROVIDER
        )
        stops = stops[1:] or stops  # a stop served: the next refresh sees fewer


def test_the_cache_keeps_at_most_its_size() -> None:
    cache = LegCache(size=2)
    stops = stops_at([Coordinate(52.5, 13.4 + 0.01 * i) for i in range(5)])
    for k in range(4):
        cache.between(PROVIDER, stops[k:], Profile.CAR, 9)
    assert len(cache._legs) == 2


def test_a_cache_of_no_entries_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as error:
        LegCache(size=0)
    assert error.value.field == "size"
