"""Route drift: a vehicle off its planned path for longer than a threshold raises an event.

The planned path is the polyline through the route's stops in order (the road geometry is not
stored with a plan, so the corridor is wide: a street grid can sit a few hundred metres from
the straight line between two stops). A single fix off the corridor is noise; only a run of
fixes spanning ``after_s`` is drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from lastmile.domain.errors import InvalidInput
from lastmile.domain.events import DomainEvent
from lastmile.domain.values import Coordinate
from lastmile.geo.points import FloatArray, local_xy_m
from lastmile.tracking.events import RouteDrifted, RouteRejoined


@dataclass(frozen=True)
class DriftRules:
    corridor_m: float = 400.0
    after_s: float = 180.0

    def __post_init__(self) -> None:
        if self.corridor_m <= 0 or self.after_s < 0:
            raise InvalidInput("corridor must be positive and delay not negative", field="drift")


def distance_to_path_m(path_xy: FloatArray, point_xy: FloatArray) -> float:
    """Shortest distance (m) from a point to a polyline, both in local metres."""
    if len(path_xy) == 1:
        return float(np.hypot(*(point_xy - path_xy[0])))
    a, b = path_xy[:-1], path_xy[1:]
    ab = b - a
    length2 = np.einsum("ij,ij->i", ab, ab)
    t = np.einsum("ij,ij->i", point_xy - a, ab) / np.where(length2 > 0, length2, 1.0)
    nearest = a + np.clip(t, 0.0, 1.0)[:, None] * ab
    return float(np.hypot(*(nearest - point_xy).T).min())


@dataclass
class DriftTracker:
    """One vehicle on one route; feed it fixes in time order."""

    vehicle_ref: str
    route_ref: str
    path: Sequence[Coordinate]
    rules: DriftRules = field(default_factory=DriftRules)
    off_since: datetime | None = None
    reported: bool = False
    last_seen: datetime | None = None

    def __post_init__(self) -> None:
        if not self.path:
            raise InvalidInput("a planned path needs at least one point", field="path")
        lat_lon = np.array([(c.lat, c.lon) for c in self.path])
        self._origin = (float(lat_lon[:, 0].mean()), float(lat_lon[:, 1].mean()))
        self._xy = local_xy_m(lat_lon, self._origin)

    def distance_m(self, lat: float, lon: float) -> float:
        return distance_to_path_m(self._xy, local_xy_m(np.array([[lat, lon]]), self._origin)[0])

    def observe(self, at: datetime, lat: float, lon: float) -> list[DomainEvent]:
        if self.last_seen is not None and at <= self.last_seen:
            return []
        self.last_seen = at
        off = self.distance_m(lat, lon)
        if off <= self.rules.corridor_m:
            return self._back_on(at)
        if self.off_since is None:
            self.off_since = at
        if not self.reported and (at - self.off_since).total_seconds() >= self.rules.after_s:
            self.reported = True
            return [
                RouteDrifted(
                    vehicle_ref=self.vehicle_ref, route_ref=self.route_ref, since=self.off_since,
                    distance_m=round(off), lat=lat, lon=lon, occurred_at=at,
                )
            ]  # fmt: skip
        return []

    def _back_on(self, at: datetime) -> list[DomainEvent]:
        since, reported = self.off_since, self.reported
        self.off_since, self.reported = None, False
        if since is None or not reported:
            return []
        off_s = round((at - since).total_seconds())
        return [
            RouteRejoined(
                vehicle_ref=self.vehicle_ref, route_ref=self.route_ref, off_route_s=off_s,
                occurred_at=at,
            )
        ]  # fmt: skip
