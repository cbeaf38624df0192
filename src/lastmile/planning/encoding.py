"""The pure half of the PyVRP encoding: cost units, prizes, profile matrices (no pyvrp).

Kept apart from :mod:`lastmile.planning.pyvrp_solver` so the numbers the solver is given can
be read, and tested, without the solver.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lastmile.planning.problem import IntArray, PlanningProblem, VehicleSpec

#: Thousandths of a cent per cent: the objective's unit.
MILLI = 1000
#: Arc length/duration that bars a vehicle class from a stop.
FORBIDDEN = 1 << 34
#: "No limit" for PyVRP fields that take an integer.
UNBOUNDED = int(np.iinfo(np.int64).max)


def vehicle_key(problem: PlanningProblem, v: VehicleSpec) -> tuple[object, ...]:
    return (
        v.kind,
        v.profile,
        v.start_hub,
        v.end_hub,
        v.capacity,
        v.shift_start_s,
        v.shift_end_s,
        v.max_overtime_s,
        v.overtime_cost_per_hour_cents,
        v.max_work_s,
        v.range_m,
        v.fixed_cost_cents,
        v.cost_per_km_cents,
        v.cost_per_hour_cents,
        v.skills,
        v.passes,
        v.break_rule,
        v.max_trips,
        v.on_duty,
        problem.plan_hour(v),
    )


def unit_costs(v: VehicleSpec) -> tuple[int, int]:
    if v.cost_per_km_cents == 0 and v.cost_per_hour_cents == 0:
        return 1, 0  # nothing priced: plan the shortest routes
    return v.cost_per_km_cents, round(v.cost_per_hour_cents * MILLI / 3600)


def stop_prizes(problem: PlanningProblem, jobs: Sequence[int], defer_cost: int) -> list[int]:
    """Prize per job: above any cost of serving it when required, a set value when not."""
    biggest = 0
    for v in problem.vehicles:
        per_m, per_s = unit_costs(v)
        m = problem.planning_matrix(v)
        arc = int(m.distances_m.max(initial=0)) * per_m + int(m.durations_s.max(initial=0)) * per_s
        service = max((problem.jobs[j].service_s for j in jobs), default=0) * per_s
        biggest = max(biggest, v.fixed_cost_cents * MILLI + 2 * arc + service)
    required = min(4 * biggest + MILLI, FORBIDDEN // 8)
    return [
        required
        if problem.jobs[j].required
        else defer_cost * MILLI * (problem.jobs[j].priority + 1)
        for j in jobs
    ]


def profile_matrices(
    problem: PlanningProblem, jobs: Sequence[int], vehicles: Sequence[int], n_hubs: int
) -> tuple[list[IntArray], list[IntArray], dict[int, int]]:
    """One (distance, duration) pair per (profile, hour, served-set) class of vehicle."""
    points = [h.point for h in problem.hubs] + [problem.jobs[j].point for j in jobs]
    idx = np.asarray(points)
    classes: dict[tuple[object, ...], int] = {}
    of_vehicle: dict[int, int] = {}
    dists: list[IntArray] = []
    durs: list[IntArray] = []
    for vi in vehicles:
        v = problem.vehicles[vi]
        barred = tuple(n for n, j in enumerate(jobs) if not v.serves(problem.jobs[j]))
        key = (v.profile, problem.plan_hour(v), barred)
        if key not in classes:
            m = problem.planning_matrix(v)
            dist = m.distances_m[np.ix_(idx, idx)]
            dur = m.durations_s[np.ix_(idx, idx)]
            if barred:
                cols = np.asarray(barred) + n_hubs
                for arr in (dist, dur):
                    arr[:, cols] = FORBIDDEN
                    arr[cols, :] = FORBIDDEN
                    arr[cols, cols] = 0
            classes[key] = len(dists)
            dists.append(dist)
            durs.append(dur)
        of_vehicle[vi] = classes[key]
    return dists, durs, of_vehicle


def plain_vrptw(problem: PlanningProblem, jobs: Sequence[int]) -> bool:
    """Every stop required, one window each, and a vehicle per stop: a plain VRPTW.

    Then stops are plain required clients, exactly what PyVRP is tuned for (benchmark
    instances with an unlimited fleet); otherwise prize-collecting keeps a plan possible.
    """
    simple = all(problem.jobs[j].required and len(problem.jobs[j].windows) <= 1 for j in jobs)
    return simple and len(problem.vehicles) >= len(jobs)
