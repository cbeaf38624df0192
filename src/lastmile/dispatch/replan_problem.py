"""The rest of the day as a planning problem, built on planning's own problem data.

Planning plans days that start at hubs, so a day in progress is expressed with what it
already has:

* a vehicle on the road becomes a vehicle whose *start hub* is a depot at the place it will
  next be free (its stop under way), opening at that moment;
* a parcel on board a van is owned by that van's start depot (``Job.hub``), so no other van
  can serve it — PyVRP and the checker both enforce hub ownership;
* parcels not yet loaded keep their real hub and may go to any vehicle at that hub.

A van on the road first delivers its load from that depot; planning reloads only at a
vehicle's start depot, so its later trips are a second vehicle of the same driver at the
real hub (:func:`_after_load`), free once the load is delivered in its current order. The
load's part must be back by then, so the two never overlap. Trips already made count
against the vehicle's trips a day.

With a deferral value, a stop not yet on a van is worth that much today rather than "serve
at any cost": the short searches of a day's re-plans otherwise keep buying one more stop
with tens of kilometres of detour (docs/benchmarks/sim.md). Parcels on board stay required.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lastmile.dispatch.known_points import known_points
from lastmile.dispatch.state import DayState, VehicleState
from lastmile.domain import StopKind, UnassignedReason
from lastmile.geo.points import as_lat_lon, haversine_m
from lastmile.planning.construct import construct
from lastmile.planning.problem import HubSpec, Job, PlanningProblem, VehicleSpec
from lastmile.planning.solver import RoutePlan, SolveOptions
from lastmile.planning.timing import schedule


@dataclass
class RestOfDay:
    """The re-plan problem plus the maps back to the day's own indices."""

    problem: PlanningProblem
    #: re-plan vehicle index -> day vehicle index
    day_vehicle: list[int]
    #: re-plan job index -> day job index
    day_job: list[int]
    #: vehicle ref -> start depot in the re-plan problem
    depot: dict[str, int]
    warm: list[RoutePlan]
    #: refs of the day's real hubs (the others are vans' current positions)
    hub_refs: frozenset[str] = frozenset()
    #: What leaving an optional stop for tomorrow costs, in cents (``SolveOptions``).
    defer_cost_cents: int = SolveOptions.defer_cost_cents
    #: re-plan vehicle of a van's trips after its load -> the vehicle delivering the load
    after_load: dict[int, int] = field(default_factory=dict)
    #: vehicle ref -> trips begun today, as the re-plan counted them
    trips_made: dict[str, int] = field(default_factory=dict)


def _work_left(v: VehicleSpec, s: VehicleState) -> int | None:
    if v.max_work_s is None or s.started_s is None:
        return v.max_work_s
    return max(0, v.max_work_s - (s.free_s - s.started_s))


def _trips_made(state: DayState) -> dict[str, int]:
    """Trips each vehicle has begun today (the day plan numbers them across the day); a van
    on the road is on one even when the plan has none for it (a rescue)."""
    locked = state.locked()
    last = {
        r.vehicle_ref: max((x.trip + 1 for x in r.visits if x.ref in locked), default=0)
        for r in state.plan.routes
    }
    return {
        ref: last.get(ref, 0) if s.at_hub else max(last.get(ref, 0), 1)
        for ref, s in state.vehicles.items()
    }


def _vehicle(
    v: VehicleSpec,
    s: VehicleState,
    hubs: list[HubSpec],
    points: list[object],
    horizon: int,
    trips_made: int = 0,
) -> VehicleSpec:
    start = min(max(v.shift_start_s, s.free_s), v.latest_end_s)
    fixed = v.fixed_cost_cents if s.started_s is None else 0
    spec = replace(
        v,
        shift_start_s=start,
        max_work_s=_work_left(v, s),
        fixed_cost_cents=fixed,
        on_duty=s.started_s is not None,
        max_trips=max(1, v.max_trips - trips_made),
    )
    if s.at_hub:
        return spec
    points.append(s.point)
    tz = hubs[v.start_hub].timezone
    hubs.append(HubSpec(f"{v.ref}@{s.free_s}", len(points) - 1, start, horizon, tz))
    return replace(spec, start_hub=len(hubs) - 1, max_trips=1)


def _job(
    job: Job, state: DayState, depot: dict[str, int], optional: bool, planned: dict[str, int]
) -> Job:
    carrier = state.carrier(job.ref)
    if carrier is not None:
        return replace(job, hub=depot[carrier], release_s=0, pair=None)
    if job.hub is None and job.kind is StopKind.DELIVERY:
        # "Any hub" must not include a van's seat on the road: the parcel is at a hub.
        hub = planned[job.ref] if job.ref in planned else _nearest_hub(job, state)
        job = replace(job, hub=hub)
    if optional:
        return replace(job, pair=None, required=False)
    return replace(job, pair=None)


def _nearest_hub(job: Job, state: DayState) -> int:
    day = state.problem
    here = as_lat_lon([day.points[job.point]])
    hubs = as_lat_lon([day.points[h.point] for h in day.hubs])
    return int(haversine_m(here, hubs)[0].argmin())


def rest_of_day(state: DayState, defer_value_cents: int | None = None) -> RestOfDay:
    """The problem of serving every open stop from where each working vehicle is now.

    ``defer_value_cents``: what leaving a stop not yet loaded for tomorrow costs (times its
    priority + 1); ``None`` keeps every required stop required.
    """
    if defer_value_cents is not None and defer_value_cents <= 0:
        raise ValueError(f"defer_value_cents must be positive, got {defer_value_cents}")
    optional = defer_value_cents is not None
    day = state.problem
    hubs = list(day.hubs)
    points: list[object] = list(day.points)
    horizon = max([h.close_s for h in hubs] + [v.latest_end_s for v in day.vehicles])
    vehicles: list[VehicleSpec] = []
    day_vehicle: list[int] = []
    depot: dict[str, int] = {}
    made = _trips_made(state)
    for n, v in enumerate(day.vehicles):
        s = state.vehicles[v.ref]
        if s.broken or (s.at_hub and made[v.ref] >= v.max_trips):
            continue
        spec = _vehicle(v, s, hubs, points, horizon, made[v.ref])
        vehicles.append(spec)
        day_vehicle.append(n)
        depot[v.ref] = spec.start_hub
    index = day.job_index()
    day_job = [index[ref] for ref in state.open_jobs()]
    # A parcel any hub may send leaves from the hub of the van planned to carry it.
    planned = {
        v.ref: day.vehicles[r.vehicle].start_hub for r in state.plan.routes for v in r.visits
    }
    jobs = tuple(_job(day.jobs[j], state, depot, optional, planned) for j in day_job)
    # Job points move after the vehicles' new depots: re-point them through restrict().
    state.matrices = known_points(state.matrices, day.provider)
    problem = PlanningProblem(
        origin=day.origin,
        points=tuple(points),  # type: ignore[arg-type]
        hubs=tuple(hubs),
        jobs=jobs,
        vehicles=tuple(vehicles),
        provider=state.matrices,
    )
    problem = problem.restrict(range(len(jobs)), range(len(vehicles)))
    after_load = _after_load(state, problem, day_vehicle, made)
    # Stops the current plan already left out stay out of the start: inserting them blindly
    # would hand the search an infeasible start to repair.
    left_out = {u.ref for u in state.plan.unassigned}
    skip = {j for j, job in enumerate(problem.jobs) if job.ref in left_out}
    warm = complete(problem, _warm_start(state, problem, day_vehicle), skip)
    warm += _idle_routes(problem, warm, sorted(skip), len(day.hubs))
    real = frozenset(h.ref for h in day.hubs)
    defer = SolveOptions.defer_cost_cents if defer_value_cents is None else defer_value_cents
    return RestOfDay(problem, day_vehicle, day_job, depot, warm, real, defer, after_load, made)


def why_no_vehicle(
    state: DayState, rest: RestOfDay, refs: Sequence[str]
) -> dict[str, tuple[UnassignedReason, str]]:
    """Why no vehicle that may serve each of these stops is in the re-plan, naming each;
    a stop that has one is not in the answer (the solver's own reason stands).

    The re-plan leaves out vehicles that broke down, made all their trips or ended their
    shift, and a van on its last trip has no vehicle for later ones; "no vehicle available"
    would hide that the hub has vans, all of them out for the day.
    """
    day = state.problem
    # each day vehicle's seat at a real hub in the re-plan: itself, or its trips after a load
    at_hub = {
        rest.day_vehicle[m]: v
        for m, v in enumerate(rest.problem.vehicles)
        if rest.problem.hubs[v.start_hub].ref in rest.hub_refs
    }
    made = rest.trips_made
    out: list[str | None] = []
    for k, v in enumerate(day.vehicles):
        s, seat = state.vehicles[v.ref], at_hub.get(k)
        if s.broken:
            out.append("broke down")
        elif seat is not None:
            out.append(None if seat.latest_return_s > seat.shift_start_s else "shift over")
        elif s.at_hub:
            out.append("made all its trips")
        elif made[v.ref] >= v.max_trips:
            out.append("on its last trip")
        else:
            out.append("back from its load too late for another trip")
    day_index, rest_index = day.job_index(), rest.problem.job_index()
    answer: dict[str, tuple[UnassignedReason, str]] = {}
    for ref in refs:
        if ref not in day_index:
            continue
        job = day.jobs[day_index[ref]]
        n = rest_index.get(ref)
        there = None if n is None else rest.problem.jobs[n].hub
        if there is not None and there >= len(day.hubs):  # on board: its van's own reason
            continue
        if there is not None:
            job = replace(job, hub=there)  # "any hub" resolved to a real one
        hub = "any hub" if job.hub is None else day.hubs[job.hub].ref
        home = [v for v in day.vehicles if job.hub is None or v.start_hub == job.hub]
        if not any(job.skills <= v.skills for v in home):
            answer[ref] = UnassignedReason.SKILL, f"no vehicle from {hub} has {_names(job.skills)}"
            continue
        if not any(job.skills <= v.skills and job.access <= v.passes for v in home):
            detail = f"no vehicle from {hub} may enter {_names(job.access)}"
            answer[ref] = UnassignedReason.ACCESS, detail
            continue
        why: dict[str, list[str]] = {}
        for k, v in enumerate(day.vehicles):
            if v.serves(job):
                why.setdefault(out[k] or "", []).append(v.ref)
        if not why or "" in why:
            continue
        causes = "; ".join(f"{cause}: {_some(names)}" for cause, names in why.items())
        answer[ref] = (
            UnassignedReason.NO_VEHICLE,
            f"every vehicle from {hub} that may serve it is out ({causes})",
        )
    return answer


def _names(items: frozenset[Any]) -> str:
    return ", ".join(sorted(str(getattr(x, "value", x)) for x in items))


def _some(refs: list[str], shown: int = 4) -> str:
    more = len(refs) - shown
    return ", ".join(refs[:shown]) + (f" and {more} more" if more > 0 else "")


def _after_load(
    state: DayState, problem: PlanningProblem, day_vehicle: list[int], made: dict[str, int]
) -> dict[int, int]:
    """Give each van on the road that has trips left a second vehicle for its later trips.

    It starts at the van's hub once the load, in the current plan's order (with the parcels
    the plan lacks put where they add least), is delivered; the load's own part must be back
    by then. Mutates ``problem.vehicles`` and ``day_vehicle``; returns the new vehicles'
    indices -> the vans' indices.
    """
    n_hubs = len(state.problem.hubs)
    vehicles = list(problem.vehicles)
    added: dict[int, int] = {}
    current = {p.vehicle: p for p in _warm_start(state, problem, day_vehicle)}
    for n, v in enumerate(problem.vehicles):
        day_v = state.problem.vehicles[day_vehicle[n]]
        left = day_v.max_trips - made[day_v.ref]
        if v.start_hub < n_hubs or left < 1:
            continue
        others = {j for j, job in enumerate(problem.jobs) if job.hub != v.start_hub}
        load = complete(problem, [current.get(n, RoutePlan(n, ((),)))], others)
        back = _back_by(problem, n, tuple(j for p in load for j in p.jobs))
        work = None if v.max_work_s is None else v.max_work_s - (back - v.shift_start_s)
        if work is not None and work <= 0:
            continue
        later = replace(
            day_v,
            ref=f"{day_v.ref}+",
            shift_start_s=back,
            max_work_s=work,
            fixed_cost_cents=0,
            on_duty=True,
            max_trips=left,
        )
        if later.latest_return_s <= back:
            continue
        vehicles[n] = replace(v, shift_end_s=back, max_overtime_s=0)
        added[len(vehicles)] = n
        vehicles.append(later)
        day_vehicle.append(day_vehicle[n])
    problem.vehicles = tuple(vehicles)
    return added


def _back_by(problem: PlanningProblem, n: int, trip: tuple[int, ...]) -> int:
    """When van ``n`` is back at its hub after ``trip``, as both the search and re-timing see
    it, so that neither finds the load late.

    The search plans with the travel of the shift's slowest hour (re-timing never comes back
    later than that), and a shift long enough to need a break gets that much less time in
    the search: the break is added for it.
    """
    v = problem.vehicles[n]
    durations = problem.planning_matrix(v).durations_s
    t, at = v.shift_start_s, problem.hubs[v.start_hub].point
    for j in trip:
        job = problem.jobs[j]
        t += int(durations[at, job.point])
        opening = [a for a, b in job.windows if b >= t]
        t = max(t, min(opening)) + job.service_s if opening else t + job.service_s
        at = job.point
    t += int(durations[at, problem.hubs[v.end_hub].point])
    back = max(t, schedule(problem, RoutePlan(n, (trip,)))[0].end_s)
    rule = v.break_rule
    if rule is not None and back + rule.duration_s - v.shift_start_s > rule.after_work_s:
        back += rule.duration_s
    return back


def _idle_routes(
    problem: PlanningProblem, warm: list[RoutePlan], left_out: list[int], n_hubs: int
) -> list[RoutePlan]:
    """Routes for vans idle at the hub over stops the plan left out, by planning's greedy
    construction (which respects windows and shifts), so the search starts with them."""
    busy = {p.vehicle for p in warm}
    idle = [n for n, v in enumerate(problem.vehicles) if n not in busy and v.start_hub < n_hubs]
    if not idle or not left_out:
        return []
    plans = construct(problem.restrict(left_out, idle), range(len(left_out)))
    return [
        RoutePlan(idle[p.vehicle], tuple(tuple(left_out[j] for j in t) for t in p.trips))
        for p in plans
    ]


def _warm_start(
    state: DayState, problem: PlanningProblem, day_vehicle: list[int]
) -> list[RoutePlan]:
    """The current plan's remaining sequences, in the re-plan problem's indices."""
    index = problem.job_index()
    by_ref = {r.vehicle_ref: r for r in state.plan.routes}
    locked = state.locked()
    plans: list[RoutePlan] = []
    for n, dv in enumerate(day_vehicle):
        v = problem.vehicles[n]
        route = by_ref.get(state.problem.vehicles[dv].ref)
        if route is None:
            continue
        trips: dict[int, list[int]] = {}
        for visit in route.visits:
            j = index.get(visit.ref)
            if visit.ref in locked or j is None or not v.serves(problem.jobs[j]):
                continue
            trips.setdefault(visit.trip, []).append(j)
        kept = [tuple(trips[k]) for k in sorted(trips)][: v.max_trips]
        if kept:
            plans.append(RoutePlan(n, tuple(kept)))
    return plans


def _trip_points(problem: PlanningProblem, plan: RoutePlan, k: int) -> list[int]:
    v = problem.vehicles[plan.vehicle]
    start = problem.hubs[v.start_hub].point
    end = problem.hubs[v.end_hub].point if k == len(plan.trips) - 1 else start
    return [start, *(problem.jobs[j].point for j in plan.trips[k]), end]


def _best_slot(
    problem: PlanningProblem, plans: dict[int, RoutePlan], j: int
) -> tuple[int, int, int] | None:
    """(vehicle, trip, position) adding the least distance, among vehicles with room."""
    job = problem.jobs[j]
    best: tuple[float, int, int, int] | None = None
    for n, v in enumerate(problem.vehicles):
        if not v.serves(job):
            continue
        plan = plans.get(n, RoutePlan(n, ((),)))
        d = problem.planning_matrix(v).distances_m
        for k, trip in enumerate(plan.trips):
            load = [sum(problem.jobs[i].demand[x] for i in trip) + job.demand[x] for x in range(3)]
            if any(q > c for q, c in zip(load, v.capacity, strict=True)):
                continue
            pts = _trip_points(problem, plan, k)
            a, b = pts[:-1], pts[1:]
            delta = d[a, job.point] + d[job.point, b] - d[a, b]
            if not trip:
                delta = delta + v.fixed_cost_cents
            pos = int(delta.argmin())
            if best is None or delta[pos] < best[0]:
                best = (float(delta[pos]), n, k, pos)
    return None if best is None else best[1:]


def complete(
    problem: PlanningProblem, warm: list[RoutePlan], skip: set[int] | None = None
) -> list[RoutePlan]:
    """The warm start with every stop it lacks put where it adds the least distance.

    A start missing required stops makes PyVRP's short searches spend their budget finding
    room for them; a complete start (even with some lateness) lets them improve instead.
    """
    plans = {p.vehicle: p for p in warm}
    planned = {j for p in warm for j in p.jobs} | (skip or set())
    for j in range(len(problem.jobs)):
        if j in planned:
            continue
        slot = _best_slot(problem, plans, j)
        if slot is None:
            continue
        n, k, pos = slot
        plan = plans.get(n, RoutePlan(n, ((),)))
        trip = plan.trips[k]
        trips = list(plan.trips)
        trips[k] = (*trip[:pos], j, *trip[pos:])
        plans[n] = RoutePlan(n, tuple(trips))
    return [plans[n] for n in sorted(plans)]
