"""Route geometries: the road path between two points as coordinates or GeoJSON, for maps."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from lastmile.domain import Coordinate, LastMileError
from lastmile.geo.osm.routing import Router
from lastmile.geo.points import as_lat_lon


@dataclass(frozen=True)
class RouteGeometry:
    """The path in travel order, from the origin point to the destination point."""

    coordinates: tuple[Coordinate, ...]
    duration_s: int
    distance_m: int

    def as_geojson(self) -> dict[str, Any]:
        """A GeoJSON Feature with a LineString in (lon, lat) order."""
        return {
            "type": "Feature",
            "geometry": {
                "type": "LineString",
                "coordinates": [[c.lon, c.lat] for c in self.coordinates],
            },
            "properties": {"duration_s": self.duration_s, "distance_m": self.distance_m},
        }


@dataclass(frozen=True)
class _OnRoad:
    """A point projected onto the segment ``a -> b`` at ``fraction`` of its length."""

    a: int
    b: int
    fraction: float
    offset_m: float
    where: Coordinate


def _on_road(router: Router, point: Coordinate) -> _OnRoad:
    located = router.locate(as_lat_lon([point]))
    c, g = router.graph.chains, router.graph
    pair, f = int(located.pair[0]), float(located.fraction[0])
    a, b = int(c.nodes[pair]), int(c.nodes[pair + 1])
    where = Coordinate(
        float(g.lat[a] + f * (g.lat[b] - g.lat[a])), float(g.lon[a] + f * (g.lon[b] - g.lon[a]))
    )
    return _OnRoad(a, b, f, float(located.distance_m[0]), where)


def _cost(router: Router, u: int, v: int, share: float) -> tuple[float, float] | None:
    """(seconds, metres) for ``share`` of segment u -> v; None when it is not allowed."""
    if share == 0.0:
        return 0.0, 0.0
    seconds = float(router.full_csgraph[u, v])
    if seconds == 0.0 and u != v:
        return None
    return share * seconds, share * float(router.full_lengths[u, v])


def _ways(router: Router, p: _OnRoad, leaving: bool) -> list[tuple[int, float, float]]:
    """(node, seconds, metres) to leave the point's segment by, or to reach it from."""
    if leaving:
        options = ((p.b, p.a, p.b, 1 - p.fraction), (p.a, p.b, p.a, p.fraction))
    else:
        options = ((p.a, p.a, p.b, p.fraction), (p.b, p.b, p.a, 1 - p.fraction))
    found = []
    for node, u, v, share in options:
        cost = _cost(router, u, v, share)
        if cost is not None:
            found.append((node, *cost))
    return found


def _direct(router: Router, o: _OnRoad, d: _OnRoad) -> tuple[float, float] | None:
    """Along the one segment both points lie on, when its direction allows."""
    if (o.a, o.b) != (d.a, d.b):
        return None
    if d.fraction >= o.fraction:
        return _cost(router, o.a, o.b, d.fraction - o.fraction)
    return _cost(router, o.b, o.a, o.fraction - d.fraction)


def _best_path(
    router: Router, starts: list[tuple[int, float, float]], ends: list[tuple[int, float, float]]
) -> tuple[float, list[int], float]:
    """(seconds, nodes, metres in the start and end pieces) of the fastest combination."""
    from scipy.sparse.csgraph import dijkstra

    sources = [s[0] for s in starts]
    times, predecessors = dijkstra(
        router.full_csgraph, directed=True, indices=sources, return_predecessors=True
    )
    best = min(
        ((s[1] + times[i, e[0]] + e[1], i, e) for i, s in enumerate(starts) for e in ends),
        key=lambda item: item[0],
    )
    seconds, i, end = best
    if not np.isfinite(seconds):
        raise LastMileError(f"{router.graph.profile} graph is not strongly connected")
    path = [end[0]]
    while path[-1] != sources[i]:
        path.append(int(predecessors[i, path[-1]]))
    return float(seconds), path[::-1], starts[i][2] + end[2]


def shortest_route(
    router: Router,
    origin: Coordinate,
    destination: Coordinate,
    congestion_factor: float,
    approach_kmh: float,
) -> RouteGeometry:
    """Fastest road path between the points' projections onto their nearest roads.

    The stretches from each point to its road are straight pieces crossed at
    ``approach_kmh``, as in the matrices.
    """
    if origin == destination:
        return RouteGeometry((origin, destination), 0, 0)
    o, d = _on_road(router, origin), _on_road(router, destination)
    g = router.graph
    metres = o.offset_m + d.offset_m
    seconds = metres / (approach_kmh / 3.6)
    road_s, nodes, road_m = _best_path(router, _ways(router, o, True), _ways(router, d, False))
    direct = _direct(router, o, d)
    if direct is not None and direct[0] <= road_s:
        road_s, nodes, road_m = direct[0], [], direct[1]
    elif len(nodes) > 1:
        a, b = np.array(nodes[:-1]), np.array(nodes[1:])
        road_m += float(router.full_lengths[a, b].sum())
    road = [Coordinate(float(g.lat[n]), float(g.lon[n])) for n in nodes]
    return RouteGeometry(
        coordinates=(origin, o.where, *road, d.where, destination),
        duration_s=math.ceil((seconds + road_s) * congestion_factor),
        distance_m=round(metres + road_m),
    )
