"""City-size days: split into territories, solve them in parallel, improve across borders.

A 10,000-stop day never gets a city-wide matrix: each hub's stops are cut into angular
sectors around the hub of about ``part_size`` stops, each sector gets a share of the hub's
vehicles in proportion to its stops, and the sectors are solved side by side on both cores.
Then neighbouring sectors are solved again as pairs, warm-started from their two plans,
so routes can trade stops across the border; finally every route is re-timed on the full
problem and the leftovers are diagnosed as usual.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from lastmile.planning.assemble import assemble
from lastmile.planning.diagnose import left_out_after_timing, precheck
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.solver import PlanResult, RoutePlan, SolveOptions, Solver

#: Days with at least this many stops are decomposed.
DECOMPOSE_FROM = 2_000
_STATE: dict[str, object] = {}
Found = tuple[list[tuple[RoutePlan, int]], list[int]]


@dataclass(frozen=True)
class Territory:
    """Global job and vehicle indices of one part of the day."""

    jobs: tuple[int, ...]
    vehicles: tuple[int, ...]


def territories(problem: PlanningProblem, jobs: Sequence[int], part_size: int) -> list[Territory]:
    """Angular sectors around each hub, balanced by stop count, each with its vehicles."""
    out: list[Territory] = []
    for h, hub in enumerate(problem.hubs):
        mine = [j for j in jobs if _home(problem, j) == h]
        fleet = [i for i, v in enumerate(problem.vehicles) if v.start_hub == h]
        if not mine or not fleet:
            continue
        k = max(1, min(len(fleet), math.ceil(len(mine) / part_size)))
        centre = problem.points[hub.point]
        angle = np.array(
            [
                math.atan2(
                    problem.points[problem.jobs[j].point].lat - centre.lat,
                    problem.points[problem.jobs[j].point].lon - centre.lon,
                )
                for j in mine
            ]
        )
        ordered = [mine[i] for i in np.argsort(angle, kind="stable")]
        parts = [tuple(p) for p in np.array_split(np.asarray(ordered), k)]
        out.extend(_share(problem, parts, fleet))
    return out


def _home(problem: PlanningProblem, j: int) -> int:
    """The hub that owns the job, or the nearest one for jobs any hub may serve."""
    job = problem.jobs[j]
    if job.hub is not None:
        return job.hub
    where = problem.points[job.point]
    return min(
        range(len(problem.hubs)),
        key=lambda h: where.distance_m(problem.points[problem.hubs[h].point]),
    )


def _share(
    problem: PlanningProblem, parts: list[tuple[int, ...]], fleet: list[int]
) -> list[Territory]:
    """Deal vehicles (grouped by kind and skills, so each part gets a mix) by stop share."""
    order = sorted(
        fleet, key=lambda i: (problem.vehicles[i].kind, sorted(problem.vehicles[i].skills))
    )
    sizes = np.array([len(p) for p in parts], dtype=float)
    given = np.zeros(len(parts))
    dealt: list[list[int]] = [[] for _ in parts]
    for n, vi in enumerate(order, start=1):
        k = int(np.argmax(sizes / sizes.sum() * n - given))
        dealt[k].append(vi)
        given[k] += 1
    return [
        Territory(tuple(int(j) for j in p), tuple(d)) for p, d in zip(parts, dealt, strict=True)
    ]


def _solve_part(part: Territory, seconds: float, seed: int, initial: list[RoutePlan]) -> Found:
    """Solve one territory (in a worker); plans and leftovers in global indices."""
    problem = _STATE["problem"]
    solver = _STATE["solver"]
    assert isinstance(problem, PlanningProblem)
    sub = problem.restrict(part.jobs, part.vehicles)
    job_local = {j: n for n, j in enumerate(part.jobs)}
    veh_local = {v: n for n, v in enumerate(part.vehicles)}
    warm = [
        RoutePlan(
            veh_local[p.vehicle],
            tuple(tuple(job_local[j] for j in t if j in job_local) for t in p.trips),
        )
        for p in initial
        if p.vehicle in veh_local
    ]
    options = SolveOptions(time_limit_s=seconds, seed=seed, workers=1, initial=warm or None)
    result = solver.solve(sub, options)  # type: ignore[attr-defined]
    plans = [
        (
            RoutePlan(
                part.vehicles[r.vehicle],
                tuple(tuple(part.jobs[j] for j in t) for t in r.plan().trips),
            ),
            r.start_s,
        )
        for r in result.routes
    ]
    served = {j for p, _ in plans for j in p.jobs}
    return plans, [j for j in part.jobs if j not in served]


def _current_jobs(part: Territory, plans: dict[int, tuple[RoutePlan, int]]) -> Territory:
    """The part's jobs as of now: those its vehicles serve plus its own that nobody serves.

    After a border pass a vehicle may serve stops of the neighbouring sector; those stay
    with it, so two parts solved at once never hold the same stop.
    """
    owner = {j: v for v, (p, _) in plans.items() for j in p.jobs}
    mine = set(part.vehicles)
    jobs = [j for j in part.jobs if owner.get(j, -1) in mine or j not in owner]
    jobs += [j for v in part.vehicles if v in plans for j in plans[v][0].jobs if j not in part.jobs]
    return Territory(tuple(dict.fromkeys(jobs)), part.vehicles)


def _run_parts(
    parts: Sequence[Territory], each: float, seed: int, plans: dict[int, tuple[RoutePlan, int]]
) -> None:
    """Solve parts two at a time, ``each`` seconds apiece; update ``plans`` by vehicle."""
    if not parts:
        return
    parts = [_current_jobs(p, plans) for p in parts]
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        futures = []
        for n, part in enumerate(parts):
            warm = [plans[v][0] for v in part.vehicles if v in plans]
            futures.append(pool.submit(_solve_part, part, each, seed + n, warm))
        for part, future in zip(parts, futures, strict=True):
            found, _ = future.result()
            for v in part.vehicles:
                plans.pop(v, None)
            for plan, start in found:
                plans[plan.vehicle] = (plan, start)


def _pairs(parts: list[Territory], problem: PlanningProblem, odd: bool) -> list[Territory]:
    """Neighbouring sectors of the same hub merged two by two (shifted by one if ``odd``)."""
    by_hub: dict[int, list[Territory]] = {}
    for p in parts:
        by_hub.setdefault(problem.vehicles[p.vehicles[0]].start_hub, []).append(p)
    out = []
    for group in by_hub.values():
        n = len(group)
        pairs = [(i, i + 1) for i in range(1 if odd else 0, n - 1, 2)]
        if odd and n > 2 and n % 2 == 0:
            pairs.append((n - 1, 0))
        for a, b in pairs:
            out.append(
                Territory(group[a].jobs + group[b].jobs, group[a].vehicles + group[b].vehicles)
            )
    return out


def first_plan(problem: PlanningProblem, jobs: Sequence[int], part_size: int) -> list[RoutePlan]:
    """A quick feasible plan for a city-size day: the greedy construction per territory.

    Each territory only needs its own small matrices, so this is seconds, not the minutes a
    city-wide matrix would take.
    """
    from lastmile.planning.construct import construct

    plans = []
    for part in territories(problem, jobs, part_size):
        sub = problem.restrict(part.jobs, part.vehicles)
        for p in construct(sub, range(len(part.jobs))):
            trips = tuple(tuple(part.jobs[j] for j in t) for t in p.trips)
            plans.append(RoutePlan(part.vehicles[p.vehicle], trips))
    return plans


class DecomposingSolver:
    """Territories in parallel, then border pairs; small days go straight to ``inner``."""

    name = "decompose"

    def __init__(
        self, inner: Solver, part_size: int = 1_000, from_stops: int = DECOMPOSE_FROM
    ) -> None:
        self.inner = inner
        self.part_size = part_size
        self.from_stops = from_stops

    def solve(self, problem: PlanningProblem, options: SolveOptions) -> PlanResult:
        if len(problem.jobs) < self.from_stops:
            return self.inner.solve(problem, options)
        began = time.perf_counter()
        servable, rejected = precheck(problem)
        parts = territories(problem, servable, self.part_size)
        _STATE.update(problem=problem, solver=self.inner)
        plans: dict[int, tuple[RoutePlan, int]] = {}
        deadline = began + options.time_limit_s - 2.0 - 0.0005 * len(problem.jobs)
        rounds = max(1, math.ceil(len(parts) / 2))
        first = max(0.5, (deadline - time.perf_counter()) * 0.5 / rounds)
        t0 = time.perf_counter()
        _run_parts(parts, first, options.seed, plans)
        overhead = max(0.0, (time.perf_counter() - t0) / rounds - first)
        self._progress(options, 0.6, "territories solved")
        for n, odd in enumerate((False, True)):
            pairs = _pairs(parts, problem, odd)
            waves = max(1, math.ceil(len(pairs) / 2))
            each = (deadline - time.perf_counter()) / (2 - n) / waves - 3 * overhead
            if not pairs or each < 2.0:
                break
            _run_parts(pairs, each, options.seed + 100 * (n + 1), plans)
            self._progress(options, 0.8 + 0.1 * n, "borders improved")
        _STATE.clear()
        ordered = sorted(plans.values(), key=lambda p: p[0].vehicle)
        routes, dropped = assemble(
            problem,
            [p for p, _ in ordered],
            [s for _, s in ordered],
            deadline=began + options.time_limit_s - 1.0,  # leaves time to explain left-outs
        )
        unassigned = rejected + left_out_after_timing(problem, servable, routes, dropped)
        stats = {"territories": float(len(parts))}
        return PlanResult(
            problem.origin, routes, unassigned, self.name, time.perf_counter() - began, stats
        )

    @staticmethod
    def _progress(options: SolveOptions, done: float, message: str) -> None:
        if options.progress is not None:
            options.progress(done, message)
