"""Plans through the API: a background job that solves, and route edits the checker accepts.

A job reads the day's orders and crews in one short transaction, solves with no database lock
held, then writes the plan and moves the served orders to ``planned`` in a second transaction
(orders that changed state meanwhile are left out). Route edits re-time the edited route on
the same integer problem and run the independent checker (``planning.validate.check``); a
route that breaks a rule is refused with the rule and the stop named.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from lastmile.api.services import Services
from lastmile.dispatch.ports import UnitOfWork
from lastmile.domain import Hub, LifecycleState, Order, Shift
from lastmile.domain.errors import Conflict, InvalidInput, NotFound
from lastmile.domain.events import PlanCreated
from lastmile.domain.plan import Plan, Route
from lastmile.domain.values import TimeWindow
from lastmile.planning.problem import PlanningProblem

log = logging.getLogger("lastmile.api.planner")
T = TypeVar("T")
PLANNABLE = (LifecycleState.CREATED, LifecycleState.READY)


def _day(hub: Hub, service_date: str) -> TimeWindow:
    tz = ZoneInfo(hub.timezone)
    try:
        day = datetime.fromisoformat(service_date).date()
    except ValueError:
        raise InvalidInput("expected YYYY-MM-DD", field="service_date") from None
    return TimeWindow(datetime.combine(day, time(6), tz), datetime.combine(day, time(22), tz))


def each(get: Callable[[str], T | None], refs: Iterable[str], kind: str) -> list[T]:
    """The stored ``kind`` of every ref, in order; the first one missing is NotFound."""
    found = []
    for ref in refs:
        item = get(ref)
        if item is None:
            raise NotFound(kind, ref)
        found.append(item)
    return found


def shift_window(hubs: Sequence[Hub], service_date: str) -> tuple[datetime, datetime]:
    """From the earliest of the hubs' local midnights opening ``service_date`` to the latest
    one closing it: every shift of that date, in each hub's own time zone, starts within."""
    midnights = [_day(h, service_date).start.replace(hour=0) for h in hubs]
    return min(midnights), max(midnights) + timedelta(days=1)


def day_shifts(uow: UnitOfWork, hubs: Sequence[Hub], service_date: str) -> list[Shift]:
    """The shifts starting on ``service_date`` in each hub's own time zone, read by hub and
    start (not every date's shifts)."""
    midnights = {h.ref: _day(h, service_date).start.replace(hour=0) for h in hubs}
    day = timedelta(days=1)
    start_from, start_to = shift_window(hubs, service_date)
    found = uow.shifts.list_by(hub_refs=midnights, start_from=start_from, start_to=start_to)
    return [s for s in found if midnights[s.hub_ref] <= s.start < midnights[s.hub_ref] + day]


def problem_for(
    uow: UnitOfWork, hub_refs: str | Sequence[str], service_date: str, orders: Sequence[Order]
) -> PlanningProblem:
    """The integer problem for one hub's day, or several hubs' (a plan made for them all):
    their vehicles, that day's shifts (each hub's local date), these orders."""
    from lastmile.geo.haversine import HaversineProvider
    from lastmile.planning.build import build_from_orders

    refs = [hub_refs] if isinstance(hub_refs, str) else list(hub_refs)
    hubs = each(uow.hubs.get, refs, "hub")
    days = {h.ref: _day(h, service_date) for h in hubs}
    vehicles = [v for v in uow.vehicles.list() if v.hub_ref in days]
    if not vehicles:
        named = refs[0] if len(refs) == 1 else refs
        raise InvalidInput(f"hub {named!r} has no vehicles", field="hub_ref")
    shifts = day_shifts(uow, hubs, service_date)
    day = TimeWindow(min(d.start for d in days.values()), max(d.end for d in days.values()))
    return build_from_orders(
        list(orders),
        hubs,
        vehicles,
        provider=HaversineProvider(),
        day=day,
        shifts=shifts,
        drivers=uow.drivers.list(),
        zones=uow.zones.list(),
    )


def solve_plan(svc: Services, job_ref: str, hub_ref: str, service_date: str, limit_s: float) -> str:
    """Solve and store; returns the plan's reference."""
    from lastmile.planning.pyvrp_solver import PyVRPSolver
    from lastmile.planning.solver import SolveOptions

    with svc.uow() as uow:
        orders = uow.orders.list_by(hub_ref=hub_ref, states=PLANNABLE, service_date=service_date)
        if not orders:
            raise InvalidInput(
                f"no created or ready orders at {hub_ref!r} on {service_date}", field="hub_ref"
            )
        problem = problem_for(uow, hub_ref, service_date, orders)
    result = PyVRPSolver().solve(problem, SolveOptions(time_limit_s=limit_s, workers=1))
    plan = result.to_domain(problem, f"plan-{job_ref}", service_date)
    with svc.uow() as uow:
        served = {ref for r in plan.routes for v in r.visits for ref in v.order_refs}
        for order in uow.orders.list_by(hub_ref=hub_ref, states=PLANNABLE):
            if order.ref in served:
                order.advance(LifecycleState.PLANNED, actor=f"plan:{plan.ref}")
                uow.orders.add(order)
                uow.publish(order.pull_events())
        uow.plans.add(plan)
        uow.publish(
            [
                PlanCreated(
                    plan_ref=plan.ref, routes=len(plan.routes), unassigned=len(plan.unassigned)
                )
            ]
        )
        uow.commit()
    return plan.ref


def run_job(svc: Services, job_ref: str, hub_ref: str, service_date: str, limit_s: float) -> None:
    """The body of a plan job: queued -> running -> done (with the plan) or failed (why)."""
    store = svc.api_store
    store.update_plan_job(job_ref, status="running")
    try:
        plan_ref = solve_plan(svc, job_ref, hub_ref, service_date, limit_s)
    except Exception as exc:  # the job records why; the API process carries on
        if not isinstance(exc, InvalidInput | NotFound | Conflict):
            log.exception("plan job %s failed", job_ref)
        store.update_plan_job(job_ref, status="failed", error=str(exc)[:1000])
        return
    store.update_plan_job(job_ref, status="done", plan_ref=plan_ref)


def find_route(uow: UnitOfWork, route_ref: str) -> tuple[Plan, Route]:
    for plan in uow.plans.list_by(route_ref=route_ref):
        for route in plan.routes:
            if route.ref == route_ref:
                return plan, route
    raise NotFound("route", route_ref)


def retime(uow: UnitOfWork, plan: Plan, route: Route, stop_refs: Sequence[str]) -> Route:
    """``route`` visiting ``stop_refs`` in that order, re-timed; Conflict naming the rule."""
    from lastmile.planning.solver import PlanResult, RoutePlan
    from lastmile.planning.timing import schedule
    from lastmile.planning.validate import check

    if not stop_refs:
        route.visits, route.breaks, route.end = [], [], route.start
        route.distance_m = route.duration_s = route.cost_cents = route.co2_g = 0
        return route
    orders = each(uow.orders.get, stop_refs, "order")
    hub_ref = plan.hub_refs[0] if plan.hub_refs else orders[0].hub_ref
    problem = problem_for(uow, hub_ref, plan.service_date, orders)
    vehicle = next((n for n, v in enumerate(problem.vehicles) if v.ref == route.vehicle_ref), None)
    if vehicle is None:
        raise Conflict(
            f"vehicle {route.vehicle_ref!r} of route {route.ref!r} has no shift that day"
        )
    index = {job.ref: n for n, job in enumerate(problem.jobs)}
    jobs = tuple(index[ref] for ref in stop_refs)
    result, violations = schedule(problem, RoutePlan(vehicle, (jobs,) if jobs else ()))
    if violations:
        job, reason, detail = violations[0]
        raise Conflict(f"{reason.value} at stop {problem.jobs[job].ref!r}: {detail}")
    found = check(problem, [result], [])
    if found:
        raise Conflict(f"{found[0]}")
    timed = PlanResult(problem.origin, [result], []).to_domain(problem, "edit", plan.service_date)
    new = timed.routes[0]
    route.visits, route.start, route.end = new.visits, new.start, new.end
    route.distance_m, route.duration_s = new.distance_m, new.duration_s
    route.cost_cents, route.co2_g, route.breaks = new.cost_cents, new.co2_g, new.breaks
    return route
