"""Routes and their stops: read, assign a driver, reorder, move a stop, dispatch.

Every change names the version it was made on (``If-Match`` with the route's ``ETag``): a
missing header is 428, a stale one 412, and a change that raced past the check is 409 from the
store. Reorders and moves are re-timed and checked by the planning checker first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response
from pydantic import BaseModel, Field

from lastmile.api import pagination
from lastmile.api.auth import Action, Principal, Role
from lastmile.api.deps import ServicesDep, audit, require
from lastmile.api.dispatch_day import SUPERSEDED
from lastmile.api.planner import find_route, retime
from lastmile.api.routers import filters
from lastmile.api.services import Services
from lastmile.api.views import etag, route_view, visit_view
from lastmile.dispatch.ports import UnitOfWork
from lastmile.domain import LifecycleState
from lastmile.domain.errors import Conflict, InvalidInput, NotFound
from lastmile.domain.events import RouteDispatched
from lastmile.domain.plan import Plan, Route, Visit
from lastmile.store.api_repositories import AuditedUnitOfWork, load_orders

router = APIRouter(tags=["routes"])
READ = Depends(require("routes", Action.READ))
WRITE = Depends(require("routes", Action.WRITE))
IfMatch = Annotated[str | None, Header(alias="If-Match", description="the route's ETag")]


def _visible(who: Principal, route: Route) -> bool:
    return who.role is not Role.DRIVER or (
        who.driver_ref is not None and route.driver_ref == who.driver_ref
    )


def _load(uow: UnitOfWork, who: Principal, ref: str) -> tuple[Plan, Route]:
    plan, route = find_route(uow, ref)
    if not _visible(who, route):
        raise NotFound("route", ref)  # a driver cannot even learn other routes exist
    return plan, route


def _precondition(route: Route, if_match: str | None) -> None:
    if if_match is None:
        raise HTTPException(428, "If-Match with the route's ETag is required")
    if if_match.strip() not in (etag(route), "*"):
        raise HTTPException(412, f"route changed: current ETag is {etag(route)}")


def _current(plan: Plan) -> None:
    if plan.status == SUPERSEDED:
        raise Conflict(f"plan {plan.ref!r} was replaced by a re-plan: change the plan in force")


def _sequence_editable(svc: Services, plan: Plan) -> None:
    """A dispatched day's stops move through its events, which keep the day's history; a
    hand edit would re-time a route from the start of its shift."""
    _current(plan)
    if svc.api_store.dispatch_day(plan.ref) is not None:
        raise Conflict(
            f"plan {plan.ref!r} is being dispatched: move stops with events "
            f"(POST /v1/dispatch/{plan.ref}/events)"
        )


def _dispatcher(who: Annotated[Principal, WRITE]) -> Principal:
    """Route writes other than reordering one's own route are for dispatchers and admins."""
    if who.role is Role.DRIVER:
        raise HTTPException(403, "role 'driver' may only reorder its own route")
    return who


DISPATCH = Depends(_dispatcher)


def _order_facts(uow: AuditedUnitOfWork, plans: list[Plan]) -> dict[str, tuple[str | None, str]]:
    """Each routed order's zone and state, read in bulk (only when a filter needs them)."""
    refs = sorted({o for p in plans for r in p.routes for v in r.visits for o in v.order_refs})
    return {o.ref: (o.zone_ref, o.state.value) for o in load_orders(uow, refs)}


@dataclass(frozen=True)
class _StopFilter:
    """Which stops a list keeps; a route is kept when any of its stops is (for ``zone``)."""

    zone: str | None
    states: frozenset[str] | None
    facts: dict[str, tuple[str | None, str]]

    def keeps(self, visit: Visit) -> bool:
        found = [self.facts[o] for o in visit.order_refs if o in self.facts]
        return (self.zone is None or any(zone == self.zone for zone, _ in found)) and (
            self.states is None or any(state in self.states for _, state in found)
        )


#: The stop filters: ``zone`` and order ``status``.
_StopQuery = tuple[str | None, str | None]


def _plans(
    svc: Services, date: str | None, hub: str | None, stops: _StopQuery
) -> tuple[list[Plan], _StopFilter]:
    """The plans of ``date`` and ``hub``, and the stop filter (order facts loaded if needed)."""
    day = filters.service_date(date)
    zone, status = stops
    wanted = filters.states(status)
    with svc.uow() as uow:
        listed = uow.plans.list_by(service_date=day, hub_ref=hub)
        plans = [p for p in listed if p.status != SUPERSEDED]  # replaced by a re-plan
        needed = zone is not None or wanted is not None
        facts = _order_facts(uow, plans) if needed else {}
    states = None if wanted is None else frozenset(s.value for s in wanted)
    return plans, _StopFilter(zone, states, facts)


@router.get(
    "/v1/routes", summary="List routes", operation_id="list_routes", dependencies=[filters.STRICT]
)
def list_routes(
    svc: ServicesDep,
    who: Annotated[Principal, READ],
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = 100,
    cursor: str | None = None,
    date: filters.DateQuery = None,
    hub: filters.HubQuery = None,
    zone: Annotated[str | None, Query(description="zone of any of the route's orders")] = None,
    status: filters.RouteStatusQuery = None,
) -> pagination.Page:
    after = pagination.decode(cursor)
    statuses = filters.route_statuses(status)
    plans, stops = _plans(svc, date, hub, (zone, None))
    rows = sorted(
        (
            route_view(p, r)
            for p in plans
            for r in p.routes
            if _visible(who, r)
            and (statuses is None or r.status in statuses)
            and (zone is None or any(stops.keeps(v) for v in r.visits))
        ),
        key=lambda row: row["ref"],
    )
    rows = [r for r in rows if after is None or r["ref"] > after]
    return pagination.page_of(rows[:limit], limit, len(rows) > limit)


@router.get("/v1/routes/{ref}", summary="One route with its stops", operation_id="get_route")
def get_route(
    ref: str, response: Response, svc: ServicesDep, who: Annotated[Principal, READ]
) -> dict[str, Any]:
    with svc.uow() as uow:
        plan, route = _load(uow, who, ref)
    response.headers["ETag"] = etag(route)
    return route_view(plan, route)


def _stop_key(row: dict[str, Any]) -> str:
    """A stop is its route and position: the same order can be a stop of several plans."""
    return json.dumps([row["route_ref"], row["position"]])


def _after_stop(cursor: str | None) -> tuple[str, int] | None:
    text = pagination.decode(cursor)
    if text is None:
        return None
    try:
        route_ref, position = json.loads(text)
        if isinstance(route_ref, str) and type(position) is int:
            return route_ref, position
    except (ValueError, TypeError):
        pass
    raise InvalidInput("not a cursor this API handed out", field="cursor", location="query")


@router.get(
    "/v1/stops", summary="Stops of the visible routes", operation_id="list_stops",
    dependencies=[filters.STRICT],
)  # fmt: skip
def list_stops(
    svc: ServicesDep,
    who: Annotated[Principal, Depends(require("stops", Action.READ))],
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = 100,
    cursor: str | None = None,
    route: Annotated[str | None, Query(description="route reference")] = None,
    date: filters.DateQuery = None,
    hub: filters.HubQuery = None,
    zone: Annotated[str | None, Query(description="zone of any of the stop's orders")] = None,
    status: Annotated[
        str | None, Query(description="states of any of the stop's orders, comma separated")
    ] = None,
) -> pagination.Page:
    """Stops in route then position order; the cursor names the last stop's route and position."""
    after = _after_stop(cursor)
    plans, stops = _plans(svc, date, hub, (zone, status))
    found = sorted(
        (
            (r.ref, n, r, v)
            for p in plans
            for r in p.routes
            if _visible(who, r) and (route is None or r.ref == route)
            for n, v in enumerate(r.visits)
            if stops.keeps(v) and (after is None or (r.ref, n) > after)
        ),
        key=lambda found: (found[0], found[1]),
    )
    rows = [visit_view(r, n, v) for _, n, r, v in found[: limit + 1]]
    page = pagination.Page(items=rows[:limit])
    if len(rows) > limit:
        page.next_cursor = pagination.encode(_stop_key(rows[limit - 1]))
    return page


def _save(
    uow: AuditedUnitOfWork, plan: Plan, response: Response, route: Route, entry: _Entry
) -> dict[str, Any]:
    """Store the plan with the audit entry of the change in one transaction."""
    uow.plans.add(plan)
    uow.flush()
    after = route_view(plan, route)
    who, action, before = entry
    audit(uow, who, action, f"routes/{route.ref}", before, after)
    uow.commit()
    response.headers["ETag"] = etag(route)
    return after


#: Who made a route change, its name and the route before it.
_Entry = tuple[Principal, str, Any]


class AssignBody(BaseModel):
    driver_ref: str = Field(min_length=1, max_length=128)


@router.post("/v1/routes/{ref}/assign", summary="Assign a driver", operation_id="assign_route")
def assign_route(
    ref: str, body: AssignBody, response: Response, svc: ServicesDep,
    who: Annotated[Principal, DISPATCH], if_match: IfMatch = None,
) -> dict[str, Any]:  # fmt: skip
    with svc.uow() as uow:
        plan, route = _load(uow, who, ref)
        _precondition(route, if_match)
        _current(plan)
        if uow.drivers.get(body.driver_ref) is None:
            raise InvalidInput(f"no driver {body.driver_ref!r}", field="driver_ref")
        before = route_view(plan, route)
        route.driver_ref = body.driver_ref
        return _save(uow, plan, response, route, (who, "route.assign", before))


class ReorderBody(BaseModel):
    stop_refs: list[str] = Field(max_length=1000, description="every stop of the route, in order")


@router.post("/v1/routes/{ref}/reorder", summary="Reorder stops", operation_id="reorder_route")
def reorder_route(
    ref: str, body: ReorderBody, response: Response, svc: ServicesDep,
    who: Annotated[Principal, WRITE], if_match: IfMatch = None,
) -> dict[str, Any]:  # fmt: skip
    with svc.uow() as uow:
        plan, route = _load(uow, who, ref)
        _precondition(route, if_match)
        _sequence_editable(svc, plan)
        current = [v.stop_ref for v in route.visits]
        if sorted(current) != sorted(body.stop_refs):
            raise InvalidInput("must list exactly the route's current stops", field="stop_refs")
        before = route_view(plan, route)
        retime(uow, plan, route, body.stop_refs)
        return _save(uow, plan, response, route, (who, "route.reorder", before))


class MoveBody(BaseModel):
    stop_ref: str = Field(min_length=1, max_length=128)
    to_route_ref: str = Field(min_length=1, max_length=128)
    position: int | None = Field(default=None, ge=0, description="default: at the end")


@router.post("/v1/routes/{ref}/move-stop", summary="Move a stop", operation_id="move_stop")
def move_stop(
    ref: str, body: MoveBody, response: Response, svc: ServicesDep,
    who: Annotated[Principal, DISPATCH], if_match: IfMatch = None,
) -> dict[str, Any]:  # fmt: skip
    with svc.uow() as uow:
        plan, route = _load(uow, who, ref)
        _precondition(route, if_match)
        _sequence_editable(svc, plan)
        target_plan, target = find_route(uow, body.to_route_ref)
        if target_plan.ref != plan.ref or target.ref == route.ref:
            raise InvalidInput(
                "the target must be another route of the same plan", field="to_route_ref"
            )
        source = [v.stop_ref for v in route.visits]
        if body.stop_ref not in source:
            raise InvalidInput(f"stop {body.stop_ref!r} is not on route {ref!r}", field="stop_ref")
        before = {"from": route_view(plan, route), "to": route_view(plan, target)}
        dest = [v.stop_ref for v in target.visits]
        dest.insert(len(dest) if body.position is None else body.position, body.stop_ref)
        retime(uow, plan, target, dest)
        retime(uow, plan, route, [s for s in source if s != body.stop_ref])
        after = {"from": route_view(plan, route), "to": route_view(plan, target)}
        audit(uow, who, "route.move_stop", f"routes/{target.ref}", before["to"], after["to"])
        return _save(uow, plan, response, route, (who, "route.move_stop", before["from"]))


@router.post("/v1/routes/{ref}/dispatch", summary="Dispatch a route", operation_id="dispatch_route")
def dispatch_route(
    ref: str, response: Response, svc: ServicesDep,
    who: Annotated[Principal, DISPATCH], if_match: IfMatch = None,
) -> dict[str, Any]:  # fmt: skip
    with svc.uow() as uow:
        plan, route = _load(uow, who, ref)
        _precondition(route, if_match)
        _current(plan)
        if route.status != "planned":
            raise Conflict(f"route {ref!r} is {route.status}, not planned")
        before = route_view(plan, route)
        for visit in route.visits:
            for order_ref in visit.order_refs:
                order = uow.orders.get(order_ref)
                if order is not None and order.state is LifecycleState.PLANNED:
                    order.advance(LifecycleState.DISPATCHED, actor=who.actor)
                    uow.orders.add(order)
                    uow.publish(order.pull_events())
        route.status = "dispatched"
        uow.publish([RouteDispatched(
            plan_ref=plan.ref, route_ref=route.ref, vehicle_ref=route.vehicle_ref,
            driver_ref=route.driver_ref, stops=len(route.visits), actor=who.actor,
        )])  # fmt: skip
        return _save(uow, plan, response, route, (who, "route.dispatch", before))
