"""Route-based ETAs: from the vehicle's latest fix, chain travel and service along the route.

One travel-matrix call per refresh (origins: the vehicle and every stop but the last;
destinations: every stop), of which only the consecutive legs (the diagonal) are read; with a
``LegCache`` the legs between stops are reused from ping to ping and only the vehicle's leg is
asked for, so a 150-stop route refreshes in well under a millisecond.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from lastmile.domain.enums import AddressType
from lastmile.domain.errors import InvalidInput
from lastmile.domain.events import DomainEvent
from lastmile.domain.values import Coordinate, TimeWindow, require_aware
from lastmile.geo.travel import Profile, TravelTimeProvider
from lastmile.tracking.events import EtaChanged


@dataclass(frozen=True, slots=True)
class RemainingStop:
    stop_ref: str
    location: Coordinate
    service_s: int
    order_refs: tuple[str, ...] = ()
    window: TimeWindow | None = None
    address_type: AddressType = AddressType.UNKNOWN
    zone_ref: str = ""


@dataclass(frozen=True, slots=True)
class StopEta:
    """When the vehicle should reach a stop, start serving it and leave it."""

    stop_ref: str
    order_refs: tuple[str, ...]
    eta: datetime
    service_start: datetime
    departure: datetime
    travel_s: int
    window: TimeWindow | None

    @property
    def in_window(self) -> bool:
        return self.window is None or self.service_start < self.window.end


class LegCache:
    """Travel times between consecutive remaining stops, kept while those stops stay the same.

    From one ping to the next only the first leg (vehicle to next stop) changes; the legs
    between the stops change only when a stop is served or removed, or the hour (the
    congestion band) turns. Keeping them turns a refresh into one 1 x 1 matrix call.
    """

    def __init__(self, size: int = 64) -> None:
        if size < 1:
            raise InvalidInput(f"size must be at least 1, got {size}", field="size")
        self.size = size
        self._legs: dict[tuple[object, ...], np.ndarray] = {}

    def between(
        self,
        provider: TravelTimeProvider,
        stops: Sequence[RemainingStop],
        profile: Profile,
        hour: int,
    ) -> np.ndarray:
        """Seconds from each stop to the next (``len(stops) - 1`` values)."""
        # Plain floats hash in C; hashing 150 Coordinate dataclasses cost more than the rest.
        key = (provider, profile, hour, tuple([(s.location.lat, s.location.lon) for s in stops]))
        found = self._legs.get(key)
        if found is None:
            found = np.zeros(0, dtype=np.int64)
            if len(stops) > 1:
                points = [s.location for s in stops]
                matrix = provider.matrix(points[:-1], points[1:], profile=profile, hour=hour)
                found = np.diagonal(matrix.durations_s).copy()
            if len(self._legs) >= self.size:
                self._legs.pop(next(iter(self._legs)))  # the oldest entry
            self._legs[key] = found
        return found


def route_etas(
    position: Coordinate,
    at: datetime,
    stops: Sequence[RemainingStop],
    provider: TravelTimeProvider,
    *,
    profile: Profile = Profile.CAR,
    busy_until: datetime | None = None,
    legs: LegCache | None = None,
) -> list[StopEta]:
    """ETAs for ``stops`` (in visiting order) seen from ``position`` at ``at``.

    ``busy_until`` is when the vehicle will be free again if it is serving a stop right now.
    The congestion band is the hour of ``at`` (UTC hours in storage; callers that need local
    peak hours pass local-aware datetimes).
    """
    require_aware(at, "at")
    if not stops:
        return []
    if legs is None:
        origins = [position, *(s.location for s in stops[:-1])]
        matrix = provider.matrix(
            origins, [s.location for s in stops], profile=profile, hour=at.hour
        )
        travel_s: list[int] = np.diagonal(matrix.durations_s).tolist()
    else:
        first = provider.matrix([position], [stops[0].location], profile=profile, hour=at.hour)
        between = legs.between(provider, stops, profile, at.hour)
        travel_s = [int(first.durations_s[0, 0]), *between.tolist()]
    clock = max(at, busy_until) if busy_until is not None else at
    result: list[StopEta] = []
    for stop, travel in zip(stops, travel_s, strict=True):
        arrival = clock + timedelta(seconds=travel)
        window = stop.window
        start = window.start if window is not None and arrival < window.start else arrival
        clock = start + timedelta(seconds=stop.service_s)
        result.append(
            StopEta(stop.stop_ref, stop.order_refs, arrival, start, clock, travel, window)
        )
    return result


def eta_changes(
    route_ref: str,
    previous: Mapping[str, datetime],
    current: Sequence[StopEta],
    *,
    threshold_s: int = 300,
    at: datetime,
) -> list[DomainEvent]:
    """``eta.changed`` for each stop whose ETA moved by ``threshold_s`` or left its window.

    A stop seen for the first time is announced only when it is already outside its window.
    """
    if threshold_s < 0:
        raise InvalidInput("threshold must not be negative", field="threshold_s")
    events: list[DomainEvent] = []
    for stop in current:
        before = previous.get(stop.stop_ref)
        shift = round((stop.eta - before).total_seconds()) if before is not None else 0
        was_in = before is None or _inside(before, stop.window)
        left = was_in and not stop.in_window
        if (abs(shift) >= threshold_s and before is not None) or left:
            events.append(
                EtaChanged(
                    route_ref=route_ref, stop_ref=stop.stop_ref, order_refs=stop.order_refs,
                    previous_eta=before, eta=stop.eta, shift_s=shift,
                    outside_window=not stop.in_window, occurred_at=at,
                )
            )  # fmt: skip
    return events


def _inside(eta: datetime, window: TimeWindow | None) -> bool:
    return window is None or max(eta, window.start) < window.end
