"""The zero-setup provider: plausible city travel times that depend on vehicle and hour."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmile.domain import Coordinate, InvalidInput
from lastmile.geo.congestion import CongestionCurve, band_name
from lastmile.geo.haversine import HaversineProvider
from lastmile.geo.travel import Profile

HELSINKI = Coordinate(60.1699, 24.9384)
ESPOO = Coordinate(60.2055, 24.6559)
city_points = st.builds(
    Coordinate,
    lat=st.floats(60.10, 60.30, allow_nan=False),
    lon=st.floats(24.70, 25.10, allow_nan=False),
)


def test_matrix_has_integer_seconds_and_metres_of_the_requested_shape() -> None:
    result = HaversineProvider().matrix([HELSINKI, ESPOO], [ESPOO, HELSINKI, HELSINKI])
    assert result.durations_s.shape == (2, 3)
    assert result.durations_s.dtype == np.int64
    assert result.distances_m.dtype == np.int64


def test_road_distance_is_the_great_circle_times_the_circuity_factor() -> None:
    result = HaversineProvider(circuity=1.3).matrix([HELSINKI], [ESPOO])
    expected = HELSINKI.distance_m(ESPOO) * 1.3
    assert abs(int(result.distances_m[0, 0]) - expected) <= 1


def test_a_square_matrix_has_a_zero_diagonal() -> None:
    points = [HELSINKI, ESPOO, Coordinate(60.18, 24.95)]
    result = HaversineProvider().matrix(points, points)
    assert not np.diag(result.durations_s).any()
    assert not np.diag(result.distances_m).any()


def test_a_bicycle_is_slower_than_a_van_but_faster_than_walking() -> None:
    provider = HaversineProvider()
    car, bike, foot = (
        int(provider.matrix([HELSINKI], [ESPOO], profile=p, hour=3).durations_s[0, 0])
        for p in (Profile.CAR, Profile.BICYCLE, Profile.FOOT)
    )
    assert car < bike < foot


def test_the_morning_peak_is_slower_than_midafternoon_for_a_van() -> None:
    provider = HaversineProvider()
    peak = provider.matrix([HELSINKI], [ESPOO], hour=8).durations_s[0, 0]
    afternoon = provider.matrix([HELSINKI], [ESPOO], hour=14).durations_s[0, 0]
    assert peak > afternoon


def test_traffic_does_not_slow_a_cyclist() -> None:
    provider = HaversineProvider()
    peak = provider.matrix([HELSINKI], [ESPOO], profile=Profile.BICYCLE, hour=8)
    night = provider.matrix([HELSINKI], [ESPOO], profile=Profile.BICYCLE, hour=2)
    assert peak.durations_s[0, 0] == night.durations_s[0, 0]


def test_distances_do_not_depend_on_the_hour() -> None:
    provider = HaversineProvider()
    peak = provider.matrix([HELSINKI], [ESPOO], hour=8).distances_m
    night = provider.matrix([HELSINKI], [ESPOO], hour=2).distances_m
    assert np.array_equal(peak, night)


def test_empty_origin_list_gives_an_empty_matrix_not_an_error() -> None:
    result = HaversineProvider().matrix([], [HELSINKI])
    assert result.durations_s.shape == (0, 1)


@pytest.mark.parametrize("hour", [-1, 24, 8.5, True])
def test_an_hour_outside_the_day_is_refused_naming_the_field(hour: object) -> None:
    with pytest.raises(InvalidInput, match="hour"):
        HaversineProvider().matrix([HELSINKI], [ESPOO], hour=hour)  # type: ignore[arg-type]


def test_a_point_that_is_not_a_coordinate_is_refused_naming_its_position() -> None:
    with pytest.raises(InvalidInput, match=r"destinations\[1\]"):
        HaversineProvider().matrix([HELSINKI], [ESPOO, (60.1, 24.9)])  # type: ignore[list-item]


def test_nonsense_configuration_is_refused() -> None:
    with pytest.raises(InvalidInput, match="circuity"):
        HaversineProvider(circuity=0.5)
    with pytest.raises(InvalidInput, match="speed"):
        HaversineProvider(speeds_kmh={Profile.CAR: 0.0})
    with pytest.raises(InvalidInput, match="24 hourly factors"):
        CongestionCurve.of([1.0] * 23)


def test_hours_fall_into_named_departure_bands() -> None:
    assert band_name(8) == "morning_peak"
    assert band_name(14) == "midday"
    assert band_name(17) == "evening_peak"
    assert band_name(2) == "night"


def test_a_large_matrix_is_computed_in_chunks_with_the_same_values() -> None:
    rng = np.random.default_rng(7)
    points = [Coordinate(float(a), float(b)) for a, b in rng.uniform(60.1, 60.3, (1500, 2))]
    full = HaversineProvider().matrix(points, points[:1500])
    row = HaversineProvider().matrix(points[1400:1401], points)
    assert np.array_equal(full.distances_m[1400], row.distances_m[0])


@settings(max_examples=60, deadline=None)
@given(a=city_points, b=city_points, c=city_points, hour=st.integers(0, 23))
def test_travel_is_symmetric_and_obeys_the_triangle_inequality(
    a: Coordinate, b: Coordinate, c: Coordinate, hour: int
) -> None:
    result = HaversineProvider().matrix([a, b, c], [a, b, c], hour=hour)
    d, t = result.distances_m, result.durations_s
    assert np.array_equal(d, d.T)
    assert np.array_equal(t, t.T)
    assert (d >= 0).all()
    assert d[0, 2] <= d[0, 1] + d[1, 2] + 1  # +1: each leg is rounded to whole metres
    assert t[0, 2] <= t[0, 1] + t[1, 2] + 1
