"""Solving the rest of the day in independent parts.

A van on the road serves only what it carries and nothing else can serve that, so each such
van is its own small problem (a sequencing of its load), and the vans at the hub (with the
vans on the road for their trips after the load) share the parcels not yet loaded. Solving
them apart keeps one travel matrix per vehicle class for the big part — one problem with a
depot per van on the road would need one per van — and lets the loads be sequenced in a side
process while the hub part searches.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import replace
from multiprocessing.connection import Connection

from lastmile.dispatch.replan_problem import RestOfDay
from lastmile.planning.assemble import assemble
from lastmile.planning.diagnose import left_out_after_timing
from lastmile.planning.problem import VehicleSpec
from lastmile.planning.solver import (
    PlanResult,
    RoutePlan,
    RouteResult,
    SolveOptions,
    Solver,
    UnassignedStop,
)
from lastmile.planning.timing import fit

#: Wall time per van on the road for sequencing its load (seconds), and the share of the
#: budget those vans may take at most.
PER_VAN_S = 0.08
VANS_SHARE = 0.3
#: Search iterations at most for sequencing one van's load: a one-vehicle problem of a few
#: dozen stops settles long before (10 and 40 served the same stops at the same cost on the
#: benchmark day); more only burns the hub part's time.
VAN_ITERATIONS = 10
#: The hub part's late-acceptance history: its search makes a few hundred iterations a
#: worker in a 5 s re-plan, and with PyVRP's history of 300 it still served 8-11 stops
#: fewer after 4 s than with one of 10 (docs/benchmarks/replan.md).
HUB_HISTORY = 10
#: A hub part of this many stops or fewer settles within a few hundred search iterations,
#: while a time-bound search spends the whole budget on it: a new order when every van is
#: out (the part is that order and the vans' later trips) took 4.6 s of a 5 s request.
#: Measured on 5- to 20-stop days (3 seeds each): 2,000 iterations gave the 5 s search's
#: cost on every day of 10 stops or fewer, in 0.06-0.28 s.
SMALL_HUB_STOPS = 12
SMALL_HUB_ITERATIONS = 2_000
#: How long the re-plan waits for the loads once the hub part is done: they take a fraction
#: of a second, so a side process still busy then is stuck, and the loads keep their order.
LOADS_WAIT_S = 2.0

Part = tuple[list[int], list[int]]
log = logging.getLogger(__name__)


def _parts(rest: RestOfDay) -> list[Part]:
    """(vehicles, jobs) per part: each van on the road with its load, then the hub part."""
    problem = rest.problem
    real = {h for h in range(len(problem.hubs)) if problem.hubs[h].ref in rest.hub_refs}
    by_depot: dict[int, list[int]] = {}
    for j, job in enumerate(problem.jobs):
        if job.hub is not None and job.hub not in real:
            by_depot.setdefault(job.hub, []).append(j)
    parts: list[Part] = []
    at_hub: list[int] = []
    for n, v in enumerate(problem.vehicles):
        if v.start_hub not in real:
            parts.append(([n], by_depot.get(v.start_hub, [])))
        elif _time_left(v):
            at_hub.append(n)
    loaded = {j for js in by_depot.values() for j in js}
    parts.append((at_hub, [j for j in range(len(problem.jobs)) if j not in loaded]))
    return parts


def _time_left(v: VehicleSpec) -> bool:
    """Whether a vehicle at the hub can still leave: mid-day most of the fleet at the hub has
    ended its shift, and every such vehicle slows each step of the hub part's search."""
    return v.latest_return_s > v.shift_start_s


def _warm(warm: Sequence[RoutePlan], vehicles: list[int], jobs: list[int]) -> list[RoutePlan]:
    vpos = {v: n for n, v in enumerate(vehicles)}
    jpos = {j: n for n, j in enumerate(jobs)}
    out = []
    for plan in warm:
        if plan.vehicle not in vpos:
            continue
        trips = tuple(
            t for t in (tuple(jpos[j] for j in trip if j in jpos) for trip in plan.trips) if t
        )
        if trips:
            out.append(RoutePlan(vpos[plan.vehicle], trips))
    return out


def _lift(route: RouteResult, vehicles: list[int], jobs: list[int]) -> RouteResult:
    visits = [replace(v, job=jobs[v.job]) for v in route.visits]
    return replace(route, vehicle=vehicles[route.vehicle], visits=visits)


def _hub_part(
    rest: RestOfDay,
    solver: Solver,
    vehicles: list[int],
    jobs: list[int],
    seconds: float,
    seed: int,
    workers: int,
) -> PlanResult:
    """The vans at the hub: one search from the current plan for all the time left.

    The solver polishes a priced start before searching, which repairs a plan that events
    made late; splitting the time between it and a fresh search halved both and served
    fewer stops (docs/benchmarks/replan.md).
    """
    sub = rest.problem.restrict(jobs, vehicles)
    warm = _warm(rest.warm, vehicles, jobs) or None
    options = SolveOptions(
        time_limit_s=seconds,
        seed=seed,
        workers=workers,
        initial=warm,
        defer_cost_cents=rest.defer_cost_cents,
        history_length=HUB_HISTORY,
        max_iterations=SMALL_HUB_ITERATIONS if len(jobs) <= SMALL_HUB_STOPS else None,
    )
    return solver.solve(sub, options)


def _after_search(jobs: int) -> float:
    """Seconds the solver spends after its search (collecting the workers' answers, re-timing,
    checks): about 0.1 s for 800 stops on this machine."""
    return 0.05 + 0.0001 * jobs


def _sequence_loads(
    rest: RestOfDay, solver: Solver, vans: list[Part], per_van: float, seed: int
) -> tuple[list[RouteResult], list[UnassignedStop]]:
    """Each van on the road's load, sequenced in turn from its current order."""
    routes: list[RouteResult] = []
    unassigned: list[UnassignedStop] = []
    for vehicles, jobs in vans:
        sub = rest.problem.restrict(jobs, vehicles)
        warm = _warm(rest.warm, vehicles, jobs) or None
        options = SolveOptions(
            time_limit_s=per_van,
            seed=seed,
            workers=1,
            initial=warm,
            max_iterations=VAN_ITERATIONS,
        )
        result = solver.solve(sub, options)
        routes += [_lift(r, vehicles, jobs) for r in result.routes]
        unassigned += result.unassigned
    return routes, unassigned


def _loads_child(
    rest: RestOfDay,
    solver: Solver,
    vans: list[Part],
    per_van: float,
    seed: int,
    out: Connection,
) -> None:
    """A forked process sequencing the loads while the hub part searches. It is a daemon, so
    each van's search runs inside it instead of forking one watched worker per van (0.5 s
    for 15 vans, mostly the forks)."""
    try:
        out.send(_sequence_loads(rest, solver, vans, per_van, seed))
    except Exception as exc:  # the loads keep their order
        out.send(exc)
    finally:
        out.close()


def _start_loads(
    rest: RestOfDay, solver: Solver, vans: list[Part], per_van: float, seed: int
) -> tuple[multiprocessing.process.BaseProcess, Connection] | None:
    if not vans or multiprocessing.current_process().daemon:
        return None
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    args = (rest, solver, vans, per_van, seed, send)
    child = ctx.Process(target=_loads_child, args=args, daemon=True)
    child.start()
    send.close()
    return child, receive


def _loads_back(
    started: tuple[multiprocessing.process.BaseProcess, Connection], wait_s: float
) -> tuple[list[RouteResult], list[UnassignedStop]] | None:
    child, receive = started
    got: object = None
    try:
        if receive.poll(wait_s):
            got = receive.recv()
    except (EOFError, OSError):  # the child died without a word
        got = None
    finally:
        child.join(timeout=0.5)
        if child.is_alive():
            child.kill()
            child.join(timeout=5.0)
    if isinstance(got, tuple):
        return got
    log.warning("sequencing the loads in a side process failed (%r); they keep their order", got)
    return None


def _loads_as_they_are(
    rest: RestOfDay, vans: list[Part]
) -> tuple[list[RouteResult], list[UnassignedStop]]:
    """Each load in its current order, timed: what the vans do when sequencing failed (its
    search may have hung, so it is not tried again here)."""
    routes: list[RouteResult] = []
    unassigned: list[UnassignedStop] = []
    for vehicles, jobs in vans:
        sub = rest.problem.restrict(jobs, vehicles)
        timed, dropped = assemble(sub, _warm(rest.warm, vehicles, jobs), reinsert=False)
        routes += [_lift(r, vehicles, jobs) for r in timed]
        unassigned += left_out_after_timing(sub, range(len(jobs)), timed, dropped)
    return routes, unassigned


def _leave_when_back(
    rest: RestOfDay, loads: list[RouteResult], routes: list[RouteResult]
) -> list[RouteResult]:
    """Trips after a load leave when the van is back from the load as sequenced.

    Their vehicle starts when the load, in its current order, is done: the hub part's search
    needs that moment before the loads are sequenced. A better order brings the van back
    earlier, and it would wait at the hub. Its later trips are re-timed from its return
    (the problem's vehicle with them) where they stay feasible.
    """
    back = {r.vehicle: r.end_s for r in loads}
    vehicles = list(rest.problem.vehicles)
    out: list[RouteResult] = []
    for route in routes:
        load = rest.after_load.get(route.vehicle)
        v = vehicles[route.vehicle]
        if load is None or load not in back or back[load] >= v.shift_start_s:
            out.append(route)
            continue
        gained = v.shift_start_s - back[load]
        work = None if v.max_work_s is None else v.max_work_s + gained
        vehicles[route.vehicle] = replace(v, shift_start_s=back[load], max_work_s=work)
        rest.problem.vehicles = tuple(vehicles)
        timed, violations = fit(rest.problem, route.plan(), None)
        if violations or timed.start_s >= route.start_s:
            vehicles[route.vehicle] = v
            rest.problem.vehicles = tuple(vehicles)
            timed = route
        out.append(timed)
    return out


def solve_parts(
    rest: RestOfDay, solver: Solver, budget_s: float, seed: int, workers: int
) -> PlanResult:
    """One result over the whole rest-of-day problem, from its parts.

    The vans on the road and the vans at the hub share nothing (the trips after a load start
    at a fixed moment), so the loads are sequenced in a side process while the hub part
    searches for all the budget.
    """
    began = time.perf_counter()
    parts = _parts(rest)
    vans = [p for p in parts[:-1] if p[1]]
    per_van = min(PER_VAN_S, VANS_SHARE * budget_s / max(1, len(vans)))
    started = _start_loads(rest, solver, vans, per_van, seed)
    loads = None if started is not None else _sequence_loads(rest, solver, vans, per_van, seed)
    vehicles, jobs = parts[-1]
    # All the time left goes to the hub part, less what the solver needs after its search.
    left = budget_s - (time.perf_counter() - began) - _after_search(len(jobs))
    result = _hub_part(rest, solver, vehicles, jobs, max(0.1, left), seed, workers)
    if started is not None:
        loads = _loads_back(started, LOADS_WAIT_S) or _loads_as_they_are(rest, vans)
    assert loads is not None
    routes, unassigned = loads
    routes += _leave_when_back(rest, routes, [_lift(r, vehicles, jobs) for r in result.routes])
    unassigned += result.unassigned
    routes.sort(key=lambda r: r.vehicle)
    return PlanResult(
        rest.problem.origin, routes, unassigned, "replan", time.perf_counter() - began
    )
