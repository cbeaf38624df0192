"""The day log: what happened to every order and vehicle, the ETAs given, the exceptions.

Outcomes come from the street (the truth), not from the platform's belief; the platform's
own records (PODs captured, ETA snapshots, events raised) are read back from what it stored
and published, so the scorecard measures the platform as a customer would.
"""

from __future__ import annotations

from datetime import date, datetime

from lastmile.analytics.daylog import (
    DayLog,
    DayOutcome,
    Delivery,
    EtaSample,
    ExceptionRaised,
    VehicleDay,
)
from lastmile.dispatch import events as ev
from lastmile.domain.events import DomainEvent
from lastmile.sim.platform import Platform
from lastmile.sim.policies import Dispatcher
from lastmile.sim.world import Parcel, Van
from lastmile.tracking import events as tev


def close_reasons(parcels: dict[str, Parcel], dispatcher: Dispatcher) -> dict[str, str]:
    """Why each order that did not end today goes to another day."""
    unassigned = {u.ref: f"{u.reason.value} {u.detail}".strip() for u in dispatcher.plan.unassigned}
    reasons: dict[str, str] = {}
    for ref, p in sorted(parcels.items()):
        if p.finished:
            continue
        if p.failure is not None:
            policy = "re-attempt tomorrow" if dispatcher.dynamic else "static plan: tomorrow"
            reasons[ref] = dispatcher.deferred.get(ref, f"failed attempt ({p.failure}); {policy}")
        elif p.reason is not None:
            reasons[ref] = p.reason
        elif ref in dispatcher.deferred:
            reasons[ref] = dispatcher.deferred[ref]
        elif ref in unassigned:
            reasons[ref] = f"not planned today: {unassigned[ref]}"
        else:
            reasons[ref] = _why_not_reached(p)
    return reasons


def _why_not_reached(p: Parcel) -> str:
    if p.van is not None or not p.at_hub:
        return "on a van that did not reach it today"
    if p.vehicle_ref is None and p.arrivals == []:
        return "planned but its van ran out of time or broke down"
    return "not reached today"


def build_daylog(
    notes: dict[str, str],
    day: date,
    policy: str,
    seed: int | None,
    parcels: dict[str, Parcel],
    vans: dict[str, Van],
    platform: Platform,
    reasons: dict[str, str],
) -> DayLog:
    log = DayLog(day=day, timezone=notes.get("timezone", "UTC"), policy=policy, seed=seed)
    log.deliveries = [_delivery(p, platform, reasons) for _, p in sorted(parcels.items())]
    log.vehicles = [_vehicle(v, platform) for _, v in sorted(vans.items())]
    log.etas = _etas(platform, parcels)
    log.exceptions = _exceptions(platform, parcels)
    log.notes = dict(notes)
    return log


def _outcome(p: Parcel) -> DayOutcome:
    if p.delivered:
        return DayOutcome.DELIVERED
    if p.cancelled:
        return DayOutcome.CANCELLED
    if p.attempts:
        return DayOutcome.FAILED
    return DayOutcome.RESCHEDULED


def _delivery(p: Parcel, platform: Platform, reasons: dict[str, str]) -> Delivery:
    at = platform.at
    outcome = _outcome(p)
    order = p.order
    return Delivery(
        order_ref=p.ref,
        zone=order.zone_ref or "",
        outcome=outcome,
        promised=order.window,
        attempts=p.attempts,
        arrived_at=at(p.arrivals[0]) if p.arrivals else None,
        completed_at=at(p.completed_s) if p.completed_s is not None else None,
        dwell_s=round(p.dwell_s, 1) if p.dwell_s is not None else None,
        in_full=True,
        failure_reason=p.failure if outcome is DayOutcome.FAILED else None,
        reschedule_reason=reasons.get(p.ref) if outcome is not DayOutcome.DELIVERED else None,
        vehicle_ref=p.vehicle_ref,
        address_type=order.address.address_type.value,
        has_pod=p.ref in platform.pods_stored,
        created_at=order.created_at,
    )


def _vehicle(v: Van, platform: Platform) -> VehicleDay:
    vehicle = v.vehicle
    used = v.started_s is not None
    end = v.ended_s if v.ended_s is not None else v.started_s
    on_duty = (end - v.started_s) if used and end is not None and v.started_s is not None else 0.0
    cents = (
        vehicle.fixed_cost_cents
        + vehicle.cost_per_km_cents * v.km
        + vehicle.cost_per_hour_cents * on_duty / 3600.0
        if used
        else 0.0
    )
    return VehicleDay(
        vehicle_ref=v.ref,
        kind=vehicle.kind.value,
        km=round(v.km, 3),
        on_duty_s=round(on_duty, 1),
        driving_s=round(v.driving_s, 1),
        service_s=round(v.service_s, 1),
        waiting_s=round(v.waiting_s, 1),
        cost=round(cents / 100.0, 2),
        co2_g=round(vehicle.co2_g_per_km * v.km, 1),
        stops_completed=v.stops_visited,
        capacity_parcels=vehicle.capacity.parcels,
        peak_load_parcels=v.peak_load,
    )


def _etas(platform: Platform, parcels: dict[str, Parcel]) -> list[EtaSample]:
    """Each ETA snapshot the monitor stored, against the next real arrival at that stop."""
    samples = []
    for s in platform.eta_snapshots():
        parcel = parcels.get(s.stop_ref)
        if parcel is None:
            continue
        issued = (s.computed_at - platform.origin).total_seconds()
        actual = next((t for t in parcel.arrivals if t >= issued), None)
        if actual is None:
            continue
        samples.append(
            EtaSample(
                order_ref=s.stop_ref, zone=parcel.order.zone_ref or "", issued_at=s.computed_at,
                p50=s.p50 or s.eta, actual=platform.at(actual), p10=s.p10, p90=s.p90,
                promised=parcel.order.window,
            )
        )  # fmt: skip
    return samples


def _exceptions(platform: Platform, parcels: dict[str, Parcel]) -> list[ExceptionRaised]:
    out = []
    for t, event in platform.events:
        raised = _exception(event, platform.at(t), parcels)
        if raised is not None:
            out.append(raised)
    return out


def _zone(parcels: dict[str, Parcel], ref: str) -> str:
    p = parcels.get(ref)
    return (p.order.zone_ref or "") if p else ""


def _exception(e: DomainEvent, at: datetime, parcels: dict[str, Parcel]) -> ExceptionRaised | None:
    if isinstance(e, ev.AttemptFailed):
        return ExceptionRaised("failed_attempt", at, _zone(parcels, e.stop_ref), e.stop_ref,
                               e.vehicle_ref, e.reason)  # fmt: skip
    if isinstance(e, ev.StopDeferred):
        return ExceptionRaised("deferred", at, _zone(parcels, e.stop_ref), e.stop_ref, None,
                               e.reason)  # fmt: skip
    if isinstance(e, ev.VehicleBrokeDown):
        return ExceptionRaised("breakdown", at, vehicle_ref=e.vehicle_ref,
                               detail=f"{len(e.parcels)} parcels on board")  # fmt: skip
    if isinstance(e, ev.VehicleDelayed):
        return ExceptionRaised("late_vehicle", at, vehicle_ref=e.vehicle_ref,
                               detail=f"{e.delay_s // 60} min later than planned")  # fmt: skip
    if isinstance(e, ev.ReadinessSlipped):
        detail = f"{len(e.stop_refs)} parcels, {e.slip_s // 60} min"
        return ExceptionRaised("readiness_slipped", at, detail=detail)
    if isinstance(e, ev.ZoneSlowed):
        return ExceptionRaised("weather", at, e.zone_ref, detail=f"travel x{e.factor:.2f}")
    if isinstance(e, ev.StopCancelled):
        return ExceptionRaised("cancelled", at, _zone(parcels, e.stop_ref), e.stop_ref)
    if isinstance(e, tev.RouteDrifted):
        return ExceptionRaised("route_drift", at, vehicle_ref=e.vehicle_ref,
                               detail=f"{e.distance_m} m off the route")  # fmt: skip
    if isinstance(e, tev.LongStop):
        return ExceptionRaised("long_stop", at, _zone(parcels, e.stop_ref), e.stop_ref,
                               e.vehicle_ref, f"{e.dwell_s // 60} min at the stop")  # fmt: skip
    return None
