"""PyVRP behind the Solver Protocol: the only module that imports pyvrp.

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
* ``workers`` processes run different seeds in epochs: after each epoch every worker
  restarts from the best solution any of them found, so both cores work on one search.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from dataclasses import dataclass

import pyvrp
import pyvrp.search
from pyvrp.constants import MAX_SIZE
from pyvrp.stop import MaxIterations, MaxRuntime

from lastmile.domain import StopKind
from lastmile.planning.assemble import assemble
from lastmile.planning.construct import construct
from lastmile.planning.diagnose import explain_left_out, precheck
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
from lastmile.planning.solver import PlanResult, RoutePlan, SolveOptions

#: Above this many stops the search starts from the constructed plan: PyVRP's exhaustive
#: search of a random start would eat most of a short budget.
CONSTRUCT_ABOVE = 1_500


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
                tw_late=v.latest_end_s,
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


# Set before forking workers so each inherits the (possibly large) data without pickling it.
_SHARED: dict[str, pyvrp.ProblemData] = {}


def _work(
    seed: int, seconds: float, initial: pyvrp.Solution | None, iterations: int | None = None
) -> pyvrp.Solution:
    """One worker's search, as :func:`pyvrp.solve` but within ``seconds`` of wall time.

    PyVRP's own ``solve`` starts its clock after the first exhaustive local search, which
    takes seconds on a 1,000-stop day; here that search counts against the budget.
    An inherited start (a previous epoch's best) is used as is.
    """
    from pyvrp.IteratedLocalSearch import IteratedLocalSearch
    from pyvrp.PenaltyManager import PenaltyManager
    from pyvrp.solve import SolveParams

    data = _SHARED["data"]
    began = time.perf_counter()
    params = SolveParams()
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    neighbours = pyvrp.search.compute_neighbours(data, params.neighbourhood)
    perturbation = pyvrp.search.PerturbationManager(params.perturbation)
    ls = pyvrp.search.LocalSearch(data, rng, neighbours, perturbation)
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    pm = PenaltyManager(params.penalty.midpoint_penalties(data), params.penalty)
    if initial is None:
        random = pyvrp.Solution.make_random(data, rng)
        initial = ls(random, pm.max_cost_evaluator(), exhaustive=True)
    left = max(0.01, seconds - (time.perf_counter() - began))
    algo = IteratedLocalSearch(data, pm, ls, initial, params.ils)
    stop = MaxRuntime(left) if iterations is None else MaxIterations(iterations)
    return algo.run(stop, collect_stats=False).best


def _score(solution: pyvrp.Solution) -> tuple[int, float]:
    """Feasible first, then the objective (route costs plus prizes left uncollected)."""
    if not solution.is_feasible():
        return 1, float(solution.distance())
    evaluator = pyvrp.CostEvaluator([0] * len(solution.excess_load()), 0, 0)
    return 0, float(evaluator.cost(solution))


def _epochs(seconds: float, workers: int) -> int:
    """Independent seeds for short runs (the best of two is never worse than seed alone);
    long runs share the best solution between workers once half-way."""
    if workers < 2 or seconds < 30:
        return 1
    return 2


def _wait(
    futures: Sequence[Future[pyvrp.Solution]], options: SolveOptions, t0: float, seconds: float
) -> None:
    """Block until the workers finish, telling the progress callback how far along we are."""
    while not all(f.done() for f in futures):
        wait(futures, timeout=0.25)
        if options.progress is not None and seconds > 0:
            done = min(0.99, (time.perf_counter() - t0) / seconds)
            options.progress(done, "searching")


def search(
    encoded: Encoded,
    options: SolveOptions,
    seconds: float,
    initial: pyvrp.Solution | None = None,
) -> pyvrp.Solution:
    """Parallel seeds in epochs; returns the best PyVRP solution found."""
    _SHARED["data"] = encoded.data
    workers = max(1, options.workers)
    rounds = 1 if options.max_iterations is not None else _epochs(seconds, workers)
    deadline = time.perf_counter() + seconds
    best = initial
    found: list[pyvrp.Solution] = []
    for r in range(rounds):
        left = deadline - time.perf_counter()
        budget = left / (rounds - r)
        seeds = [options.seed + r * workers + w for w in range(workers)]
        if workers == 1:
            found = [_work(seeds[0], budget, best, options.max_iterations)]
        else:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                futures = [
                    pool.submit(_work, s, budget - 0.05, best, options.max_iterations)
                    for s in seeds
                ]
                _wait(futures, options, deadline - seconds, seconds)
                found = [f.result() for f in futures]
        best = min(found, key=_score)
        if options.progress is not None:
            options.progress((r + 1) / rounds, f"search epoch {r + 1}/{rounds}")
    _SHARED.clear()
    return min(found, key=_score)


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
        began = time.perf_counter()
        servable, rejected = precheck(problem)
        if not servable:
            return PlanResult(problem.origin, [], rejected, self.name, time.perf_counter() - began)
        encoded = encode(problem, servable, options.defer_cost_cents)
        initial = None
        plans = options.initial or construct(problem, servable)
        fallback = warm_start(encoded, _keep(plans, set(servable)))
        if len(servable) > CONSTRUCT_ABOVE or options.initial:
            initial = fallback
        reserve = 0.02 + 0.00005 * len(servable)  # re-timing and assembly after the search
        seconds = options.time_limit_s - (time.perf_counter() - began) - reserve
        best = min(search(encoded, options, seconds, initial), fallback, key=_score)
        plans, starts = decode(encoded, best)
        routes, dropped = assemble(problem, plans, starts)
        served = {v.job for r in routes for v in r.visits}
        dropped_refs = {d.ref for d in dropped}
        left = [j for j in servable if j not in served and problem.jobs[j].ref not in dropped_refs]
        unassigned = rejected + dropped + explain_left_out(problem, left, routes)
        stats = {"objective": _score(best)[1], "search_s": seconds}
        return PlanResult(
            problem.origin, routes, unassigned, self.name, time.perf_counter() - began, stats
        )
