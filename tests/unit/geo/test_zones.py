"""Point-in-zone for polygons and H3 cells, and the access rules the planner honours."""

from __future__ import annotations

import h3
import numpy as np
import pytest
import shapely

from lastmile.domain import AccessRule, Coordinate, InvalidInput, Zone
from lastmile.geo.zones import ZoneIndex, access_rules_for, h3_cover, outside_every_zone

# Central Helsinki: an outer service area with a hole (a park), and a low-emission core.
SERVICE = Zone(
    ref="HEL",
    name="Helsinki centre",
    polygon=(
        ((24.92, 60.15), (24.97, 60.15), (24.97, 60.19), (24.92, 60.19), (24.92, 60.15)),
        ((24.94, 60.17), (24.945, 60.17), (24.945, 60.175), (24.94, 60.175), (24.94, 60.17)),
    ),
)
CORE = Zone(
    ref="CORE",
    name="Low-emission core",
    polygon=(((24.93, 60.16), (24.95, 60.16), (24.95, 60.17), (24.93, 60.17), (24.93, 60.16)),),
    access=frozenset({AccessRule.LOW_EMISSION, AccessRule.NO_TRUCKS}),
)
MARKET_CELL = h3.latlng_to_cell(60.1675, 24.9525, 9)
MARKET = Zone(
    ref="MARKET", name="Market square", h3_cells=(MARKET_CELL,),
    access=frozenset({AccessRule.CARGO_BIKE_ONLY}),
)  # fmt: skip


def test_points_are_matched_to_polygons_exactly_like_shapely_one_by_one() -> None:
    rng = np.random.default_rng(1)
    lat_lon = np.column_stack([rng.uniform(60.14, 60.20, 3000), rng.uniform(24.91, 24.98, 3000)])
    member = ZoneIndex([SERVICE, CORE]).membership(lat_lon)
    polygon = shapely.Polygon(SERVICE.polygon[0], holes=[SERVICE.polygon[1]])
    expected = [polygon.contains(shapely.Point(lon, lat)) for lat, lon in lat_lon]
    assert member[:, 0].tolist() == expected


def test_a_hole_in_a_service_area_is_outside_it() -> None:
    park = Coordinate(60.1725, 24.9425)
    street = Coordinate(60.1800, 24.9600)
    assert ZoneIndex([SERVICE]).membership([park, street])[:, 0].tolist() == [False, True]


def test_a_point_is_in_an_h3_zone_when_its_cell_is_listed() -> None:
    inside = Coordinate(*h3.cell_to_latlng(MARKET_CELL))
    neighbour = h3.grid_ring(MARKET_CELL, 1)[0]
    outside = Coordinate(*h3.cell_to_latlng(neighbour))
    assert ZoneIndex([MARKET]).membership([inside, outside])[:, 0].tolist() == [True, False]


def test_a_zone_covers_the_union_of_its_polygon_and_its_cells() -> None:
    far_cell = h3.latlng_to_cell(60.30, 25.10, 8)
    both = Zone(ref="BOTH", name="b", polygon=CORE.polygon, h3_cells=(far_cell,))
    points = [Coordinate(60.165, 24.94), Coordinate(*h3.cell_to_latlng(far_cell)),
              Coordinate(60.25, 25.0)]  # fmt: skip
    assert ZoneIndex([both]).membership(points)[:, 0].tolist() == [True, True, False]


def test_each_point_gets_every_access_rule_of_every_zone_it_is_in() -> None:
    in_core = Coordinate(60.165, 24.94)
    at_market = Coordinate(*h3.cell_to_latlng(MARKET_CELL))
    suburb = Coordinate(60.25, 25.05)
    rules = access_rules_for([in_core, at_market, suburb], [SERVICE, CORE, MARKET])
    assert rules[0] == {AccessRule.LOW_EMISSION, AccessRule.NO_TRUCKS}
    assert rules[1] == {AccessRule.CARGO_BIKE_ONLY}
    assert rules[2] == frozenset()


def test_points_outside_every_service_area_are_flagged() -> None:
    points = [Coordinate(60.165, 24.94), Coordinate(60.25, 25.05)]
    assert outside_every_zone(points, [SERVICE]).tolist() == [False, True]
    assert outside_every_zone(points, []).tolist() == [True, True]


def test_zones_of_lists_the_zones_containing_each_point() -> None:
    found = ZoneIndex([SERVICE, CORE]).zones_of([Coordinate(60.165, 24.94)])
    assert [z.ref for z in found[0]] == ["HEL", "CORE"]


def test_a_hundred_thousand_points_are_tested_in_one_vectorised_call() -> None:
    rng = np.random.default_rng(2)
    lat_lon = np.column_stack([rng.uniform(60.1, 60.25, 100_000), rng.uniform(24.9, 25.0, 100_000)])
    member = ZoneIndex([SERVICE, CORE, MARKET]).membership(lat_lon)
    assert member.shape == (100_000, 3)
    assert member[:, 1].sum() < member[:, 0].sum()
    assert (member[:, 1] <= member[:, 0] | _in_hole(lat_lon)).all()


def _in_hole(lat_lon: np.ndarray) -> np.ndarray:
    hole = shapely.Polygon(SERVICE.polygon[1])
    return shapely.contains_xy(hole, lat_lon[:, 1], lat_lon[:, 0])


def test_a_self_intersecting_polygon_is_refused_naming_the_zone() -> None:
    ring = ((0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0))
    bow_tie = Zone(ref="BAD", name="x", polygon=(ring,))
    with pytest.raises(InvalidInput, match="zone BAD: invalid polygon"):
        ZoneIndex([bow_tie])


def test_an_unknown_h3_cell_and_duplicate_refs_are_refused() -> None:
    with pytest.raises(InvalidInput, match="not an H3 cell"):
        ZoneIndex([Zone(ref="Z", name="z", h3_cells=("nonsense",))])
    with pytest.raises(InvalidInput, match="unique: CORE"):
        ZoneIndex([CORE, CORE])


def test_a_polygon_zone_can_be_expressed_as_h3_cells_for_analytics() -> None:
    cells = h3_cover(CORE, 9)
    assert len(cells) > 10
    centres = [Coordinate(*h3.cell_to_latlng(c)) for c in cells]
    assert ZoneIndex([CORE]).membership(centres)[:, 0].all()
    assert h3_cover(MARKET, 8) == (h3.cell_to_parent(MARKET_CELL, 8),)
