"""Routing on a small hand-built street grid, where every answer can be worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmile.domain import Coordinate
from lastmile.geo.congestion import CongestionCurve
from lastmile.geo.osm import OsmProvider, RoadNetwork
from lastmile.geo.osm.graph import build_graph
from lastmile.geo.osm.reader import RawWays
from lastmile.geo.travel import Profile

# A 5 x 5 grid of nodes ~111 m apart; rows are streets (row 2 one-way eastbound), columns are
# streets, plus a cycleway cutting a diagonal, a curved bypass east of the grid whose shape
# points are not junctions, and a dead-end island far away.
STEP = 0.001


def _grid() -> RawWays:
    lat, lon, ways = [], [], []
    for r in range(5):
        for c in range(5):
            lat.append(60.0 + r * STEP)
            lon.append(25.0 + c * STEP * 2)  # lon degrees are ~half as long at 60°N
    for r in range(5):
        tags = {"highway": "residential"} | ({"oneway": "yes"} if r == 2 else {})
        ways.append((r + 1, np.arange(r * 5, r * 5 + 5), tags))
    for c in range(5):
        ways.append((10 + c, np.arange(c, 25, 5), {"highway": "residential"}))
    ways.append((20, np.array([0, 6, 12, 18, 24]), {"highway": "cycleway"}))
    lat += [61.0, 61.001]
    lon += [25.0, 25.0]
    ways.append((30, np.array([25, 26]), {"highway": "residential"}))
    bypass = [(60.0005, 25.012), (60.0015, 25.012), (60.0025, 25.012), (60.0035, 25.012)]
    lat += [a for a, _ in bypass]
    lon += [b for _, b in bypass]
    ways.append((40, np.array([4, 27, 28, 29, 30, 24]), {"highway": "residential"}))
    node_ids = np.arange(1000, 1000 + len(lat), dtype=np.int64)
    return RawWays(np.array(lat), np.array(lon), node_ids, ways)


def _node(index: int) -> Coordinate:
    return Coordinate(60.0 + (index // 5) * STEP, 25.0 + (index % 5) * STEP * 2)


@pytest.fixture(scope="module")
def grid() -> OsmProvider:
    raw = _grid()
    graphs = {p: build_graph(raw, p) for p in (Profile.CAR, Profile.BICYCLE)}
    return OsmProvider(RoadNetwork(graphs, "grid", "test"), congestion=CongestionCurve.free_flow())


def test_the_island_is_left_out_and_every_grid_node_is_kept(grid: OsmProvider) -> None:
    graph = grid.network.graph(Profile.CAR)
    kept = sorted(graph.osm_ids.tolist())
    assert kept == [*range(1000, 1025), *range(1027, 1031)]


def test_a_point_near_the_island_snaps_onto_the_main_network(grid: OsmProvider) -> None:
    snapped = grid.snap([Coordinate(61.0, 25.0)])
    assert grid.network.graph(Profile.CAR).osm_ids[snapped.node[0]] in range(1000, 1025)


def test_driving_along_the_one_way_row_is_direct_and_back_is_a_detour(grid: OsmProvider) -> None:
    east = grid.matrix([_node(10)], [_node(14)]).distances_m[0, 0]
    west = grid.matrix([_node(14)], [_node(10)]).distances_m[0, 0]
    row = _node(10).distance_m(_node(14))
    assert abs(east - row) <= 2
    assert west > east + 150  # one block up or down and back


def test_points_on_the_same_road_between_junctions_are_routed_along_it(
    grid: OsmProvider,
) -> None:
    # Both points are shape points of the bypass, far from its junctions.
    a, b = Coordinate(60.0015, 25.012), Coordinate(60.0025, 25.012)
    result = grid.matrix([a, b], [a, b])
    assert abs(int(result.distances_m[0, 1]) - a.distance_m(b)) <= 1
    assert abs(int(result.distances_m[1, 0]) - a.distance_m(b)) <= 1


def test_the_cyclist_takes_the_diagonal_cycleway(grid: OsmProvider) -> None:
    bike = grid.matrix([_node(0)], [_node(24)], profile=Profile.BICYCLE).distances_m[0, 0]
    van = grid.matrix([_node(0)], [_node(24)]).distances_m[0, 0]
    assert bike < 0.8 * van


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([*range(25), 27, 28, 29, 30]), min_size=3, max_size=8, unique=True))
def test_contracted_results_equal_a_brute_force_search(grid: OsmProvider, picks: list[int]) -> None:
    from scipy.sparse.csgraph import dijkstra

    raw = _grid()
    points = [Coordinate(float(raw.lat[i]), float(raw.lon[i])) for i in picks]
    ours = grid.matrix(points, points).durations_s
    nodes = grid.snap(points).node
    reference = dijkstra(grid.router(Profile.CAR).full_csgraph, indices=nodes)[:, nodes]
    assert np.abs(ours - reference).max() <= 1.5


def test_a_city_too_big_for_one_distance_table_is_routed_in_batches_with_equal_results(
    grid: OsmProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lastmile.geo.osm import routing

    raw = _grid()
    points = [Coordinate(float(raw.lat[i]), float(raw.lon[i])) for i in [*range(25), 27, 29]]
    whole = grid.matrix(points, points)
    monkeypatch.setattr(routing, "_TABLE_BUDGET", 0)
    monkeypatch.setattr(routing, "_SOURCES_PER_BATCH", 4)
    batched = grid.matrix(points, points)
    assert np.array_equal(whole.durations_s, batched.durations_s)
    assert np.array_equal(whole.distances_m, batched.distances_m)


def test_the_same_point_twice_is_zero_apart_and_equal_to_its_twin_elsewhere(
    grid: OsmProvider,
) -> None:
    a, b = _node(0), Coordinate(60.0015, 25.012)
    result = grid.matrix([a, b, a], [b, a, a, b])
    assert result.durations_s[0].tolist() == result.durations_s[2].tolist()
    assert result.durations_s[0, 1] == result.durations_s[0, 2] == 0
    assert result.distances_m[1, 0] == result.distances_m[1, 3] == 0
    assert result.durations_s[0, 0] > 0


def _between(a: int, b: int, fraction: float = 0.5, north_m: float = 0.0) -> Coordinate:
    """A point part-way along the street from node a to node b, optionally set back north."""
    p, q = _node(a), _node(b)
    return Coordinate(
        p.lat + fraction * (q.lat - p.lat) + north_m / 111_195, p.lon + fraction * (q.lon - p.lon)
    )


def test_points_between_nodes_are_projected_onto_the_street_not_moved_to_a_node(
    grid: OsmProvider,
) -> None:
    a, b = _between(0, 1, north_m=8), _between(3, 4, north_m=8)
    along = _node(0).distance_m(_node(3))  # three blocks: half + two + half
    result = grid.matrix([a, b], [a, b])
    assert abs(int(result.distances_m[0, 1]) - (along + 16)) <= 3
    assert result.distances_m[0, 1] == result.distances_m[1, 0]


def test_a_one_way_street_is_respected_between_nodes_too(grid: OsmProvider) -> None:
    a, b = _between(11, 12), _between(12, 13)
    east = grid.matrix([a], [b]).distances_m[0, 0]
    west = grid.matrix([b], [a]).distances_m[0, 0]
    assert abs(int(east) - a.distance_m(b)) <= 2
    assert west > east + 200


def test_the_distance_to_the_road_is_measured_to_the_street_itself(grid: OsmProvider) -> None:
    beside = _between(1, 2, north_m=20)
    assert grid.road_distance_m([beside])[0] == pytest.approx(20, abs=0.5)
    assert grid.snap([beside]).distance_m[0] > 50


def test_a_route_starts_and_ends_on_the_street_beside_each_point(grid: OsmProvider) -> None:
    a, b = _between(11, 12, north_m=10), _between(12, 13, north_m=10)
    east = grid.route(a, b)
    assert east.coordinates[0] == a and east.coordinates[-1] == b
    on_street = east.coordinates[1]
    assert abs(on_street.lat - _node(11).lat) < 1e-9  # projected onto the row, not a node
    assert [c for c in east.coordinates[2:-2]] == [_node(12)]
    west = grid.route(b, a)
    assert west.distance_m > east.distance_m + 200  # the row is one-way eastbound
    matrix = grid.matrix([a, b], [a, b])
    assert abs(east.duration_s - int(matrix.durations_s[0, 1])) <= 1
    assert abs(west.duration_s - int(matrix.durations_s[1, 0])) <= 1


def test_a_route_between_two_points_of_one_segment_stays_on_it(grid: OsmProvider) -> None:
    a, b = _between(0, 1, 0.2), _between(0, 1, 0.7)
    route = grid.route(a, b)
    assert len(route.coordinates) == 4  # point, on-road, on-road, point
    assert abs(route.distance_m - a.distance_m(b)) <= 1
