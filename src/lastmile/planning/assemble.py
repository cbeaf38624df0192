"""From job sequences to timed routes: time-dependent re-timing, driver breaks, costs.

Solvers plan with one travel-time band per vehicle (the slowest hour of its shift, see
:func:`lastmile.planning.problem.slowest_hour`); here every route is re-timed hour by hour
with the provider's own bands, and the driver's break is placed where the schedule allows:
inside a wait that is long enough, else on leaving a stop as soon as the next step would
exceed the rule's working time. Anything that then breaks a constraint (rare: a break that a
tight window cannot absorb) is taken out of the route and reported, so a returned plan is
always feasible under the re-timed schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lastmile.domain import BreakRule, StopKind, UnassignedReason
from lastmile.planning.problem import Demand, IntArray, PlanningProblem, arc_durations
from lastmile.planning.solver import BreakSlot, RoutePlan, RouteResult, StopVisit, UnassignedStop

Violation = tuple[int, UnassignedReason, str]


@dataclass
class _Legs:
    """Consecutive-arc durations of one route's point sequence, fetched per hour band."""

    problem: PlanningProblem
    vehicle: int
    points: list[int]
    _by_hour: dict[int, tuple[IntArray, IntArray]] = field(default_factory=dict)

    def leg(self, k: int, depart_s: int) -> tuple[int, int]:
        v = self.problem.vehicles[self.vehicle]
        hour = self.problem.hour_at(depart_s, v.start_hub)
        if hour not in self._by_hour:
            self._by_hour[hour] = arc_durations(self.problem, v.profile, self.points, hour)
        durations, distances = self._by_hour[hour]
        return int(durations[k]), int(distances[k])


def _route_points(problem: PlanningProblem, plan: RoutePlan) -> list[int]:
    v = problem.vehicles[plan.vehicle]
    start, end = problem.hubs[v.start_hub].point, problem.hubs[v.end_hub].point
    points = [start]
    for n, trip in enumerate(plan.trips):
        if n:
            points.append(start)
        points.extend(problem.jobs[j].point for j in trip)
    points.append(end)
    return points


def _window(windows: Sequence[tuple[int, int]], arrival: int) -> tuple[int, int]:
    """The first window still open on arrival (else the last one, which will be late)."""
    for early, late in windows:
        if late >= arrival:
            return early, late
    return windows[-1] if windows else (0, 2**62)


def _add(a: Demand, b: Demand, sign: int = 1) -> Demand:
    return (a[0] + sign * b[0], a[1] + sign * b[1], a[2] + sign * b[2])


@dataclass
class _Clock:
    """Running state of one route while it is timed."""

    t: int
    work_from: int
    leg: int = 0
    distance: int = 0
    driving: int = 0
    breaks: list[BreakSlot] = field(default_factory=list)


def _travel(
    legs: _Legs, clock: _Clock, service_s: int, windows: Sequence[tuple[int, int]]
) -> tuple[int, int, int]:
    """Move along the next leg, placing a break first if this step would run past the rule.

    Returns arrival, start of service and departure; advances the clock's distance.
    """
    v = legs.problem.vehicles[legs.vehicle]
    rule = v.break_rule
    dur, dist = legs.leg(clock.leg, clock.t)
    arrival = clock.t + dur
    early, _ = _window(windows, arrival)
    start = max(arrival, early)
    if rule is not None and start + service_s - clock.work_from > rule.after_work_s:
        in_wait = arrival - clock.work_from <= rule.after_work_s
        if in_wait and start - arrival >= rule.duration_s:
            clock.breaks.append(BreakSlot(arrival, arrival + rule.duration_s))
            clock.work_from = arrival + rule.duration_s
        else:
            clock.breaks.append(BreakSlot(clock.t, clock.t + rule.duration_s))
            clock.t += rule.duration_s
            clock.work_from = clock.t
            dur, dist = legs.leg(clock.leg, clock.t)
            arrival = clock.t + dur
            early, _ = _window(windows, arrival)
            start = max(arrival, early)
    clock.leg += 1
    clock.distance += dist
    clock.driving += dur
    return arrival, start, start + service_s


def _wait_at_hub(rule: BreakRule | None, clock: _Clock, ready_s: int) -> None:
    """Wait for the trip's parcels; a wait that runs past the working-time rule holds a break."""
    if ready_s <= clock.t:
        return
    if rule is not None and ready_s - clock.work_from > rule.after_work_s:
        clock.breaks.append(BreakSlot(clock.t, clock.t + rule.duration_s))
        clock.work_from = clock.t + rule.duration_s
    clock.t = max(ready_s, clock.work_from)


def schedule(
    problem: PlanningProblem, plan: RoutePlan, start_s: int | None = None
) -> tuple[RouteResult, list[Violation]]:
    """Time one route with time-dependent travel and breaks; list what it violates."""
    v = problem.vehicles[plan.vehicle]
    legs = _Legs(problem, plan.vehicle, _route_points(problem, plan))
    begin = max(v.shift_start_s, start_s if start_s is not None else v.shift_start_s)
    clock = _Clock(t=begin, work_from=begin)
    visits: list[StopVisit] = []
    loads: list[Demand] = []
    violations: list[Violation] = []
    for n, trip in enumerate(plan.trips):
        if n:
            _, _, clock.t = _travel(legs, clock, 0, ())
        jobs = [problem.jobs[j] for j in trip]
        _wait_at_hub(v.break_rule, clock, max([0, *(j.release_s for j in jobs if j.from_hub)]))
        load: Demand = (0, 0, 0)
        for job in jobs:
            if job.from_hub:
                load = _add(load, job.demand)
        loads.append(load)
        _check_load(load, v.capacity, trip[0] if trip else -1, violations)
        for j, job in zip(trip, jobs, strict=True):
            arrival, start, clock.t = _travel(legs, clock, job.service_s, job.windows)
            _, late = _window(job.windows, arrival)
            if start > late:
                violations.append((j, UnassignedReason.TIME_WINDOW, "late after re-timing"))
            load = _add(load, job.demand, -1 if job.kind is StopKind.DELIVERY else 1)
            _check_load(load, v.capacity, j, violations)
            visits.append(
                StopVisit(
                    j,
                    job.ref,
                    job.order_refs,
                    job.kind.value,
                    n,
                    arrival,
                    start - arrival,
                    start,
                    clock.t,
                    load,
                )
            )
    _, end, _ = _travel(legs, clock, 0, ())
    route = _totals(problem, plan, begin, end, visits, loads, clock)
    violations.extend(_route_limits(problem, route, visits))
    return route, violations


def _check_load(load: Demand, capacity: Demand, job: int, out: list[Violation]) -> None:
    if any(q > c for q, c in zip(load, capacity, strict=True)):
        out.append((job, UnassignedReason.CAPACITY, "load exceeds capacity"))


def _totals(
    problem: PlanningProblem,
    plan: RoutePlan,
    begin: int,
    end: int,
    visits: list[StopVisit],
    loads: list[Demand],
    clock: _Clock,
) -> RouteResult:
    v = problem.vehicles[plan.vehicle]
    duration = end - begin
    overtime = max(0, duration - (v.shift_end_s - v.shift_start_s))
    cost = (
        v.fixed_cost_cents
        + clock.distance * v.cost_per_km_cents / 1000
        + duration * v.cost_per_hour_cents / 3600
        + overtime * v.overtime_cost_per_hour_cents / 3600
    )
    return RouteResult(
        vehicle=plan.vehicle,
        vehicle_ref=v.ref,
        start_s=begin,
        end_s=end,
        visits=visits,
        breaks=clock.breaks,
        departure_loads=loads,
        distance_m=clock.distance,
        driving_s=clock.driving,
        cost_cents=round(cost),
        co2_g=round(clock.distance / 1000 * v.co2_g_per_km),
        overtime_s=overtime,
        driver_ref=v.driver_ref,
        shift_ref=v.shift_ref,
    )


def _route_limits(
    problem: PlanningProblem, route: RouteResult, visits: list[StopVisit]
) -> list[Violation]:
    """Shift end, working and driving hours, range: blamed on the last stop of the route."""
    v = problem.vehicles[route.vehicle]
    if not visits:
        return []
    last = visits[-1].job
    out: list[Violation] = []
    if route.end_s > v.latest_end_s:
        out.append((last, UnassignedReason.SHIFT, "route ends after the shift"))
    work = route.end_s - v.work_began_s(route.start_s)
    work -= sum(b.end_s - b.start_s for b in route.breaks)
    if v.max_work_s is not None and work > v.max_work_s:
        out.append((last, UnassignedReason.SHIFT, "exceeds the driver's working hours"))
    if v.max_driving_s is not None and route.driving_s > v.max_driving_s:
        out.append((last, UnassignedReason.SHIFT, "exceeds the driver's driving hours"))
    if v.range_m is not None and route.distance_m > v.range_m:
        out.append((last, UnassignedReason.RANGE, "route is longer than the vehicle's range"))
    if v.break_rule is not None:
        out.extend(_unrested(v.break_rule, route, visits))
    return out


def _unrested(rule: BreakRule, route: RouteResult, visits: list[StopVisit]) -> list[Violation]:
    """Stops finished after more than the rule's working time without a break (waits count)."""
    work_from = route.start_s
    breaks = sorted(route.breaks, key=lambda b: b.start_s)
    for visit in visits:
        for b in breaks:
            if work_from <= b.start_s and b.end_s <= visit.departure_s:
                work_from = b.end_s
        if visit.departure_s - work_from > rule.after_work_s:
            return [(visit.job, UnassignedReason.SHIFT, "no room for the driver's break")]
    return []


def assemble(
    problem: PlanningProblem,
    plans: Sequence[RoutePlan],
    starts: Sequence[int | None] | None = None,
) -> tuple[list[RouteResult], list[UnassignedStop]]:
    """Time every route; drop (and report) stops until each route is feasible re-timed."""
    routes: list[RouteResult] = []
    dropped: list[UnassignedStop] = []
    for n, plan in enumerate(plans):
        start = starts[n] if starts is not None else None
        current = plan
        while current.jobs:
            route, violations = schedule(problem, current, start)
            if route.visits and route.visits[0].wait_s > 0:
                # leave later rather than wait at the first stop (a constructed plan starts
                # at the shift start; for a driver not yet at work, waiting is working time)
                later = schedule(problem, current, route.start_s + route.visits[0].wait_s)
                if len(later[1]) <= len(violations):
                    route, violations = later
            if not violations:
                routes.append(route)
                break
            job, reason, detail = violations[0]
            dropped.append(UnassignedStop(problem.jobs[job].ref, reason, detail))
            current = _without(current, job)
    return routes, dropped


def _without(plan: RoutePlan, job: int) -> RoutePlan:
    trips = tuple(t for t in (tuple(j for j in trip if j != job) for trip in plan.trips) if t)
    return RoutePlan(plan.vehicle, trips)
