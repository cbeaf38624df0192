"""Route-based ETAs: from the vehicle's latest fix, chain travel and service along the route.

One travel-matrix call per refresh (origins: the vehicle and every stop but the last;
destinations: every stop), of which only the consecutive legs (the diagonal) are read, so a
150-stop route refreshes in a few milliseconds with the haversine provider.
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


def route_etas(
    position: Coordinate,
    at: datetime,
    stops: Sequence[RemainingStop],
    provider: TravelTimeProvider,
    *,
    profile: Profile = Profile.CAR,
    busy_until: datetime | None = None,
) -> list[StopEta]:
    """ETAs for ``stops`` (in visiting order) seen from ``position`` at ``at``.

    ``busy_until`` is when the vehicle will be free again if it is serving a stop right now.
    The congestion band is the hour of ``at`` (UTC hours in storage; callers that need local
    peak hours pass local-aware datetimes).
    """
    require_aware(at, "at")
    if not stops:
        return []
    origins = [position, *(s.location for s in stops[:-1])]
    matrix = provider.matrix(origins, [s.location for s in stops], profile=profile, hour=at.hour)
    legs = np.diagonal(matrix.durations_s)
    clock = max(at, busy_until) if busy_until is not None else at
    result: list[StopEta] = []
    for stop, travel in zip(stops, legs.tolist(), strict=True):
        arrival = clock + timedelta(seconds=int(travel))
        start = arrival
        if stop.window is not None and start < stop.window.start:
            start = stop.window.start
        clock = start + timedelta(seconds=stop.service_s)
        result.append(
            StopEta(stop.stop_ref, stop.order_refs, arrival, start, clock, int(travel), stop.window)
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
