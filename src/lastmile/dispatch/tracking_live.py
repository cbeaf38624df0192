"""Live tracking: pings of followed devices drive geofenced arrivals, dwell, drift and ETAs.

A device follows one route (``follow``); each batch of its accepted pings is replayed through
its dwell and drift trackers in time order. A geofenced arrival becomes an ``arrived`` scan
for every order of the stop (actor ``geofence:<vehicle>``), recorded like a driver's scan, so
the order timeline has one source of truth; departures store the dwell; every event goes out
through the outbox; then the route's ETAs are refreshed from the newest fix.

State lives in this process: a restarted bridge rebuilds it from the next pings (an arrival
in progress at the restart is detected again after one more dwell threshold).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lastmile.dispatch.tracking import record_scans
from lastmile.dispatch.tracking_eta import RouteProgress, refresh_route_etas, route_progress
from lastmile.dispatch.tracking_ports import TrackingStore, TrackingUnitOfWork, writes_events
from lastmile.domain.errors import NotFound
from lastmile.domain.events import DomainEvent
from lastmile.domain.values import Coordinate
from lastmile.geo.travel import TravelTimeProvider
from lastmile.tracking.drift import DriftRules, DriftTracker
from lastmile.tracking.dwell import Dwell, DwellRules, DwellTracker, StopFence
from lastmile.tracking.eta.learned import EtaModel
from lastmile.tracking.eta.route import LegCache
from lastmile.tracking.events import (
    ExceptionOpened,
    LongStop,
    RouteDrifted,
    StopArrived,
    StopDeparted,
)
from lastmile.tracking.model import Ping, Scan, ScanKind


@dataclass
class Followed:
    plan_ref: str
    route_ref: str
    vehicle_ref: str
    dwell: DwellTracker
    drift: DriftTracker | None
    progress: RouteProgress
    loaded_at: float = field(default_factory=time.monotonic)


@dataclass
class LiveMonitor:
    uow_factory: Callable[[], TrackingUnitOfWork]
    store: TrackingStore
    provider: TravelTimeProvider
    model: EtaModel | None = None
    dwell_rules: DwellRules = field(default_factory=DwellRules)
    drift_rules: DriftRules = field(default_factory=DriftRules)
    followed: dict[str, Followed] = field(default_factory=dict)
    #: Seconds a route's progress (remaining stops) is reused before it is read again; it is
    #: also read again after every arrival or departure this monitor sees.
    progress_ttl_s: float = 30.0
    #: Legs between remaining stops, reused from ping to ping (see ``LegCache``).
    legs: LegCache = field(default_factory=LegCache)

    def follow(self, device_id: str, plan_ref: str, route_ref: str) -> Followed:
        """Start following a route with a device: fences around its remaining stops."""
        with self.uow_factory() as uow:
            progress = route_progress(uow, plan_ref, route_ref)
            plan = uow.plans.get(plan_ref)
            route = next(r for r in plan.routes if r.ref == route_ref) if plan else None
            if route is None:
                raise NotFound("route", route_ref)
            vehicle_ref = route.vehicle_ref
        fences = [StopFence(s.stop_ref, s.location, s.order_refs) for s in progress.stops]
        path = [s.location for s in progress.stops]
        followed = Followed(
            plan_ref, route_ref, vehicle_ref,
            DwellTracker(vehicle_ref, fences, self.dwell_rules),
            DriftTracker(vehicle_ref, route_ref, path, self.drift_rules) if path else None,
            progress,
        )  # fmt: skip
        self.followed[device_id] = followed
        return followed

    def observe(self, pings: Sequence[Ping], now: datetime) -> list[DomainEvent]:
        """Feed accepted pings (any order); returns every event raised, already published."""
        events: list[DomainEvent] = []
        newest: dict[str, Ping] = {}
        for ping in sorted(pings, key=lambda p: p.recorded_at):
            followed = self.followed.get(ping.device_id)
            if followed is None:
                continue
            newest[ping.device_id] = ping
            events += followed.dwell.observe(ping.recorded_at, ping.lat, ping.lon)
            if followed.drift is not None:
                events += followed.drift.observe(ping.recorded_at, ping.lat, ping.lon)
        self._apply(events, now)
        moved = {getattr(e, "vehicle_ref", None) for e in events}
        now_mono = time.monotonic()
        self._reload(
            f
            for f in self.followed.values()
            if now_mono - f.loaded_at > self.progress_ttl_s or f.vehicle_ref in moved
        )
        for device_id, ping in newest.items():
            events += self._refresh(self.followed[device_id], ping)
        return events

    def after_scans(self, order_refs: Sequence[str]) -> list[DomainEvent]:
        """Refresh the ETAs of followed routes serving these orders, from their last fix.

        A scan (delivered, attempted) removes a stop from what is left of the route, so the
        remaining ETAs move even though the vehicle has not.
        """
        touched = set(order_refs)
        events: list[DomainEvent] = []
        latest = self.store.latest(self.followed)
        hit = [
            (device_id, followed)
            for device_id, followed in self.followed.items()
            if device_id in latest
            and touched & {ref for s in followed.progress.stops for ref in s.order_refs}
        ]
        self._reload(f for _, f in hit)
        for device_id, followed in hit:
            events += self._refresh(followed, latest[device_id])
        return events

    def _apply(self, events: list[DomainEvent], now: datetime) -> None:
        """Store what the events record, each with its event in the same transaction where
        the store can; the rest (drift, long stops, their exceptions) in one unit of work."""
        scans: list[Scan] = []
        events += [self._opened(e) for e in events if isinstance(e, RouteDrifted | LongStop)]
        eventful, rest = writes_events(self.store), []
        for event in events:
            with_it = [event] if eventful is not None else []
            if isinstance(event, StopArrived):
                route = self._route_of(event.vehicle_ref)
                at, stop = event.arrived_at, event.stop_ref
                if eventful is not None:
                    eventful.add_arrival(route, stop, at, "geofence", with_it)
                else:
                    self.store.add_arrival(route, stop, at, "geofence")
                scans += [_arrived_scan(event, ref) for ref in event.order_refs]
            elif isinstance(event, StopDeparted):
                dwell = Dwell(event.stop_ref, event.arrived_at, event.departed_at)
                if eventful is not None:
                    eventful.add_dwells(event.vehicle_ref, [dwell], with_it)
                else:
                    self.store.add_dwells(event.vehicle_ref, [dwell])
            else:
                with_it = []
            if not with_it:
                rest.append(event)
        if scans:
            record_scans(self.uow_factory, scans, now=now)
        if rest:
            with self.uow_factory() as uow:
                uow.publish(rest)
                uow.commit()

    def _opened(self, event: RouteDrifted | LongStop) -> ExceptionOpened:
        """The ``exception.opened`` a drift or a long stop raises, published with it."""
        if isinstance(event, RouteDrifted):
            detail = f"{event.distance_m} m off the planned path since {event.since.isoformat()}"
            return ExceptionOpened(
                kind="route_drift", route_ref=event.route_ref, vehicle_ref=event.vehicle_ref,
                detail=detail, occurred_at=event.occurred_at,
            )  # fmt: skip
        followed = next(f for f in self.followed.values() if f.vehicle_ref == event.vehicle_ref)
        stop = next((s for s in followed.progress.stops if s.stop_ref == event.stop_ref), None)
        orders = stop.order_refs if stop is not None else ()
        return ExceptionOpened(
            kind="long_stop", route_ref=followed.route_ref, stop_ref=event.stop_ref,
            vehicle_ref=event.vehicle_ref, order_refs=orders, occurred_at=event.occurred_at,
            detail=f"{event.dwell_s} s at stop {event.stop_ref}",
        )  # fmt: skip

    def _route_of(self, vehicle_ref: str) -> str:
        return next(f.route_ref for f in self.followed.values() if f.vehicle_ref == vehicle_ref)

    def _reload(self, followed: Iterable[Followed]) -> None:
        """Read the routes' progress again, all in one unit of work: routes of one plan
        share one read of the plan and of its orders instead of one per route."""
        todo = list(followed)
        if not todo:
            return
        with self.uow_factory() as uow:
            for f in todo:
                f.progress = route_progress(uow, f.plan_ref, f.route_ref)
        loaded = time.monotonic()
        for f in todo:
            f.loaded_at = loaded

    def _refresh(self, followed: Followed, ping: Ping) -> list[DomainEvent]:
        _, events = refresh_route_etas(
            self.uow_factory, self.store, plan_ref=followed.plan_ref,
            route_ref=followed.route_ref, position=Coordinate(ping.lat, ping.lon),
            at=ping.recorded_at, provider=self.provider, model=self.model,
            progress=followed.progress, legs=self.legs,
        )  # fmt: skip
        return events


def _arrived_scan(event: StopArrived, order_ref: str) -> Scan:
    return Scan(
        event_id=f"geofence:{event.vehicle_ref}:{order_ref}:{event.arrived_at.isoformat()}",
        order_ref=order_ref, kind=ScanKind.ARRIVED, at=event.arrived_at,
        actor=f"geofence:{event.vehicle_ref}", lat=event.lat, lon=event.lon,
    )  # fmt: skip
