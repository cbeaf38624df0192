"""Geofences around stops and hubs: circles and polygons, tested for many points at once.

Tracking asks "which stop's fence is this driver inside?" for every ping, so fences live in
an index: a KD-tree over circle centres and an STRtree over polygons. Polygons are kept in
local metres so a margin (hysteresis for leaving a fence) is a plain buffer in metres.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from lastmile.domain import Coordinate, InvalidInput, Zone
from lastmile.geo.points import FloatArray, as_lat_lon, haversine_m, haversine_pairs_m, local_xy_m

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
DEFAULT_STOP_RADIUS_M = 75.0
DEFAULT_HUB_RADIUS_M = 150.0


def _lat_lon(points: Sequence[Coordinate] | FloatArray) -> FloatArray:
    return points if isinstance(points, np.ndarray) else as_lat_lon(points)


@dataclass(frozen=True)
class CircleFence:
    """Everything within ``radius_m`` (great-circle) of ``center``."""

    center: Coordinate
    radius_m: float

    def __post_init__(self) -> None:
        if not self.radius_m > 0:
            raise InvalidInput(f"radius must be positive, got {self.radius_m!r}", field="radius_m")

    def distance_m(self, points: Sequence[Coordinate] | FloatArray) -> FloatArray:
        centre = np.array([[self.center.lat, self.center.lon]])
        result: FloatArray = haversine_m(_lat_lon(points), centre)[:, 0]
        return result

    def contains(
        self, points: Sequence[Coordinate] | FloatArray, margin_m: float = 0.0
    ) -> BoolArray:
        """True for points inside; a positive margin widens the fence (to detect leaving)."""
        result: BoolArray = self.distance_m(points) <= self.radius_m + margin_m
        return result


@dataclass(frozen=True)
class PolygonFence:
    """A polygon given as GeoJSON rings of (lon, lat), first ring outer, others holes."""

    rings: tuple[tuple[tuple[float, float], ...], ...]
    origin: tuple[float, float] = field(init=False)

    def __post_init__(self) -> None:
        if not self.rings or len(self.rings[0]) < 4 or self.rings[0][0] != self.rings[0][-1]:
            raise InvalidInput("a polygon fence needs a closed ring of ≥ 4 points", field="rings")
        lons = [lon for lon, _ in self.rings[0]]
        lats = [lat for _, lat in self.rings[0]]
        object.__setattr__(self, "origin", (sum(lats) / len(lats), sum(lons) / len(lons)))

    @classmethod
    def from_zone(cls, zone: Zone) -> PolygonFence:
        if not zone.polygon:
            raise InvalidInput(f"zone {zone.ref} has no polygon to fence", field="polygon")
        return cls(zone.polygon)

    @cached_property
    def shape(self) -> Any:
        """The polygon in local metres around its centroid."""
        import shapely

        def xy(ring: tuple[tuple[float, float], ...]) -> FloatArray:
            return local_xy_m(np.array([(lat, lon) for lon, lat in ring]), self.origin)

        polygon = shapely.Polygon(xy(self.rings[0]), holes=[xy(r) for r in self.rings[1:]])
        if not polygon.is_valid:
            raise InvalidInput(
                f"invalid fence polygon ({shapely.is_valid_reason(polygon)})", field="rings"
            )
        return polygon

    def contains(
        self, points: Sequence[Coordinate] | FloatArray, margin_m: float = 0.0
    ) -> BoolArray:
        import shapely

        shape = self.shape.buffer(margin_m) if margin_m else self.shape
        xy = local_xy_m(_lat_lon(points), self.origin)
        result: BoolArray = shapely.contains_xy(shape, xy[:, 0], xy[:, 1])
        return result


Geofence = CircleFence | PolygonFence


def circle_around(location: Coordinate, radius_m: float = DEFAULT_STOP_RADIUS_M) -> CircleFence:
    """The usual arrival fence around a stop (75 m) or, with a larger radius, a hub."""
    return CircleFence(location, radius_m)


class FenceIndex:
    """Many fences (one per stop, say): which of them contain each point."""

    def __init__(self, fences: Sequence[Geofence]) -> None:
        self.fences = tuple(fences)
        self._circles = [i for i, f in enumerate(self.fences) if isinstance(f, CircleFence)]
        self._polygons = [i for i, f in enumerate(self.fences) if isinstance(f, PolygonFence)]

    @cached_property
    def _circle_arrays(self) -> tuple[Any, tuple[float, float], FloatArray, FloatArray]:
        """KD-tree of centres in local metres, its origin, centres (lat, lon) and radii."""
        from scipy.spatial import cKDTree

        circles = [self.fences[i] for i in self._circles]
        centres = np.array([[c.center.lat, c.center.lon] for c in circles])  # type: ignore[union-attr]
        radii = np.array([c.radius_m for c in circles])  # type: ignore[union-attr]
        origin = (float(centres[:, 0].mean()), float(centres[:, 1].mean()))
        return cKDTree(local_xy_m(centres, origin)), origin, centres, radii

    def _circle_hits(self, lat_lon: FloatArray, margin_m: float) -> tuple[IntArray, IntArray]:
        """(point, fence) pairs for circle fences, exact on the great circle."""
        tree, origin, centres, radii = self._circle_arrays
        # The flat projection is slightly off far from its origin: search 2 % wider, then
        # keep only the pairs the exact great-circle distance confirms.
        reach = (float(radii.max()) + margin_m) * 1.02 + 1.0
        near = tree.query_ball_point(local_xy_m(lat_lon, origin), reach)
        counts = np.fromiter((len(n) for n in near), dtype=np.int64, count=len(near))
        point = np.repeat(np.arange(len(near)), counts)
        circle = np.fromiter((c for n in near for c in n), dtype=np.int64, count=int(counts.sum()))
        distance = haversine_pairs_m(lat_lon[point], centres[circle])
        keep = distance <= radii[circle] + margin_m
        return point[keep], np.array(self._circles, dtype=np.int64)[circle[keep]]

    def containing(
        self, points: Sequence[Coordinate] | FloatArray, margin_m: float = 0.0
    ) -> list[list[int]]:
        """For each point, the indices of the fences containing it (ascending)."""
        lat_lon = _lat_lon(points)
        hits: list[list[int]] = [[] for _ in range(len(lat_lon))]
        if self._circles and len(lat_lon):
            for p, f in zip(*self._circle_hits(lat_lon, margin_m), strict=True):
                hits[p].append(int(f))
        for i in self._polygons:
            for p in np.flatnonzero(self.fences[i].contains(lat_lon, margin_m)):
                hits[p].append(i)
        return [sorted(h) for h in hits]
