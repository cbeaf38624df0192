"""Plans, routes and stops as JSON; RFC 3339 times in UTC (windows are in the hub's zone)."""

from __future__ import annotations

from typing import Any

from lastmile.domain.plan import Plan, Route, Visit


def visit_view(route: Route, position: int, visit: Visit) -> dict[str, Any]:
    return {
        "ref": visit.stop_ref,
        "route_ref": route.ref,
        "position": position,
        "kind": visit.kind,
        "order_refs": list(visit.order_refs),
        "arrival": visit.arrival.isoformat(),
        "service_start": visit.service_start.isoformat(),
        "departure": visit.departure.isoformat(),
        "wait_s": visit.wait_s,
    }


def route_view(plan: Plan, route: Route) -> dict[str, Any]:
    return {
        "ref": route.ref,
        "plan_ref": plan.ref,
        "service_date": plan.service_date,
        "hub_refs": list(plan.hub_refs),
        "vehicle_ref": route.vehicle_ref,
        "driver_ref": route.driver_ref,
        "shift_ref": route.shift_ref,
        "status": route.status,
        "version": route.version,
        "start": route.start.isoformat(),
        "end": route.end.isoformat(),
        "distance_m": route.distance_m,
        "duration_s": route.duration_s,
        "cost_cents": route.cost_cents,
        "co2_g": route.co2_g,
        "stops": [visit_view(route, n, v) for n, v in enumerate(route.visits)],
    }


def plan_view(plan: Plan) -> dict[str, Any]:
    return {
        "ref": plan.ref,
        "hub_refs": list(plan.hub_refs),
        "service_date": plan.service_date,
        "status": plan.status,
        "created_at": plan.created_at.isoformat(),
        "cost_cents": plan.cost_cents,
        "routes": [route_view(plan, r) for r in plan.routes],
        "unassigned": [
            {"stop_ref": u.stop_ref, "reason": u.reason.value, "detail": u.detail}
            for u in plan.unassigned
        ],
    }


def etag(route: Route) -> str:
    return f'"{route.ref}.{route.version}"'
