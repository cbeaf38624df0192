"""PyVRP behind the Solver Protocol (with :mod:`~lastmile.planning.pyvrp_search`).

Encoding (see docs/planning-api.md):

* one PyVRP location per hub and per stop; one client per stop *and window* — a stop with
  several windows is a required mutually exclusive client group;
* stops are optional clients with a prize: required stops get a prize larger than any
  route could cost to serve them, so the solver leaves one out only when it cannot fit,
  and optional stops a prize of ``defer_cost × (priority + 1)``;
* skills, zone access and hub ownership become routing profiles: a vehicle class whose
  vehicles cannot serve a stop sees prohibitive arcs into and out of it;
* costs are in thousandths of a cent so per-metre and per-second rates stay integers;
* vehicles that differ only by name share a vehicle type;
* ``workers`` processes run PyVRP's search with different seeds and, every 1,200 of its
  iterations, each continues from the best solution any of them has found when that beats
  its own, so both cores work on one search (see :mod:`lastmile.planning.pyvrp_search`);
* a priced day (costs beyond PyVRP's default penalty scale) starts from the greedy
  construction, or the caller's plan, improved by one local search at the penalty cap
  (:func:`~lastmile.planning.pyvrp_penalty.polish`, in the watched search workers).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyvrp
import pyvrp.search
from pyvrp.constants import MAX_SIZE

from lastmile.domain import StopKind
from lastmile.planning.assemble import assemble
from lastmile.planning.construct import construct
from lastmile.planning.diagnose import left_out_after_timing, precheck
from lastmile.planning.encoding import (
    MILLI,
    UNBOUNDED,
    plain_vrptw,
    profile_matrices,
    stop_prizes,
    unit_costs,
    vehicle_key,
)
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.pyvrp_penalty import is_priced
from lastmile.planning.pyvrp_search import _score, search
from lastmile.planning.solver import PlanResult, RoutePlan, SolveOptions, UnassignedStop

#: Above this many stops the search starts from the constructed plan: PyVRP's exhaustive
#: search of a random start would eat most of a short budget. Priced days always start from
#: it (see :func:`~lastmile.planning.pyvrp_penalty.polish`).
CONSTRUCT_ABOVE = 1_500
#: Re-timing mends routes until this long before the time limit (what follows it: the
#: reasons for the stops left out and the result).
ASSEMBLY_TAIL_S = 0.02


@dataclass
class Encoded:
    """ProblemData plus the maps back from PyVRP indices to the problem's."""

    data: pyvrp.ProblemData
    client_job: list[int]
    type_vehicles: list[list[int]]
    job_clients: dict[int, list[int]]
    #: (pickup job, delivery job) per PyVRP shipment.
    shipment_jobs: list[tuple[int, int]]


def encode(problem: PlanningProblem, jobs: Sequence[int], defer_cost_cents: int = 500) -> Encoded:
    """The PyVRP ProblemData for the given jobs and all vehicles."""
    n_hubs = len(problem.hubs)
    locations = [
        pyvrp.Location(x=problem.points[p].lon, y=problem.points[p].lat)
        for p in [h.point for h in problem.hubs] + [problem.jobs[j].point for j in jobs]
    ]
    depots = [
        pyvrp.Depot(location=n, tw_early=h.open_s, tw_late=h.close_s, name=h.ref)
        for n, h in enumerate(problem.hubs)
    ]
    clients: list[pyvrp.Client] = []
    groups: list[pyvrp.ClientGroup] = []
    client_job: list[int] = []
    job_clients: dict[int, list[int]] = {}
    dims = [d for d in range(3) if any(problem.jobs[j].demand[d] for j in jobs)]
    strict = plain_vrptw(problem, jobs)
    prizes = stop_prizes(problem, jobs, defer_cost_cents)
    shipments, shipment_jobs = _shipments(problem, jobs, dims, n_hubs, prizes, strict)
    halves = {j for pair in shipment_jobs for j in pair}
    for n, (j, prize) in enumerate(zip(jobs, prizes, strict=True)):
        job = problem.jobs[j]
        if j in halves:
            continue
        load = [job.demand[d] for d in dims]
        zero = [0] * len(dims)
        windows = job.windows or ((0, UNBOUNDED),)
        group = None
        if len(windows) > 1:
            group = len(groups)
            groups.append(pyvrp.ClientGroup(required=job.required, name=job.ref))
        for early, late in windows:
            job_clients.setdefault(j, []).append(len(clients))
            if group is not None:
                groups[group].add_client(len(clients))
            clients.append(
                pyvrp.Client(
                    location=n_hubs + n,
                    delivery=load if job.kind is StopKind.DELIVERY else zero,
                    pickup=zero if job.kind is StopKind.DELIVERY else load,
                    service_duration=job.service_s,
                    tw_early=early,
                    tw_late=late,
                    release_time=job.release_s if job.kind is StopKind.DELIVERY else 0,
                    prize=0 if strict else prize,
                    required=strict,
                    group=group,
                    name=job.ref,
                )
            )
            client_job.append(j)
    vehicles = list(range(len(problem.vehicles)))
    dists, durs, of_vehicle = profile_matrices(problem, jobs, vehicles, n_hubs)
    types, members = _vehicle_types(problem, of_vehicle, dims)
    data = pyvrp.ProblemData(
        locations,
        clients,
        depots,
        types,
        dists,  # type: ignore[arg-type]
        durs,  # type: ignore[arg-type]
        groups,
        shipments,
    )
    return Encoded(data, client_job, members, job_clients, shipment_jobs)


def _shipments(
    problem: PlanningProblem,
    jobs: Sequence[int],
    dims: Sequence[int],
    n_hubs: int,
    prizes: Sequence[int],
    strict: bool,
) -> tuple[list[pyvrp.Shipment], list[tuple[int, int]]]:
    """Pickup-and-delivery pairs whose halves are both in ``jobs`` (first window each)."""
    position = {j: n for n, j in enumerate(jobs)}
    out: list[pyvrp.Shipment] = []
    pairs: list[tuple[int, int]] = []
    for j in jobs:
        d = problem.jobs[j]
        if d.pair is None or d.pair not in position:
            continue
        p = problem.jobs[d.pair]
        (pe, pl), (de, dl) = (
            (p.windows or ((0, UNBOUNDED),))[0],
            (d.windows or ((0, UNBOUNDED),))[0],
        )
        out.append(
            pyvrp.Shipment(
                n_hubs + position[d.pair],
                n_hubs + position[j],
                pickup_tw_early=pe,
                pickup_tw_late=pl,
                pickup_service_duration=p.service_s,
                delivery_tw_early=de,
                delivery_tw_late=dl,
                delivery_service_duration=d.service_s,
                amount=[d.demand[k] for k in dims],
                prize=0 if strict else prizes[position[j]],
                required=strict,
                name=d.ref,
            )
        )
        pairs.append((d.pair, j))
    return out, pairs


def _vehicle_types(
    problem: PlanningProblem, of_vehicle: dict[int, int], dims: Sequence[int]
) -> tuple[list[pyvrp.VehicleType], list[list[int]]]:
    grouped: dict[tuple[object, ...], list[int]] = {}
    for vi, v in enumerate(problem.vehicles):
        grouped.setdefault((*vehicle_key(problem, v), of_vehicle[vi]), []).append(vi)
    types: list[pyvrp.VehicleType] = []
    for members in grouped.values():
        v = problem.vehicles[members[0]]
        per_m, per_s = unit_costs(v)
        types.append(
            pyvrp.VehicleType(
                num_available=len(members),
                capacity=[v.capacity[d] for d in dims],
                start_depot=v.start_hub,
                end_depot=v.end_hub,
                fixed_cost=v.fixed_cost_cents * MILLI,
                tw_early=v.shift_start_s,
                tw_late=v.latest_return_s,
                shift_duration=v.planned_duration_s,
                max_distance=v.range_m if v.range_m is not None else UNBOUNDED,
                unit_distance_cost=per_m,
                unit_duration_cost=per_s,
                profile=of_vehicle[members[0]],
                reload_depots=[v.start_hub] if v.max_trips > 1 else [],
                max_reloads=max(0, v.max_trips - 1) if v.max_trips > 1 else MAX_SIZE,
                max_overtime=v.max_overtime_s,
                unit_overtime_cost=round(v.overtime_cost_per_hour_cents * MILLI / 3600),
                name=v.ref,
            )
        )
    return types, list(grouped.values())


def decode(encoded: Encoded, solution: pyvrp.Solution) -> tuple[list[RoutePlan], list[int]]:
    """Route plans (with each route's start time) from a PyVRP solution."""
    plans: list[RoutePlan] = []
    starts: list[int] = []
    next_free = {t: 0 for t in range(len(encoded.type_vehicles))}
    for route in solution.routes():
        vt = route.vehicle_type()
        vehicle = encoded.type_vehicles[vt][next_free[vt]]
        next_free[vt] += 1
        trips: dict[int, list[int]] = {}
        for activity in route.schedule():
            if activity.is_client():
                trips.setdefault(activity.trip, []).append(encoded.client_job[activity.idx])
            elif activity.is_pickup() or activity.is_delivery():
                pickup, delivery = encoded.shipment_jobs[activity.idx]
                job = pickup if activity.is_pickup() else delivery
                trips.setdefault(activity.trip, []).append(job)
        plans.append(RoutePlan(vehicle, tuple(tuple(trips[k]) for k in sorted(trips))))
        starts.append(int(route.start_time()))
    return plans, starts


def warm_start(encoded: Encoded, plans: Sequence[RoutePlan]) -> pyvrp.Solution:
    """A PyVRP solution from route plans (first window of each stop), for a warm start."""
    type_of = {v: t for t, members in enumerate(encoded.type_vehicles) for v in members}
    halves: dict[int, pyvrp.Activity] = {}
    for k, (pickup, delivery) in enumerate(encoded.shipment_jobs):
        halves[pickup] = pyvrp.Activity(pyvrp.ActivityType.PICKUP, k)
        halves[delivery] = pyvrp.Activity(pyvrp.ActivityType.DELIVERY, k)
    routes = []
    for plan in plans:
        activities = []
        for n, trip in enumerate(plan.trips):
            if n:
                depot = encoded.data.vehicle_type(type_of[plan.vehicle]).start_depot
                activities.append(pyvrp.Activity(pyvrp.ActivityType.DEPOT, depot))
            for j in trip:
                if j in encoded.job_clients:
                    client = encoded.job_clients[j][0]
                    activities.append(pyvrp.Activity(pyvrp.ActivityType.CLIENT, client))
                elif j in halves:
                    activities.append(halves[j])
        if activities:
            routes.append(pyvrp.Route(encoded.data, activities, type_of[plan.vehicle]))
    return pyvrp.Solution(encoded.data, routes)


def _keep(plans: Sequence[RoutePlan], keep: set[int]) -> list[RoutePlan]:
    """Plans restricted to the given jobs (a warm start may name stops set aside since)."""
    out = []
    for p in plans:
        trips = tuple(t for t in (tuple(j for j in trip if j in keep) for trip in p.trips) if t)
        if trips:
            out.append(RoutePlan(p.vehicle, trips))
    return out


class PyVRPSolver:
    """Plans with PyVRP's iterated local search on both cores."""

    name = "pyvrp"

    def solve(self, problem: PlanningProblem, options: SolveOptions) -> PlanResult:
        searched = self.search_plans(problem, options)
        if searched.plans is None:
            return PlanResult(
                problem.origin, [], searched.rejected, self.name, searched.elapsed_s()
            )
        deadline = searched.began + options.time_limit_s - ASSEMBLY_TAIL_S
        routes, dropped = assemble(problem, searched.plans, searched.starts, deadline=deadline)
        unassigned = searched.rejected + left_out_after_timing(
            problem, searched.servable, routes, dropped
        )
        stats = {**searched.stats, "searched_stops": float(len(searched.routed))}
        return PlanResult(
            problem.origin, routes, unassigned, self.name, searched.elapsed_s(), stats
        )

    def search_plans(self, problem: PlanningProblem, options: SolveOptions) -> Searched:
        """The search's sequences before re-timing: :meth:`solve` without its assembly, so
        what re-timing keeps of them can be measured (benchmarks/retiming.py)."""
        began = time.perf_counter()
        servable, rejected = precheck(problem)
        if not servable:
            return Searched(began, servable, rejected)
        encoded = encode(problem, servable, options.defer_cost_cents)
        initial = None
        plans = options.initial or construct(problem, servable)
        fallback = warm_start(encoded, _keep(plans, set(servable)))
        priced = is_priced(encoded.data)  # see pyvrp_penalty.polish
        if priced or len(servable) > CONSTRUCT_ABOVE or options.initial:
            initial = fallback
        # The last iteration, collecting the workers' answers, re-timing and assembly (the
        # mending of routes in assembly stops at the time limit).
        reserve = 0.06 + 0.0003 * len(servable)
        seconds = options.time_limit_s - (time.perf_counter() - began) - reserve
        found = search(encoded.data, options, seconds, initial, polish_first=priced)
        best = min(found, fallback, key=_score)
        plans, starts = decode(encoded, best)
        stats = {"objective": _score(best)[1], "search_s": seconds}
        return Searched(began, servable, rejected, plans, starts, stats)


@dataclass
class Searched:
    """What the search routed, in sequences not yet timed with the day's travel and breaks."""

    began: float
    servable: list[int]
    rejected: list[UnassignedStop]
    plans: list[RoutePlan] | None = None
    starts: list[int] | None = None
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def routed(self) -> list[int]:
        return [j for p in self.plans or () for j in p.jobs]

    def elapsed_s(self) -> float:
        return time.perf_counter() - self.began
