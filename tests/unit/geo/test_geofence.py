"""Geofences around stops and hubs: who is inside, with a margin for leaving."""

from __future__ import annotations

import numpy as np
import pytest

from lastmile.domain import Coordinate, InvalidInput, Zone
from lastmile.geo.geofence import CircleFence, FenceIndex, PolygonFence, circle_around
from lastmile.geo.points import haversine_m

STOP = Coordinate(60.1700, 24.9400)
# ~111 m north of the stop per 0.001° of latitude.
NORTH_70 = Coordinate(60.1700 + 70 / 111_195, 24.9400)
NORTH_90 = Coordinate(60.1700 + 90 / 111_195, 24.9400)
BLOCK = Zone(ref="BLOCK", name="block",
             polygon=(((24.93, 60.16), (24.95, 60.16), (24.95, 60.17), (24.93, 60.17),
                       (24.93, 60.16)),))  # fmt: skip


def test_a_circle_fence_contains_points_within_its_radius() -> None:
    fence = circle_around(STOP, 75)
    assert fence.contains([STOP, NORTH_70, NORTH_90]).tolist() == [True, True, False]


def test_a_margin_keeps_a_driver_inside_until_clearly_gone() -> None:
    fence = CircleFence(STOP, 75)
    assert fence.contains([NORTH_90], margin_m=25).tolist() == [True]


def test_a_polygon_fence_contains_what_its_rings_enclose_with_a_margin_in_metres() -> None:
    fence = PolygonFence.from_zone(BLOCK)
    just_south = Coordinate(60.16 - 20 / 111_195, 24.94)
    assert fence.contains([Coordinate(60.165, 24.94), just_south]).tolist() == [True, False]
    assert fence.contains([just_south], margin_m=30).tolist() == [True]


def test_nonsense_fences_are_refused() -> None:
    with pytest.raises(InvalidInput, match="radius"):
        CircleFence(STOP, 0)
    with pytest.raises(InvalidInput, match="closed ring"):
        PolygonFence((((0.0, 0.0), (1.0, 0.0), (0.0, 0.0)),))


def test_a_fence_index_finds_the_same_fences_as_checking_each_one() -> None:
    rng = np.random.default_rng(4)
    centres = rng.uniform([60.10, 24.80], [60.30, 25.20], (300, 2))
    radii_m = rng.uniform(30, 400, 300)
    fences: list[CircleFence | PolygonFence] = [
        CircleFence(Coordinate(*c), float(r)) for c, r in zip(centres, radii_m, strict=True)
    ]
    fences.append(PolygonFence.from_zone(BLOCK))
    pings = rng.uniform([60.10, 24.80], [60.30, 25.20], (4000, 2))
    found = FenceIndex(fences).containing(pings, margin_m=10)
    distance = haversine_m(pings, centres)
    radii = radii_m
    in_block = fences[-1].contains(pings, margin_m=10)
    for p in range(len(pings)):
        expected = list(np.flatnonzero(distance[p] <= radii + 10)) + ([300] if in_block[p] else [])
        assert found[p] == expected
