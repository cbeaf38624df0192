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
* ``workers`` processes run PyVRP's search with different seeds and, every second, each
  continues from the best solution any of them has found when that beats its own, so both
  cores work on one search (see :func:`_ils`).
"""

from __future__ import annotations

import math
import multiprocessing
import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.queues import Queue

import pyvrp
import pyvrp.search
from pyvrp.constants import MAX_SIZE
from pyvrp.PenaltyManager import PenaltyManager
from pyvrp.solve import SolveParams

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

#: How often (seconds) a worker offers its best solution to the others and takes theirs.
SHARE_EVERY_S = 1.0


class _History:
    """The late-acceptance history: PyVRP's ring buffer, typed."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: list[pyvrp.Solution | None] = [None] * size
        self.at = 0

    def clear(self) -> None:
        self.items = [None] * self.size
        self.at = 0

    def peek(self) -> pyvrp.Solution | None:
        return self.items[self.at % self.size]

    def append(self, solution: pyvrp.Solution) -> None:
        self.items[self.at % self.size] = solution
        self.at += 1

    def skip(self) -> None:
        self.at += 1


@dataclass
class _Mailbox:
    """One worker's end of the exchange: its own inbox and the others'."""

    inbox: Queue[tuple[float, pyvrp.Solution]]
    others: list[Queue[tuple[float, pyvrp.Solution]]]
    every_s: float


def _cost(solution: pyvrp.Solution) -> float:
    """The objective (route costs plus uncollected prizes); infinite when infeasible."""
    evaluator = pyvrp.CostEvaluator([0] * len(solution.excess_load()), 0, 0)
    return float(evaluator.cost(solution))


def _ils(
    data: pyvrp.ProblemData,
    seed: int,
    deadline: float,
    initial: pyvrp.Solution | None,
    mailbox: _Mailbox | None,
    tick: Callable[[], None] | None = None,
    iterations: int | None = None,
) -> pyvrp.Solution:
    """PyVRP's iterated local search (``pyvrp.solve`` with default parameters, step for step)
    until ``deadline`` (``time.monotonic``), plus an exchange between parallel workers.

    PyVRP's own ``solve`` starts its clock after the first exhaustive local search, which
    takes seconds on a 1,000-stop day; here that search counts against the deadline. Every
    ``SHARE_EVERY_S`` a worker posts its best solution if it improved, and continues from a
    peer's best when that is better than its own: both cores then work on the most
    promising solution, each with its own random stream, instead of two blind restarts.
    With ``iterations`` the search stops after that many iterations instead, without
    exchange, so the same problem and seed give the same solution on any machine.
    """
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
    ils = params.ils
    history = _History(ils.history_length)
    start = initial
    best = current = initial
    best_cost = _cost(best)
    stale = 0
    posted = math.inf
    next_share = time.monotonic() + (mailbox.every_s if mailbox else math.inf)
    done = 0
    while (now := time.monotonic()) < deadline if iterations is None else done < iterations:
        done += 1
        if stale == ils.num_iters_no_improvement:
            history.clear()
            current, stale = best, 0
        evaluator = pm.cost_evaluator()
        candidate = ls(current, evaluator, exhaustive=False)
        pm.register(candidate)
        stale += 1
        if evaluator.cost(candidate) < best_cost:
            best, stale = candidate, 0
            if ils.exhaustive_on_best:
                candidate = ls(candidate, evaluator, exhaustive=True)
                if candidate.is_feasible():
                    best = candidate
            best_cost = _cost(best)
        candidate_cost = evaluator.penalised_cost(candidate)
        current_cost = evaluator.penalised_cost(current)
        late = history.peek()
        late_cost = evaluator.penalised_cost(start if late is None else late)
        if candidate_cost < late_cost or candidate_cost < current_cost:  # late acceptance
            current, current_cost = candidate, candidate_cost
        if current_cost < late_cost or late is None:
            history.append(current)
        else:
            history.skip()
        if mailbox is not None and now >= next_share:
            next_share = now + mailbox.every_s
            if best_cost < posted:
                for box in mailbox.others:
                    box.put((best_cost, best))
                posted = best_cost
            offer = _best_offer(mailbox.inbox)
            if offer is not None and offer[0] < best_cost:
                best_cost, best = offer
                current, stale, posted = best, 0, best_cost
        if tick is not None:
            tick()
    return best


def _best_offer(inbox: Queue[tuple[float, pyvrp.Solution]]) -> tuple[float, pyvrp.Solution] | None:
    offer = None
    while True:
        try:
            got = inbox.get_nowait()
        except queue.Empty:
            return offer
        if offer is None or got[0] < offer[0]:
            offer = got


def _child(
    index: int,
    seed: int,
    deadline: float,
    initial: pyvrp.Solution | None,
    boxes: list[Queue[tuple[float, pyvrp.Solution]]],
    every_s: float,
    out: Connection,
    iterations: int | None,
) -> None:
    """A forked worker: search, then send back the best solution (or the error)."""
    mailbox = None
    if iterations is None:
        others = [b for k, b in enumerate(boxes) if k != index]
        mailbox = _Mailbox(boxes[index], others, every_s)
    try:
        out.send(_ils(_SHARED["data"], seed, deadline, initial, mailbox, None, iterations))
    except Exception as exc:  # reported to the parent, which keeps the other workers' best
        out.send(exc)
    finally:
        out.close()
        for box in boxes:
            box.cancel_join_thread()


def _score(solution: pyvrp.Solution) -> tuple[int, float]:
    """Feasible first, then the objective (route costs plus prizes left uncollected)."""
    if not solution.is_feasible():
        return 1, float(solution.distance())
    return 0, _cost(solution)


def search(
    encoded: Encoded,
    options: SolveOptions,
    seconds: float,
    initial: pyvrp.Solution | None = None,
) -> pyvrp.Solution:
    """``options.workers`` cooperating searches (seeds ``seed, seed+1, ...``) for ``seconds``.

    Worker 0 runs in this process (and drives the progress callback); the others are forked
    so they inherit the data without pickling it and exchange best solutions through queues.
    """
    workers = max(1, options.workers)
    began = time.monotonic()
    deadline = began + max(0.0, seconds)
    last = [began]

    def tick() -> None:
        now = time.monotonic()
        if options.progress is not None and now - last[0] >= 0.25 and seconds > 0:
            last[0] = now
            options.progress(min(0.99, (now - began) / seconds), "searching")

    iterations = options.max_iterations
    if workers == 1:
        return _ils(encoded.data, options.seed, deadline, initial, None, tick, iterations)
    ctx = multiprocessing.get_context("fork")
    boxes: list[Queue[tuple[float, pyvrp.Solution]]] = [ctx.Queue() for _ in range(workers)]
    _SHARED["data"] = encoded.data
    children = []
    try:
        for w in range(1, workers):
            receive, send = ctx.Pipe(duplex=False)
            args = (w, options.seed + w, deadline, initial, boxes, SHARE_EVERY_S, send, iterations)
            process = ctx.Process(target=_child, args=args, daemon=True)
            process.start()
            send.close()
            children.append((process, receive))
        mailbox = _Mailbox(boxes[0], boxes[1:], SHARE_EVERY_S) if iterations is None else None
        found = [_ils(encoded.data, options.seed, deadline, initial, mailbox, tick, iterations)]
        for process, receive in children:
            if receive.poll(None if iterations is not None else max(5.0, 0.1 * seconds)):
                got = receive.recv()
                if isinstance(got, pyvrp.Solution):
                    found.append(got)
            process.join(timeout=1.0)
            if process.is_alive():
                process.kill()
    finally:
        _SHARED.clear()
        for box in boxes:
            box.cancel_join_thread()
            box.close()
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
        # The last iteration, collecting the workers' answers, re-timing and assembly.
        reserve = 0.06 + 0.00005 * len(servable)
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
