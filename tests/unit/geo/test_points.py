"""The vectorised great-circle maths agrees with the domain's one-pair formula."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmile.domain import Coordinate
from lastmile.geo.points import as_lat_lon, haversine_m, haversine_pairs_m

anywhere = st.builds(
    Coordinate,
    lat=st.floats(-89.0, 89.0, allow_nan=False),
    lon=st.floats(-180.0, 180.0, allow_nan=False),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(anywhere, min_size=1, max_size=6), st.lists(anywhere, min_size=1, max_size=6))
def test_the_distance_grid_matches_coordinate_distance_to_the_millimetre(
    origins: list[Coordinate], destinations: list[Coordinate]
) -> None:
    grid = haversine_m(as_lat_lon(origins), as_lat_lon(destinations))
    expected = np.array([[a.distance_m(b) for b in destinations] for a in origins])
    assert np.allclose(grid, expected, rtol=1e-9, atol=1e-3)


@settings(max_examples=40, deadline=None)
@given(st.lists(anywhere, min_size=2, max_size=8))
def test_the_grid_is_exactly_symmetric_and_zero_on_the_diagonal(points: list[Coordinate]) -> None:
    lat_lon = as_lat_lon(points)
    grid = haversine_m(lat_lon, lat_lon)
    assert np.array_equal(grid, grid.T)
    assert np.allclose(np.diag(grid), 0.0, atol=1e-3)
    assert np.allclose(haversine_pairs_m(lat_lon, lat_lon[::-1]), np.diag(grid[:, ::-1]))
