"""Plans as one nested record: the plan row, its routes in order, each with its visits.

The SQL repository splits the record over ``plans``, ``routes`` and ``visits``; the in-memory
one keeps it whole. Route ``version`` is part of the record so a change can be detected and
checked against what was read (optimistic concurrency).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lastmile.domain import Break, Load, Plan, Route, Unassigned, UnassignedReason, Visit
from lastmile.store.records import Record, utc

#: Route keys that are not content: comparing routes for changes ignores them.
ROUTE_BOOKKEEPING = ("version",)


def _iso(value: datetime) -> str:
    return utc(value).isoformat()


def plan_record(plan: Plan) -> Record:
    return {
        "ref": plan.ref,
        "hub_refs": list(plan.hub_refs),
        "service_date": plan.service_date,
        "unassigned": [
            {"stop_ref": u.stop_ref, "reason": u.reason.value, "detail": u.detail}
            for u in plan.unassigned
        ],
        "created_at": utc(plan.created_at),
        "status": plan.status,
        "cost_cents": plan.cost_cents,
        "routes": [route_record(r, plan.ref, i) for i, r in enumerate(plan.routes)],
    }


def route_record(route: Route, plan_ref: str, position: int) -> Record:
    return {
        "ref": route.ref,
        "plan_ref": plan_ref,
        "position": position,
        "vehicle_ref": route.vehicle_ref,
        "start": utc(route.start),
        "end": utc(route.end),
        "driver_ref": route.driver_ref,
        "shift_ref": route.shift_ref,
        "breaks": [[_iso(b.start), _iso(b.end)] for b in route.breaks],
        "distance_m": route.distance_m,
        "duration_s": route.duration_s,
        "cost_cents": route.cost_cents,
        "co2_g": route.co2_g,
        "version": route.version,
        "status": route.status,
        "visits": [visit_record(v, route.ref, i) for i, v in enumerate(route.visits)],
    }


def visit_record(visit: Visit, route_ref: str, position: int) -> Record:
    return {
        "route_ref": route_ref,
        "position": position,
        "stop_ref": visit.stop_ref,
        "order_refs": list(visit.order_refs),
        "arrival": utc(visit.arrival),
        "service_start": utc(visit.service_start),
        "departure": utc(visit.departure),
        "wait_s": visit.wait_s,
        "load_weight_g": visit.load_after.weight_g,
        "load_volume_cm3": visit.load_after.volume_cm3,
        "load_parcels": visit.load_after.parcels,
        "kind": visit.kind,
        "trip": visit.trip,
    }


def plan_from(r: Record) -> Plan:
    return Plan(
        ref=r["ref"],
        hub_refs=tuple(r["hub_refs"]),
        service_date=r["service_date"],
        routes=[route_from(x) for x in sorted(r["routes"], key=lambda x: x["position"])],
        unassigned=[
            Unassigned(u["stop_ref"], UnassignedReason(u["reason"]), u["detail"])
            for u in r["unassigned"]
        ],
        created_at=r["created_at"],
        status=r["status"],
        cost_cents=r["cost_cents"],
    )


def route_from(r: Record) -> Route:
    return Route(
        ref=r["ref"],
        vehicle_ref=r["vehicle_ref"],
        start=r["start"],
        end=r["end"],
        visits=[visit_from(v) for v in sorted(r["visits"], key=lambda v: v["position"])],
        driver_ref=r["driver_ref"],
        shift_ref=r["shift_ref"],
        breaks=[
            Break(datetime.fromisoformat(b[0]), datetime.fromisoformat(b[1])) for b in r["breaks"]
        ],
        distance_m=r["distance_m"],
        duration_s=r["duration_s"],
        cost_cents=r["cost_cents"],
        co2_g=r["co2_g"],
        version=r["version"],
        status=r["status"],
    )


def visit_from(r: Record) -> Visit:
    return Visit(
        stop_ref=r["stop_ref"],
        order_refs=tuple(r["order_refs"]),
        arrival=r["arrival"],
        service_start=r["service_start"],
        departure=r["departure"],
        wait_s=r["wait_s"],
        load_after=Load(r["load_weight_g"], r["load_volume_cm3"], r["load_parcels"]),
        kind=r["kind"],
        trip=r.get("trip", 0),
    )


def route_content(r: Record) -> dict[str, Any]:
    """A route record without its bookkeeping, to tell a real change from a re-save."""
    return {k: v for k, v in r.items() if k not in ROUTE_BOOKKEEPING}
