"""Travel times on real OpenStreetMap extracts behave the way a dispatcher would expect."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lastmile.domain import Coordinate
from lastmile.geo.osm import OsmProvider
from lastmile.geo.osm.graph import directed_segments
from lastmile.geo.osm.reader import RawWays
from lastmile.geo.travel import Profile


def _point(raw: RawWays, node: int) -> Coordinate:
    return Coordinate(float(raw.lat[node]), float(raw.lon[node]))


def _length_m(raw: RawWays, nodes: np.ndarray) -> float:
    return sum(_point(raw, a).distance_m(_point(raw, b)) for a, b in itertools.pairwise(nodes))


def _graph_points(provider: OsmProvider, profile: Profile, count: int, seed: int) -> list:
    """Points a few metres off randomly chosen road nodes, as geocoded addresses are."""
    graph = provider.network.graph(profile)
    rng = np.random.default_rng(seed)
    nodes = rng.choice(graph.node_count, count, replace=False)
    jitter = rng.normal(0, 1e-4, (count, 2))
    return [
        Coordinate(float(graph.lat[n] + dy), float(graph.lon[n] + dx))
        for n, (dy, dx) in zip(nodes, jitter, strict=True)
    ]


def _one_way_streets(raw: RawWays, provider: OsmProvider) -> list[tuple[Coordinate, Coordinate]]:
    in_graph = set(provider.network.graph(Profile.CAR).osm_ids.tolist())
    streets = []
    for _way, nodes, tags in raw.ways:
        ends = raw.node_ids[nodes[[0, -1]]]
        if (
            tags.get("oneway") == "yes"
            and tags.get("highway") in ("residential", "tertiary", "secondary", "primary")
            and all(int(e) in in_graph for e in ends)
            and _length_m(raw, nodes) > 150
        ):
            streets.append((_point(raw, nodes[0]), _point(raw, nodes[-1])))
    return streets


def test_one_way_streets_make_a_to_b_differ_from_b_to_a_by_van(
    andorra: OsmProvider, andorra_raw: RawWays
) -> None:
    streets = _one_way_streets(andorra_raw, andorra)
    assert len(streets) >= 20
    starts = [a for a, _ in streets]
    ends = [b for _, b in streets]
    along = np.diag(andorra.matrix(starts, ends, hour=3).durations_s)
    against = np.diag(andorra.matrix(ends, starts, hour=3).durations_s)
    # A one-way street is the fast way from its start to its end; driving back means a
    # detour (a short one where the street curls back near its start, e.g. a ramp).
    assert (along != against).mean() > 0.9
    assert (along < against).mean() > 0.85


def test_walking_ignores_one_way_streets(andorra: OsmProvider, andorra_raw: RawWays) -> None:
    streets = _one_way_streets(andorra_raw, andorra)[:20]
    starts = [a for a, _ in streets]
    ends = [b for _, b in streets]
    along = andorra.matrix(starts, ends, profile=Profile.FOOT).durations_s
    against = andorra.matrix(ends, starts, profile=Profile.FOOT).durations_s
    assert np.array_equal(along, against.T)


def test_a_bicycle_rides_a_cycleway_that_a_van_must_drive_around(
    helsinki: OsmProvider, helsinki_raw: RawWays
) -> None:
    car_nodes = set(helsinki.network.graph(Profile.CAR).osm_ids.tolist())
    bike_nodes = set(helsinki.network.graph(Profile.BICYCLE).osm_ids.tolist())
    cycleways = [
        (_length_m(helsinki_raw, nodes), nodes)
        for _way, nodes, tags in helsinki_raw.ways
        if tags.get("highway") == "cycleway"
        and all(int(n) in bike_nodes for n in helsinki_raw.node_ids[nodes])
        and not any(int(n) in car_nodes for n in helsinki_raw.node_ids[nodes])
    ]
    length, nodes = max(cycleways, key=lambda item: item[0])
    a, b = _point(helsinki_raw, nodes[0]), _point(helsinki_raw, nodes[-1])
    bike = helsinki.matrix([a], [b], profile=Profile.BICYCLE).distances_m[0, 0]
    van = helsinki.matrix([a], [b], profile=Profile.CAR).distances_m[0, 0]
    assert abs(bike - length) <= 2
    assert van > 1.3 * bike


@pytest.mark.parametrize(("profile", "hour"), [(Profile.CAR, 8), (Profile.FOOT, 12)])
def test_fastest_times_obey_the_triangle_inequality(
    andorra: OsmProvider, profile: Profile, hour: int
) -> None:
    points = _graph_points(andorra, profile, 60, seed=3)
    t = andorra.matrix(points, points, profile=profile, hour=hour).durations_s
    via = t[:, :, None] + t[None, :, :]  # i -> j -> k
    assert (t[:, None, :] <= via).all()
    assert not np.diag(t).any()


def test_contracted_routing_equals_plain_dijkstra_on_every_road_node(
    andorra: OsmProvider,
) -> None:
    from scipy.sparse.csgraph import dijkstra

    graph = andorra.network.graph(Profile.CAR)
    nodes = np.random.default_rng(5).choice(graph.node_count, 150, replace=False)
    points = [Coordinate(float(graph.lat[n]), float(graph.lon[n])) for n in nodes]
    ours = andorra.matrix(points, points, hour=3).durations_s
    reference = dijkstra(andorra.router(Profile.CAR).full_csgraph, indices=nodes)[:, nodes]
    assert np.abs(ours - reference).max() <= 2.5  # whole seconds, rounded per chain


def test_snapping_never_lands_on_an_unreachable_island(
    andorra: OsmProvider, andorra_raw: RawWays
) -> None:
    from scipy.sparse.csgraph import dijkstra

    graph = andorra.network.graph(Profile.CAR)
    u, v, _, _ = directed_segments(andorra_raw, Profile.CAR)
    drivable = np.union1d(u, v)
    islands = drivable[~np.isin(andorra_raw.node_ids[drivable], graph.osm_ids)]
    assert len(islands) > 50, "the extract has drivable roads cut off from the main network"
    points = [_point(andorra_raw, n) for n in islands[::5]]
    snapped = andorra.snap(points).node
    reach = dijkstra(andorra.router(Profile.CAR).full_csgraph, indices=np.unique(snapped))
    assert np.isfinite(reach[:, snapped]).all()
    durations = andorra.matrix(points, points).durations_s
    assert (durations[~np.eye(len(points), dtype=bool)] > 0).all()


def test_a_morning_peak_van_matrix_is_slower_than_the_afternoon_one(
    andorra: OsmProvider,
) -> None:
    points = _graph_points(andorra, Profile.CAR, 20, seed=9)
    peak = andorra.matrix(points, points, hour=8)
    afternoon = andorra.matrix(points, points, hour=14)
    off = ~np.eye(20, dtype=bool)
    assert (peak.durations_s[off] > afternoon.durations_s[off]).all()
    assert np.array_equal(peak.distances_m, afternoon.distances_m)


def test_a_house_beside_a_long_straight_road_is_close_to_the_road(andorra: OsmProvider) -> None:
    graph = andorra.network.graph(Profile.CAR)
    longest = int(np.argmax(graph.seg_len_m))
    u, v = graph.seg_u[longest], graph.seg_v[longest]
    middle = Coordinate(
        float((graph.lat[u] + graph.lat[v]) / 2), float((graph.lon[u] + graph.lon[v]) / 2)
    )
    assert graph.seg_len_m[longest] > 300
    assert andorra.road_distance_m([middle])[0] < 5
    assert andorra.snap([middle]).distance_m[0] > 100  # the nearest node is far away


def test_route_geometries_take_as_long_as_the_matrix_says(andorra: OsmProvider) -> None:
    points = _graph_points(andorra, Profile.CAR, 8, seed=11)
    matrix = andorra.matrix(points, points, hour=8)
    for i, j in [(0, 1), (2, 3), (4, 5), (6, 7), (7, 0)]:
        route = andorra.route(points[i], points[j], hour=8)
        assert abs(route.duration_s - int(matrix.durations_s[i, j])) <= 2
        assert abs(route.distance_m - int(matrix.distances_m[i, j])) <= 5
