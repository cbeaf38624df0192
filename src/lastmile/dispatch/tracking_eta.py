"""Route ETA refresh and live geofence/drift monitoring, on each ping or scan.

Reads the route from its plan, the orders for addresses, windows and progress, the vehicle
for its kind; computes route-based ETAs from the latest fix, adds the learned quantiles when a
model is loaded, stores them (with a snapshot every ``snapshot_every`` for accuracy figures)
and publishes ``EtaChanged`` through the outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from lastmile.dispatch.tracking_ports import TrackingStore, TrackingUnitOfWork, writes_events
from lastmile.domain.enums import LifecycleState, VehicleKind
from lastmile.domain.errors import NotFound
from lastmile.domain.events import DomainEvent
from lastmile.domain.order import Order, stop_for_order
from lastmile.domain.plan import Route
from lastmile.domain.values import Coordinate, TimeWindow
from lastmile.geo.travel import PROFILE_OF_KIND, TravelTimeProvider
from lastmile.tracking.eta.features import RouteContext, feature_rows
from lastmile.tracking.eta.learned import EtaModel
from lastmile.tracking.eta.prediction import EtaPrediction
from lastmile.tracking.eta.route import (
    LegCache,
    RemainingStop,
    StopEta,
    eta_changes,
    route_etas,
)
from lastmile.tracking.events import EtaChanged, ExceptionOpened

#: Orders in these states no longer wait for the vehicle.
DONE = frozenset({LifecycleState.COMPLETED, LifecycleState.RETURNED, LifecycleState.CANCELLED})


@dataclass(frozen=True)
class RouteProgress:
    """The stops still to serve, in order, and how late the route runs against its plan."""

    route_ref: str
    vehicle_kind: VehicleKind
    stops: list[RemainingStop]
    planned_departure_before: datetime
    busy_until: datetime | None = None
    vehicle_ref: str = ""


def _find_route(uow: TrackingUnitOfWork, plan_ref: str, route_ref: str) -> Route:
    plan = uow.plans.get(plan_ref)
    if plan is None:
        raise NotFound("plan", plan_ref)
    for route in plan.routes:
        if route.ref == route_ref:
            return route
    raise NotFound("route", route_ref)


def _remaining(order: Order) -> RemainingStop:
    stop = stop_for_order(order)
    return RemainingStop(
        stop.ref, order.address.coordinate, stop.service_s, (order.ref,), order.window,
        order.address.address_type, order.zone_ref or "",
    )  # fmt: skip


def route_progress(uow: TrackingUnitOfWork, plan_ref: str, route_ref: str) -> RouteProgress:
    """What is left of a route: visits whose orders are not all done, in planned order."""
    route = _find_route(uow, plan_ref, route_ref)
    vehicle = uow.vehicles.get(route.vehicle_ref)
    kind = vehicle.kind if vehicle is not None else VehicleKind.VAN
    stops: list[RemainingStop] = []
    before = route.start
    known = uow.orders.get_many(r for v in route.visits for r in v.order_refs)
    for visit in route.visits:
        orders = [known[r] for r in visit.order_refs if r in known]
        if orders and all(o.state in DONE for o in orders):
            before = visit.departure
            continue
        if orders:
            stops.append(_remaining(orders[0]))
    return RouteProgress(route.ref, kind, stops, before, vehicle_ref=route.vehicle_ref)


def predictions(
    progress: RouteProgress,
    position: Coordinate,
    at: datetime,
    provider: TravelTimeProvider,
    model: EtaModel | None = None,
    legs: LegCache | None = None,
) -> list[EtaPrediction]:
    """Route-based ETAs for the remaining stops, with P10/P50/P90 when a model is given."""
    profile = PROFILE_OF_KIND[progress.vehicle_kind]
    etas = route_etas(
        position, at, progress.stops, provider, profile=profile, busy_until=progress.busy_until,
        legs=legs,
    )  # fmt: skip
    quantiles = None
    if model is not None and etas:
        delay = (at - progress.planned_departure_before).total_seconds()
        context = RouteContext(progress.vehicle_kind, delay)
        zones = {str(k): int(v) for k, v in dict(model.meta.get("zone_codes", {})).items()}
        quantiles = model.predict(feature_rows(at, progress.stops, etas, context, zones))
    result = []
    for i, e in enumerate(etas):
        p10 = p50 = p90 = None
        if quantiles is not None:
            p10, p50, p90 = (e.eta + timedelta(seconds=float(s)) for s in quantiles[i])
        result.append(
            EtaPrediction(progress.route_ref, e.stop_ref, e.order_refs, at, e.eta, p10, p50, p90,
                          e.window)
        )  # fmt: skip
    return result


def _shown(p: EtaPrediction) -> StopEta:
    best = p.best
    return StopEta(p.stop_ref, p.order_refs, best, best, best, 0, p.window)


def refresh_route_etas(
    uow_factory: Callable[[], TrackingUnitOfWork],
    store: TrackingStore,
    *,
    plan_ref: str,
    route_ref: str,
    position: Coordinate,
    at: datetime,
    provider: TravelTimeProvider,
    model: EtaModel | None = None,
    threshold_s: int = 300,
    snapshot_every: timedelta = timedelta(minutes=15),
    progress: RouteProgress | None = None,
    legs: LegCache | None = None,
) -> tuple[list[EtaPrediction], list[DomainEvent]]:
    """Recompute, store and announce a route's ETAs from the vehicle's latest fix.

    The route is read in one unit of work and closed before the ETAs are written (SQLite has
    one writer at a time); ``EtaChanged`` events, and an ``ExceptionOpened`` (late) for each
    stop whose ETA has just left its window, go to the outbox in the transaction that stores
    the new ETAs.
    A caller that keeps the route's ``progress`` (the live monitor) passes it to skip the read,
    and a ``LegCache`` so that only the vehicle's own leg is computed again.
    """
    if progress is None:
        with uow_factory() as uow:
            progress = route_progress(uow, plan_ref, route_ref)
    fresh = predictions(progress, position, at, provider, model, legs)
    previous = store.etas(route_ref)
    before = {ref: p.best for ref, p in previous.items()}
    shown = [_shown(p) for p in fresh]
    events = eta_changes(route_ref, before, shown, threshold_s=threshold_s, at=at)
    events += late_stops(events, {s.stop_ref: s for s in shown}, progress.vehicle_ref)
    last = max((p.computed_at for p in previous.values()), default=None)
    snapshot = last is None or _bucket(last, snapshot_every) != _bucket(at, snapshot_every)
    eventful = writes_events(store)
    if eventful is not None:
        eventful.save_etas(route_ref, fresh, snapshot, events)
    else:
        store.save_etas(route_ref, fresh, snapshot)
        _publish(uow_factory, events)
    return fresh, events


def _publish(uow_factory: Callable[[], TrackingUnitOfWork], events: list[DomainEvent]) -> None:
    if events:
        with uow_factory() as uow:
            uow.publish(events)
            uow.commit()


def late_stops(
    changes: Sequence[DomainEvent], shown: Mapping[str, StopEta], vehicle_ref: str = ""
) -> list[DomainEvent]:
    """``exception.opened`` (late) for each stop whose ETA has just left its promised window."""
    opened: list[DomainEvent] = []
    for change in changes:
        if not isinstance(change, EtaChanged) or not change.outside_window:
            continue
        stop = shown.get(change.stop_ref)
        window = stop.window if stop is not None else None
        if change.previous_eta is not None and not _inside(change.previous_eta, window):
            continue  # already late: announced when it left the window
        end = window.end.isoformat() if window is not None else "?"
        opened.append(ExceptionOpened(
            kind="late", route_ref=change.route_ref, stop_ref=change.stop_ref,
            order_refs=change.order_refs, vehicle_ref=vehicle_ref, occurred_at=change.occurred_at,
            order_ref=change.order_refs[0] if len(change.order_refs) == 1 else None,
            detail=f"ETA {change.eta.isoformat()} is after the promised window ends ({end})",
        ))  # fmt: skip
    return opened


def _inside(eta: datetime, window: TimeWindow | None) -> bool:
    return window is None or max(eta, window.start) < window.end


def _bucket(moment: datetime, every: timedelta) -> int:
    return int(moment.timestamp() // max(every.total_seconds(), 1.0))
