"""The independent checker: recompute every route from the raw problem, list each violation.

It shares no scheduling code with the solvers: it asks the travel-time provider for every
leg at the hour the leg starts, rebuilds loads, distances and working time from the jobs,
and compares them with what the plan claims. Tests run it on every plan; ``lastmile check``
runs it on routes people edited by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lastmile.domain import StopKind
from lastmile.planning.problem import Demand, Job, PlanningProblem, VehicleSpec
from lastmile.planning.solver import RouteResult, StopVisit, UnassignedStop

#: Travel-time rounding slack (seconds) allowed between a reported and a recomputed leg.
TOLERANCE_S = 1
#: Records one violation: kind, stop ref (or None for the route), detail.
_Bad = Callable[[str, "str | None", str], None]


@dataclass(frozen=True, slots=True)
class Violation:
    kind: str
    route: str
    stop: str | None
    detail: str

    def __str__(self) -> str:
        where = f"{self.route}/{self.stop}" if self.stop else self.route
        return f"{self.kind} at {where}: {self.detail}"


def check(
    problem: PlanningProblem,
    routes: Sequence[RouteResult],
    unassigned: Sequence[UnassignedStop] = (),
) -> list[Violation]:
    """Every broken rule in a plan; an empty list means the plan is feasible."""
    out: list[Violation] = []
    seen: dict[str, str] = {}
    vehicles_used: set[int] = set()
    for route in routes:
        if not 0 <= route.vehicle < len(problem.vehicles):
            out.append(Violation("vehicle", route.vehicle_ref, None, "unknown vehicle"))
            continue
        if route.vehicle in vehicles_used:
            out.append(Violation("vehicle", route.vehicle_ref, None, "vehicle has two routes"))
        vehicles_used.add(route.vehicle)
        for visit in route.visits:
            if visit.ref in seen:
                out.append(
                    Violation(
                        "duplicate",
                        route.vehicle_ref,
                        visit.ref,
                        f"also served by {seen[visit.ref]}",
                    )
                )
            seen[visit.ref] = route.vehicle_ref
        out.extend(_check_route(problem, route))
    listed = {u.ref for u in unassigned}
    for job in problem.jobs:
        if job.ref not in seen and job.ref not in listed:
            out.append(Violation("missing", "-", job.ref, "neither served nor reported"))
        if job.ref in seen and job.ref in listed:
            out.append(Violation("duplicate", "-", job.ref, "served and reported unassigned"))
    return out


def _leg(problem: PlanningProblem, v: VehicleSpec, a: int, b: int, at_s: int) -> tuple[int, int]:
    hour = problem.hour_at(at_s, v.start_hub)
    pts = [problem.points[a], problem.points[b]]
    m = problem.provider.matrix(pts, pts, profile=v.profile, hour=hour)
    return int(m.durations_s[0, 1]), int(m.distances_m[0, 1])


def _check_route(problem: PlanningProblem, route: RouteResult) -> list[Violation]:
    v = problem.vehicles[route.vehicle]
    name = route.vehicle_ref
    out: list[Violation] = []

    def bad(kind: str, stop: str | None, detail: str) -> None:
        out.append(Violation(kind, name, stop, detail))

    index = problem.job_index()
    hub = problem.hubs[v.start_hub].point
    pos, t, trip = hub, route.start_s, 0
    distance = driving = 0
    load = _trip_load(problem, route, 0, index)
    _check_load(load, v.capacity, "-", bad)
    if route.start_s < v.shift_start_s:
        bad("shift", None, "starts before the shift")
    picked: set[str] = set()
    for visit in route.visits:
        job_no = index.get(visit.ref)
        if job_no is None:
            bad("unknown", visit.ref, "stop is not in the problem")
            continue
        job = problem.jobs[job_no]
        if visit.trip != trip:
            d_s, d_m = _leg(problem, v, pos, hub, t)
            distance, driving, pos, t = distance + d_m, driving + d_s, hub, t + d_s
            trip = visit.trip
            load = _trip_load(problem, route, trip, index)
            _check_load(load, v.capacity, visit.ref, bad)
        release = _trip_release(problem, route, trip, index)
        depart = max(t, release if pos == hub else 0) + _breaks_between(route, t, visit.arrival_s)
        d_s, d_m = _leg(problem, v, pos, job.point, depart)
        if visit.arrival_s + TOLERANCE_S < depart + d_s:
            bad(
                "travel",
                visit.ref,
                f"arrives {depart + d_s - visit.arrival_s}s too early "
                "for the travel time (or before its parcels are ready)",
            )
        _check_visit(v, job, visit, bad)
        if job.pair is not None and problem.jobs[job.pair].ref not in picked:
            bad("shipment", visit.ref, "delivered before (or without) its pickup on this route")
        picked.add(visit.ref)
        sign = -1 if job.kind is StopKind.DELIVERY else 1
        load = tuple(a + sign * b for a, b in zip(load, job.demand, strict=True))  # type: ignore[assignment]
        _check_load(load, v.capacity, visit.ref, bad)
        if tuple(visit.load_after) != tuple(load):
            bad("load", visit.ref, f"reported load {visit.load_after} but it is {load}")
        distance, driving, pos, t = distance + d_m, driving + d_s, job.point, visit.departure_s
    end_hub = problem.hubs[v.end_hub].point
    depart = t + _breaks_between(route, t, route.end_s)
    d_s, d_m = _leg(problem, v, pos, end_hub, depart)
    distance, driving = distance + d_m, driving + d_s
    if route.end_s + TOLERANCE_S < depart + d_s:
        bad("travel", None, "ends before it can be back at the hub")
    _check_totals(v, route, distance, driving, bad)
    _check_breaks(v, route, bad)
    return out


def _check_visit(v: VehicleSpec, job: Job, visit: StopVisit, bad: _Bad) -> None:
    """What one visit must satisfy whatever came before it."""
    if visit.service_start_s < visit.arrival_s:
        bad("schedule", visit.ref, "service starts before arrival")
    if job.windows and not any(e <= visit.service_start_s <= late for e, late in job.windows):
        bad("time_window", visit.ref, "service starts outside every time window")
    if visit.departure_s < visit.service_start_s + job.service_s:
        bad("schedule", visit.ref, "leaves before the service time has passed")
    if not job.skills <= v.skills:
        bad("skill", visit.ref, f"vehicle lacks {sorted(job.skills - v.skills)}")
    if not job.access <= v.passes:
        bad("access", visit.ref, f"vehicle may not enter {sorted(job.access - v.passes)}")
    if job.hub is not None and job.hub != v.start_hub:
        bad("hub", visit.ref, "parcels are at another hub")


def _trip_release(
    problem: PlanningProblem, route: RouteResult, trip: int, index: dict[str, int]
) -> int:
    """When the trip's deliveries are all ready at the hub."""
    jobs = [problem.jobs[index[x.ref]] for x in route.visits if x.trip == trip and x.ref in index]
    return max([0, *(j.release_s for j in jobs if j.from_hub)])


def _trip_load(
    problem: PlanningProblem, route: RouteResult, trip: int, index: dict[str, int]
) -> Demand:
    total = [0, 0, 0]
    for visit in route.visits:
        job = problem.jobs[index[visit.ref]] if visit.ref in index else None
        if job is not None and visit.trip == trip and job.from_hub:
            total = [a + b for a, b in zip(total, job.demand, strict=True)]
    return (total[0], total[1], total[2])


def _check_load(load: Demand, capacity: Demand, ref: str, bad: _Bad) -> None:
    if any(q > c for q, c in zip(load, capacity, strict=True)):
        bad("capacity", ref, f"load {load} exceeds capacity {capacity}")


def _breaks_between(route: RouteResult, start: int, end: int) -> int:
    """Break time taken on the road between two points of the schedule (before driving)."""
    return sum(
        b.end_s - b.start_s for b in route.breaks if start <= b.start_s < end and b.end_s <= end
    )


def _check_totals(
    v: VehicleSpec, route: RouteResult, distance: int, driving: int, bad: _Bad
) -> None:
    if route.end_s > v.latest_end_s:
        bad("shift", None, f"ends {route.end_s - v.latest_end_s}s after the shift (and overtime)")
    if v.range_m is not None and distance > v.range_m:
        bad("range", None, f"drives {distance} m, range is {v.range_m} m")
    if route.distance_m != distance:
        bad("distance", None, f"reports {route.distance_m} m but drives {distance} m")
    work = (
        route.end_s - v.work_began_s(route.start_s) - sum(b.end_s - b.start_s for b in route.breaks)
    )
    if v.max_work_s is not None and work > v.max_work_s:
        bad("hours", None, f"works {work}s, limit {v.max_work_s}s")
    if v.max_driving_s is not None and driving > v.max_driving_s:
        bad("hours", None, f"drives {driving}s, limit {v.max_driving_s}s")


def _check_breaks(v: VehicleSpec, route: RouteResult, bad: _Bad) -> None:
    """No stretch of work longer than the rule allows without a long enough break."""
    rule = v.break_rule
    if rule is None:
        return
    for b in route.breaks:
        for visit in route.visits:
            if b.start_s < visit.departure_s and visit.service_start_s < b.end_s:
                bad("break", visit.ref, "break overlaps the service")
    work_from = route.start_s
    moments = sorted(
        [(x.departure_s, x.ref) for x in route.visits] + [(route.end_s, None)], key=lambda m: m[0]
    )
    breaks = sorted(
        (b for b in route.breaks if b.end_s - b.start_s >= rule.duration_s), key=lambda b: b.start_s
    )
    for moment, ref in moments:
        for b in breaks:
            if work_from <= b.start_s and b.end_s <= moment:
                work_from = b.end_s
        if moment - work_from > rule.after_work_s:
            bad("break", ref, f"{moment - work_from}s of work without a {rule.duration_s}s break")
            return
