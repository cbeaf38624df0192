"""Why a stop cannot be served: checked stop by stop before solving, and after.

Before solving, each stop is tested alone against every vehicle (skill, zone access, hub,
capacity, range, time window within a shift); a stop no vehicle could serve even on an
otherwise empty route is set aside with the first reason that rules it out. After solving,
a stop left out although some vehicle could serve it alone is explained by the fleet as a
whole (capacity, shifts or vehicles all used up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lastmile.domain import UnassignedReason
from lastmile.planning.problem import IntArray, Job, PlanningProblem, VehicleSpec
from lastmile.planning.solver import RouteResult, UnassignedStop


@dataclass(frozen=True)
class _HubLegs:
    """Travel from a hub to every job and back, for one vehicle class."""

    out_s: IntArray
    out_m: IntArray
    back_s: IntArray
    back_m: IntArray


def _legs(problem: PlanningProblem, vehicle: VehicleSpec) -> _HubLegs:
    hour = problem.plan_hour(vehicle)
    jobs = [problem.points[j.point] for j in problem.jobs]
    start = [problem.points[problem.hubs[vehicle.start_hub].point]]
    end = [problem.points[problem.hubs[vehicle.end_hub].point]]
    out = problem.provider.matrix(start, jobs, profile=vehicle.profile, hour=hour)
    back = problem.provider.matrix(jobs, end, profile=vehicle.profile, hour=hour)
    return _HubLegs(
        out.durations_s[0], out.distances_m[0], back.durations_s[:, 0], back.distances_m[:, 0]
    )


def _class_key(v: VehicleSpec) -> tuple[object, ...]:
    return (
        v.start_hub,
        v.end_hub,
        v.profile,
        v.capacity,
        v.shift_start_s,
        v.latest_end_s,
        v.range_m,
        v.skills,
        v.passes,
        v.max_work_s,
        v.on_duty,
    )


def _reachable(job: Job, v: VehicleSpec, legs: _HubLegs, j: int) -> tuple[bool, bool]:
    """(a window can be reached after the shift starts, and the vehicle is back in time)."""
    leave = max(v.shift_start_s, job.release_s)
    arrival = leave + int(legs.out_s[j])
    windows = job.windows or ((0, 2**62),)
    for early, late in windows:
        start = max(arrival, early)
        if start > late:
            continue
        end = start + job.service_s + int(legs.back_s[j])
        # work starts when the van leaves, which may be later, unless the driver is at work
        began = leave if v.on_duty else max(leave, start - int(legs.out_s[j]))
        limit = (
            v.latest_end_s if v.max_work_s is None else min(v.latest_end_s, began + v.max_work_s)
        )
        return True, end <= limit
    return False, False


def _reason_alone(
    problem: PlanningProblem, j: int, classes: Sequence[tuple[VehicleSpec, _HubLegs]]
) -> tuple[UnassignedReason, str] | None:
    """None when some vehicle could serve job ``j`` on its own; else why none can."""
    job = problem.jobs[j]
    stages: list[tuple[UnassignedReason, str, list[tuple[VehicleSpec, _HubLegs]]]] = []
    pool = [c for c in classes if job.skills <= c[0].skills]
    stages.append((UnassignedReason.SKILL, f"no vehicle has {sorted(job.skills)}", pool))
    pool = [c for c in pool if job.access <= c[0].passes]
    stages.append((UnassignedReason.ACCESS, f"no vehicle may enter {sorted(job.access)}", pool))
    pool = [c for c in pool if job.hub is None or job.hub == c[0].start_hub]
    stages.append((UnassignedReason.NO_VEHICLE, "no vehicle works from its hub", pool))
    pool = [c for c in pool if c[0].carries(job)]
    stages.append((UnassignedReason.CAPACITY, "larger than any vehicle", pool))
    pool = [
        c
        for c in pool
        if c[0].range_m is None or int(c[1].out_m[j] + c[1].back_m[j]) <= c[0].range_m
    ]
    stages.append((UnassignedReason.RANGE, "beyond every vehicle's range", pool))
    for reason, detail, remaining in stages:
        if not remaining:
            return reason, detail
    reach = [_reachable(job, v, legs, j) for v, legs in pool]
    if any(ok and back for ok, back in reach):
        return None
    if any(ok for ok, _ in reach):
        return UnassignedReason.SHIFT, "no shift lasts long enough to serve it and return"
    return UnassignedReason.TIME_WINDOW, "no vehicle can arrive within its time window"


def precheck(problem: PlanningProblem) -> tuple[list[int], list[UnassignedStop]]:
    """Split jobs into those some vehicle could serve alone and those none can (with why)."""
    if not problem.vehicles:
        return [], [
            UnassignedStop(j.ref, UnassignedReason.NO_VEHICLE, "no vehicle available")
            for j in problem.jobs
        ]
    seen: dict[tuple[object, ...], tuple[VehicleSpec, _HubLegs]] = {}
    for v in problem.vehicles:
        key = (*_class_key(v), problem.plan_hour(v))
        if key not in seen:
            seen[key] = (v, _legs(problem, v))
    classes = list(seen.values())
    servable: list[int] = []
    rejected: list[UnassignedStop] = []
    for j in range(len(problem.jobs)):
        why = _reason_alone(problem, j, classes)
        if why is None:
            servable.append(j)
        else:
            rejected.append(UnassignedStop(problem.jobs[j].ref, why[0], why[1]))
    return _split_pairs(problem, servable, rejected)


def _split_pairs(
    problem: PlanningProblem, servable: list[int], rejected: list[UnassignedStop]
) -> tuple[list[int], list[UnassignedStop]]:
    """A shipment is served whole or not at all: a half that cannot be served sinks both."""
    out = {u.ref: u for u in rejected}
    keep = set(servable)
    for j, job in enumerate(problem.jobs):
        if job.pair is None or (j in keep) == (job.pair in keep):
            continue
        alive, dead = (j, job.pair) if j in keep else (job.pair, j)
        keep.discard(alive)
        why = out[problem.jobs[dead].ref]
        out[problem.jobs[alive].ref] = UnassignedStop(
            problem.jobs[alive].ref,
            why.reason,
            f"its shipment partner cannot be served: {why.detail}",
        )
    return [j for j in servable if j in keep], list(out.values())


def left_out_after_timing(
    problem: PlanningProblem,
    servable: Sequence[int],
    routes: Sequence[RouteResult],
    dropped: Sequence[UnassignedStop],
) -> list[UnassignedStop]:
    """Every servable stop the timed ``routes`` lack: those re-timing took out keep its
    reason, the others are explained (:func:`explain_left_out`)."""
    served = {v.job for r in routes for v in r.visits}
    gone = {d.ref for d in dropped}
    left = [j for j in servable if j not in served and problem.jobs[j].ref not in gone]
    return [*dropped, *explain_left_out(problem, left, routes)]


def explain_left_out(
    problem: PlanningProblem, left_out: Sequence[int], routes: Sequence[RouteResult]
) -> list[UnassignedStop]:
    """Reasons for stops that could be served alone but are not in the plan."""
    used = {r.vehicle for r in routes}
    demand = np.zeros(3, dtype=np.int64)
    for job in problem.jobs:
        demand += np.asarray(job.demand)
    supply = np.zeros(3, dtype=np.int64)
    for v in problem.vehicles:
        supply += np.asarray(v.capacity) * v.max_trips
    short = bool((demand > supply).any())
    out: list[UnassignedStop] = []
    for j in left_out:
        job = problem.jobs[j]
        if not job.required:
            out.append(
                UnassignedStop(
                    job.ref,
                    UnassignedReason.DEFERRED,
                    "optional stop deferred: serving it costs more than it is worth",
                )
            )
        elif short:
            out.append(
                UnassignedStop(
                    job.ref,
                    UnassignedReason.CAPACITY,
                    "the fleet's total capacity is below the day's demand",
                )
            )
        elif all(i in used for i, v in enumerate(problem.vehicles) if v.serves(job)):
            out.append(
                UnassignedStop(
                    job.ref, UnassignedReason.SHIFT, "every suitable vehicle's shift is full"
                )
            )
        else:
            out.append(
                UnassignedStop(
                    job.ref,
                    UnassignedReason.NO_VEHICLE,
                    "no suitable vehicle could fit it in with the other stops",
                )
            )
    return out
