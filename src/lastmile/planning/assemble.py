"""From job sequences to timed routes: routes are timed (:mod:`~lastmile.planning.timing`),
and a route that still breaks a constraint is mended.

The stop taken out is the one (it or one of the few before it) whose removal leaves the
fewest violations; each stop taken out is then tried again at the nearest positions of
every route that can serve it, and reported if none fits, so a returned plan is always
feasible under the re-timed schedule (docs/benchmarks/retiming.md has what each step keeps).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from lastmile.planning.problem import IntArray, PlanningProblem
from lastmile.planning.solver import RoutePlan, RouteResult, UnassignedStop
from lastmile.planning.timing import Places, fit, route_points, trip_points

FloatArray = npt.NDArray[np.float64]


def assemble(
    problem: PlanningProblem,
    plans: Sequence[RoutePlan],
    starts: Sequence[int | None] | None = None,
    *,
    reinsert: bool = True,
    deadline: float | None = None,
) -> tuple[list[RouteResult], list[UnassignedStop]]:
    """Time every route; drop (and report) stops until each route is feasible re-timed.

    With ``reinsert``, the stop taken out of a route is the one whose removal mends it best,
    and each is then tried again where a timed route (with its break) still fits it: a stop
    late in one route often fits another, or earlier in its own. Without, the violating
    stops are taken out and the routes keep the given order otherwise (what a caller
    checking one sequence needs). Past ``deadline`` (``time.perf_counter()``), the mending
    stops: the violating stops are taken out and not tried again, so a solver's time
    limit holds.
    """
    kept: list[tuple[RoutePlan, int | None, RouteResult]] = []
    dropped: list[tuple[int, UnassignedStop]] = []
    for n, plan in enumerate(plans):
        start = starts[n] if starts is not None else None
        current = plan
        while current.jobs:
            route, violations = fit(problem, current, start)
            if not violations:
                kept.append((current, start, route))
                break
            job, reason, detail = violations[0]
            mend = reinsert and (deadline is None or time.perf_counter() < deadline)
            out = _cheapest_drop(problem, current, start, job, route) if mend else job
            if out != job:
                detail = f"taken out so the stops after it keep their times ({detail})"
            dropped.append((out, UnassignedStop(problem.jobs[out].ref, reason, detail)))
            current = _without(current, out)
    if reinsert and dropped and kept:
        dropped = _reinsert(problem, kept, dropped, deadline)
    return [r for _, _, r in kept], [u for _, u in dropped]


#: Stops before a violation looked at for taking out instead of the violating stop, and
#: how many of them (those whose removal saves the most time) are timed.
DROP_WINDOW = 12
DROP_TIMED = 4


def _cheapest_drop(
    problem: PlanningProblem, plan: RoutePlan, start: int | None, job: int, route: RouteResult
) -> int:
    """The stop whose removal leaves the fewest violations (then the cheapest route): the
    violating stop or one of those before it that save the most time. Taking out an
    earlier stop with a long detour often saves the break's half hour for every stop
    after it, where taking out the late one saves only its own."""
    places = Places(problem, plan.vehicle, route_points(problem, plan))
    before = _neighbours(problem, plan)
    visits = {v.job: v for v in route.visits}
    sequence = list(plan.jobs)
    at = sequence.index(job)

    def saved(j: int) -> int:
        prev, here, after = before[j]
        hour = problem.hour_at(visits[j].arrival_s, problem.vehicles[plan.vehicle].start_hub)
        v = visits[j]
        through = places.arc(prev, here, hour)[0] + places.arc(here, after, hour)[0]
        return through + (v.departure_s - v.arrival_s) - places.arc(prev, after, hour)[0]

    earlier = sorted(sequence[max(0, at - DROP_WINDOW) : at], key=saved, reverse=True)
    best: tuple[tuple[int, int], int] | None = None
    for candidate in [job, *earlier[:DROP_TIMED]]:
        timed, violations = fit(problem, _without(plan, candidate), start, places)
        key = (len(violations), timed.cost_cents)
        if best is None or key < best[0]:
            best = (key, candidate)
    return job if best is None else best[1]


def _neighbours(problem: PlanningProblem, plan: RoutePlan) -> dict[int, tuple[int, int, int]]:
    """Each job's (previous point, own point, next point) along the route."""
    out: dict[int, tuple[int, int, int]] = {}
    for trip, pts in zip(plan.trips, trip_points(problem, plan), strict=True):
        for n, j in enumerate(trip):
            out[j] = (pts[n], pts[n + 1], pts[n + 2])
    return out


#: Insertion positions tried per dropped stop, nearest (straight-line detour) first.
REINSERT_CANDIDATES = 8


def _planar(problem: PlanningProblem) -> FloatArray:
    """Points as metres on a local plane: enough to rank detours, never to time them."""
    lat = np.array([c.lat for c in problem.points])
    lon = np.array([c.lon for c in problem.points])
    scale = np.cos(np.radians(lat.mean())) if len(lat) else 1.0
    return np.stack([lon * scale * 111_320.0, lat * 110_540.0], axis=1)


def _slots(problem: PlanningProblem, plan: RoutePlan) -> tuple[list[tuple[int, int]], IntArray]:
    """Every (trip, position) of a route and the end points of the leg it would split."""
    where: list[tuple[int, int]] = []
    legs: list[tuple[int, int]] = []
    for k, pts in enumerate(trip_points(problem, plan)):
        for pos in range(len(pts) - 1):
            where.append((k, pos))
            legs.append((pts[pos], pts[pos + 1]))
    return where, np.array(legs, dtype=np.int64).reshape(-1, 2)


def _reinsert(
    problem: PlanningProblem,
    kept: list[tuple[RoutePlan, int | None, RouteResult]],
    dropped: list[tuple[int, UnassignedStop]],
    deadline: float | None = None,
) -> list[tuple[int, UnassignedStop]]:
    """Put dropped stops back at the cheapest position, among the nearest few, where the
    timed route has no violation; returns the stops still dropped."""
    xy = _planar(problem)
    paired = {j.pair for j in problem.jobs if j.pair is not None}
    still: list[tuple[int, UnassignedStop]] = []
    for j, stop in dropped:
        job = problem.jobs[j]
        if deadline is not None and time.perf_counter() >= deadline:
            still.append((j, stop))
            continue
        if job.pair is not None or j in paired:
            still.append((j, stop))  # a shipment's halves move together, not here
            continue
        ranked: list[tuple[float, int, int, int]] = []
        here = xy[job.point]
        for r, (plan, _, _) in enumerate(kept):
            v = problem.vehicles[plan.vehicle]
            if not (v.serves(job) and v.carries(job)):
                continue
            where, legs = _slots(problem, plan)
            a, b = xy[legs[:, 0]], xy[legs[:, 1]]
            detour = np.hypot(*(a - here).T) + np.hypot(*(b - here).T) - np.hypot(*(a - b).T)
            for i in np.argsort(detour)[:REINSERT_CANDIDATES]:
                ranked.append((float(detour[i]), r, *where[i]))
        ranked.sort()
        best: tuple[int, int, RoutePlan, RouteResult] | None = None
        places: dict[int, Places] = {}
        for _, r, k, pos in ranked[:REINSERT_CANDIDATES]:
            plan, start, route = kept[r]
            trips = list(plan.trips)
            trips[k] = (*trips[k][:pos], j, *trips[k][pos:])
            candidate = RoutePlan(plan.vehicle, tuple(trips))
            if r not in places:
                places[r] = Places(problem, plan.vehicle, route_points(problem, candidate))
            timed, violations = fit(problem, candidate, start, places[r])
            delta = timed.cost_cents - route.cost_cents
            if not violations and (best is None or delta < best[0]):
                best = (delta, r, candidate, timed)
        if best is None:
            still.append((j, stop))
            continue
        _, r, candidate, timed = best
        kept[r] = (candidate, kept[r][1], timed)
    return still


def _without(plan: RoutePlan, job: int) -> RoutePlan:
    trips = tuple(t for t in (tuple(j for j in trip if j != job) for trip in plan.trips) if t)
    return RoutePlan(plan.vehicle, trips)
