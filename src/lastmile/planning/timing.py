"""Timing one route: time-dependent travel, the driver's break, costs and what it violates.

Solvers plan with one travel-time band per vehicle (the slowest hour of its shift, see
:func:`lastmile.planning.problem.slowest_hour`); here a route is timed hour by hour with the
provider's own bands, and the driver's break is placed where the schedule allows: inside a
wait that is long enough, else on leaving a stop as soon as the next step would exceed the
rule's working time. Solvers plan without the break (the shift is only shortened by it), so
its 30 minutes can push later stops past their windows: :func:`fit` then tries the break
before each earlier leg that ends in a wait, where the wait absorbs part of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lastmile.domain import BreakRule, StopKind, UnassignedReason
from lastmile.planning.problem import Demand, IntArray, PlanningProblem
from lastmile.planning.solver import BreakSlot, RoutePlan, RouteResult, StopVisit

Violation = tuple[int, UnassignedReason, str]


@dataclass
class Places:
    """Travel among a set of points, fetched per hour band. The routes tried while mending
    one route share its points, so the provider is asked once per band, not once per try."""

    problem: PlanningProblem
    vehicle: int
    points: list[int]
    _index: dict[int, int] = field(default_factory=dict)
    _by_hour: dict[int, tuple[IntArray, IntArray]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.points = list(dict.fromkeys(self.points))
        self._index = {p: n for n, p in enumerate(self.points)}

    def arc(self, a: int, b: int, hour: int) -> tuple[int, int]:
        if hour not in self._by_hour:
            coords = [self.problem.points[p] for p in self.points]
            profile = self.problem.vehicles[self.vehicle].profile
            m = self.problem.provider.matrix(coords, coords, profile=profile, hour=hour)
            self._by_hour[hour] = (m.durations_s, m.distances_m)
        durations, distances = self._by_hour[hour]
        i, j = self._index[a], self._index[b]
        return int(durations[i, j]), int(distances[i, j])


@dataclass
class _Legs:
    """Consecutive-arc durations of one route's point sequence, per hour band."""

    problem: PlanningProblem
    vehicle: int
    points: list[int]
    places: Places | None = None

    def leg(self, k: int, depart_s: int) -> tuple[int, int]:
        if self.places is None:
            self.places = Places(self.problem, self.vehicle, self.points)
        hour = self.problem.hour_at(depart_s, self.problem.vehicles[self.vehicle].start_hub)
        return self.places.arc(self.points[k], self.points[k + 1], hour)


def trip_points(problem: PlanningProblem, plan: RoutePlan) -> list[list[int]]:
    """Each trip's points: its hub, its stops, and the hub it returns to."""
    v = problem.vehicles[plan.vehicle]
    start, end = problem.hubs[v.start_hub].point, problem.hubs[v.end_hub].point
    last = len(plan.trips) - 1
    return [
        [start, *(problem.jobs[j].point for j in trip), end if k == last else start]
        for k, trip in enumerate(plan.trips)
    ]


def route_points(problem: PlanningProblem, plan: RoutePlan) -> list[int]:
    """The route's points in order: each trip's, its hub shared with the next trip."""
    trips = trip_points(problem, plan)
    if not trips:
        v = problem.vehicles[plan.vehicle]
        return [problem.hubs[v.start_hub].point, problem.hubs[v.end_hub].point]
    return [trips[0][0], *(p for pts in trips for p in pts[1:])]


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
    #: Take the first break before this leg rather than when the rule falls due.
    break_leg: int | None = None
    #: The leg before which the first break was taken.
    first_break_leg: int | None = None
    #: Legs at whose end the driver waited for a window to open.
    waited: list[int] = field(default_factory=list)


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
    due = rule is not None and start + service_s - clock.work_from > rule.after_work_s
    forced = rule is not None and clock.leg == clock.break_leg and not clock.breaks
    if rule is not None and (due or forced):
        if not clock.breaks:
            clock.first_break_leg = clock.leg
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
    if start > arrival:
        clock.waited.append(clock.leg)
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
    route, violations, _ = _timed(problem, plan, start_s, None, None)
    return route, violations


def _timed(
    problem: PlanningProblem,
    plan: RoutePlan,
    start_s: int | None,
    break_leg: int | None,
    legs: _Legs | None,
) -> tuple[RouteResult, list[Violation], _Clock]:
    """:func:`schedule`, optionally with the first break before leg ``break_leg``; also
    returns the clock (where the first break fell, where the driver waited)."""
    v = problem.vehicles[plan.vehicle]
    legs = legs or _Legs(problem, plan.vehicle, route_points(problem, plan))
    begin = max(v.shift_start_s, start_s if start_s is not None else v.shift_start_s)
    clock = _Clock(t=begin, work_from=begin, break_leg=break_leg)
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
    return route, violations, clock


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


def fit(
    problem: PlanningProblem, plan: RoutePlan, start: int | None, places: Places | None = None
) -> tuple[RouteResult, list[Violation]]:
    """Time a route, leaving later where that avoids waiting at the first stop, and taking
    the break earlier where that avoids a violation."""
    legs = _Legs(problem, plan.vehicle, route_points(problem, plan), places)
    route, violations, clock = _timed(problem, plan, start, None, legs)
    if route.visits and route.visits[0].wait_s > 0:
        # leave later rather than wait at the first stop (a constructed plan starts at the
        # shift start; for a driver not yet at work, waiting is working time)
        later = _timed(problem, plan, route.start_s + route.visits[0].wait_s, None, legs)
        if len(later[1]) <= len(violations):
            route, violations, clock = later
            start = route.start_s
    first = clock.first_break_leg
    if not violations or first is None:
        return route, violations
    # The rule places the break as late as it may fall, so the stops after it carry its
    # whole length; taken before a leg that ends in a wait, the wait absorbs part of it.
    best = (len(violations), route.cost_cents, route, violations)
    for leg in sorted((k for k in clock.waited if k < first), reverse=True):
        moved, broken, _ = _timed(problem, plan, start, leg, legs)
        if (len(broken), moved.cost_cents) < best[:2]:
            best = (len(broken), moved.cost_cents, moved, broken)
            if not broken:
                break
    return best[2], best[3]
