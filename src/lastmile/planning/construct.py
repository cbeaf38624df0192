"""A fast feasible first plan: time-oriented nearest neighbour, one vehicle after another.

PyVRP starts from a random solution improved by an exhaustive local search, which on a
1,000-stop over-subscribed day costs seconds and may still be infeasible. This builds a plan
that respects windows, capacity, shifts, range, skills and release times in well under a
second (vectorised over candidates), so there is a feasible plan at once and the search
spends its time improving it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from lastmile.domain import StopKind
from lastmile.planning.problem import IntArray, PlanningProblem, VehicleSpec
from lastmile.planning.solver import RoutePlan

_BIG = 2**60


def _windows(problem: PlanningProblem, jobs: Sequence[int]) -> tuple[IntArray, IntArray]:
    width = max((len(problem.jobs[j].windows) for j in jobs), default=1) or 1
    early = np.full((len(jobs), width), _BIG, dtype=np.int64)
    late = np.full((len(jobs), width), -1, dtype=np.int64)
    for n, j in enumerate(jobs):
        spans = problem.jobs[j].windows or ((0, _BIG),)
        for w, (a, b) in enumerate(spans):
            early[n, w], late[n, w] = a, b
    return early, late


class _Day:
    """Arrays over the candidate jobs shared by every vehicle."""

    def __init__(self, problem: PlanningProblem, jobs: Sequence[int]) -> None:
        self.problem = problem
        self.jobs = list(jobs)
        self.points = np.array([problem.jobs[j].point for j in jobs], dtype=np.int64)
        self.early, self.late = _windows(problem, jobs)
        self.service = np.array([problem.jobs[j].service_s for j in jobs], dtype=np.int64)
        self.demand = np.array([problem.jobs[j].demand for j in jobs], dtype=np.int64)
        self.delivery = np.array([problem.jobs[j].kind is StopKind.DELIVERY for j in jobs])
        self.release = np.array([problem.jobs[j].release_s for j in jobs], dtype=np.int64)
        paired = {problem.jobs[j].pair for j in jobs} | {
            j for j in jobs if problem.jobs[j].pair is not None
        }
        # shipments are left to the search: a greedy start need not carry pairs
        self.free = np.array([j not in paired for j in jobs], dtype=bool)

    def servable(self, v: VehicleSpec) -> npt.NDArray[np.bool_]:
        return np.array([v.serves(self.problem.jobs[j]) for j in self.jobs], dtype=bool)


def _route(day: _Day, v: VehicleSpec, limit_s: int) -> list[list[int]]:
    """Trips for one vehicle, greedily taking the candidate that can start soonest."""
    m = day.problem.planning_matrix(v)
    hub = day.problem.hubs[v.start_hub].point
    end = day.problem.hubs[v.end_hub].point
    back_s = m.durations_s[day.points, end]
    back_m = m.distances_m[day.points, end]
    ok = day.servable(v) & (day.demand <= np.asarray(v.capacity)).all(axis=1)
    cap = np.asarray(v.capacity)
    latest = min(v.latest_end_s, v.shift_start_s + limit_s)
    rng = v.range_m if v.range_m is not None else _BIG
    trips: list[list[int]] = []
    t, driven = v.shift_start_s, 0
    while len(trips) < v.max_trips:
        pos, load, trip = hub, np.zeros(3, dtype=np.int64), []
        depart = t
        while True:
            cand = ok & day.free & (day.release <= depart)
            arrival = t + m.durations_s[pos, day.points]
            start = np.maximum(arrival[:, None], day.early)
            fits = start <= day.late
            first = np.where(fits.any(axis=1), fits.argmax(axis=1), 0)
            begin = start[np.arange(len(start)), first]
            cand &= fits.any(axis=1) & (begin + day.service + back_s <= latest)
            cand &= (load + day.demand <= cap).all(axis=1)
            cand &= driven + m.distances_m[pos, day.points] + back_m <= rng
            if not cand.any():
                break
            urgency = day.late[np.arange(len(start)), first] - begin
            score = np.where(cand, (begin - t) + urgency // 4, _BIG)
            k = int(score.argmin())
            trip.append(day.jobs[k])
            day.free[k] = False
            driven += int(m.distances_m[pos, day.points[k]])
            load = load + day.demand[k]  # deliveries and pickups both bound the peak
            t, pos = int(begin[k] + day.service[k]), int(day.points[k])
        if not trip:
            break
        trips.append(trip)
        t += int(m.durations_s[pos, hub])
        driven += int(m.distances_m[pos, hub])
    return trips


def construct(problem: PlanningProblem, jobs: Sequence[int]) -> list[RoutePlan]:
    """Route plans for the given jobs, each within its vehicle's planned duration."""
    day = _Day(problem, jobs)
    plans = []
    order = sorted(range(len(problem.vehicles)), key=lambda i: problem.vehicles[i].shift_start_s)
    for vi in order:
        if not day.free.any():
            break
        v = problem.vehicles[vi]
        trips = _route(day, v, v.planned_duration_s + v.max_overtime_s)
        if trips:
            plans.append(RoutePlan(vi, tuple(tuple(t) for t in trips)))
    return plans
