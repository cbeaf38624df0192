"""Geofenced arrival, departure and dwell per stop, debounced against passing by.

A vehicle has *arrived* only once it has stayed inside a stop's fence for ``dwell_s``: a van
driving past a house at 30 km/h crosses a 75 m fence in under 20 s and never arrives. It has
*left* only once a fix falls outside the fence widened by ``exit_margin_m`` (hysteresis), so
GPS jitter at the fence edge does not produce a string of arrivals. Fixes older than the last
one seen are ignored: a late ping never moves the journey backwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from lastmile.domain.errors import InvalidInput
from lastmile.domain.events import DomainEvent
from lastmile.domain.values import Coordinate
from lastmile.geo.geofence import DEFAULT_STOP_RADIUS_M, CircleFence, FenceIndex
from lastmile.tracking.events import LongStop, StopArrived, StopDeparted


@dataclass(frozen=True)
class StopFence:
    stop_ref: str
    location: Coordinate
    order_refs: tuple[str, ...] = ()
    radius_m: float = DEFAULT_STOP_RADIUS_M


@dataclass(frozen=True)
class DwellRules:
    dwell_s: float = 45.0
    exit_margin_m: float = 30.0
    long_stop_s: float = 900.0

    def __post_init__(self) -> None:
        for name in ("dwell_s", "exit_margin_m", "long_stop_s"):
            if getattr(self, name) < 0:
                raise InvalidInput(f"{name} must not be negative", field=name)


@dataclass(frozen=True)
class Dwell:
    """A completed stay at a stop."""

    stop_ref: str
    arrived_at: datetime
    departed_at: datetime

    @property
    def dwell_s(self) -> int:
        return round((self.departed_at - self.arrived_at).total_seconds())


@dataclass
class _Stay:
    index: int
    entered_at: datetime
    last_inside_at: datetime
    arrived: bool = False
    long_reported: bool = False


@dataclass
class DwellTracker:
    """One vehicle's stays at the stops of its route; feed it fixes in time order."""

    vehicle_ref: str
    stops: Sequence[StopFence]
    rules: DwellRules = field(default_factory=DwellRules)
    dwells: list[Dwell] = field(default_factory=list)
    last_seen: datetime | None = None
    _stay: _Stay | None = None

    def __post_init__(self) -> None:
        fences = [CircleFence(s.location, s.radius_m) for s in self.stops]
        self._fences = fences
        self._index = FenceIndex(fences)

    def observe(self, at: datetime, lat: float, lon: float) -> list[DomainEvent]:
        """Events caused by the vehicle being at (lat, lon) at ``at``."""
        if self.last_seen is not None and at <= self.last_seen:
            return []
        self.last_seen = at
        point = np.array([[lat, lon]])
        events: list[DomainEvent] = []
        stay = self._stay
        if stay is not None:
            if bool(self._fences[stay.index].contains(point, self.rules.exit_margin_m)[0]):
                stay.last_inside_at = at
                return self._while_inside(stay, at, lat, lon)
            events += self._leave(stay)
        inside = self._index.containing(point)[0] if self.stops else []
        if inside:
            self._stay = _Stay(self._nearest(inside, point), at, at)
            events += self._while_inside(self._stay, at, lat, lon)
        return events

    def _nearest(self, candidates: list[int], point: np.ndarray) -> int:
        distances = [float(self._fences[i].distance_m(point)[0]) for i in candidates]
        return candidates[int(np.argmin(distances))]

    def _while_inside(self, stay: _Stay, at: datetime, lat: float, lon: float) -> list[DomainEvent]:
        stop = self.stops[stay.index]
        stayed = (at - stay.entered_at).total_seconds()
        if not stay.arrived and stayed >= self.rules.dwell_s:
            stay.arrived = True
            return [
                StopArrived(
                    vehicle_ref=self.vehicle_ref, stop_ref=stop.stop_ref,
                    order_refs=stop.order_refs, arrived_at=stay.entered_at, lat=lat, lon=lon,
                    occurred_at=at,
                )
            ]  # fmt: skip
        if stay.arrived and not stay.long_reported and stayed >= self.rules.long_stop_s:
            stay.long_reported = True
            return [
                LongStop(
                    vehicle_ref=self.vehicle_ref, stop_ref=stop.stop_ref,
                    dwell_s=round(stayed), occurred_at=at,
                )
            ]  # fmt: skip
        return []

    def _leave(self, stay: _Stay) -> list[DomainEvent]:
        self._stay = None
        if not stay.arrived:
            return []  # passing by
        stop = self.stops[stay.index]
        dwell = Dwell(stop.stop_ref, stay.entered_at, stay.last_inside_at)
        self.dwells.append(dwell)
        return [
            StopDeparted(
                vehicle_ref=self.vehicle_ref, stop_ref=stop.stop_ref, order_refs=stop.order_refs,
                arrived_at=dwell.arrived_at, departed_at=dwell.departed_at,
                dwell_s=dwell.dwell_s, occurred_at=dwell.departed_at,
            )
        ]  # fmt: skip
