"""Re-planning the rest of a day in progress, time-bounded, warm-started, disruption-aware.

Served and under-way stops are history and never enter the problem; every vehicle starts
where it will next be free; parcels on board stay on their van (see
:mod:`lastmile.dispatch.replan_problem`). The solver starts from the current plan. Then each
driver's new route is compared with the old one over the same stops: when reordering saves
less than the configured cost of changing the driver's next stops, the old order is kept.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from lastmile.dispatch.replan_problem import RestOfDay, rest_of_day, why_no_vehicle
from lastmile.dispatch.replan_split import solve_parts
from lastmile.dispatch.state import DayState, VehicleState
from lastmile.domain import UnassignedReason
from lastmile.planning.assemble import assemble
from lastmile.planning.solver import (
    PlanResult,
    RoutePlan,
    RouteResult,
    Solver,
    StopVisit,
    UnassignedStop,
)


@dataclass(frozen=True)
class ReplanPolicy:
    """How hard and how gently to re-plan.

    ``next_stops`` is how many of a driver's upcoming stops count as "the next stops";
    ``next_stop_change_cents`` is what changing one of them costs (0: only cost counts).
    ``defer_value_cents``: what leaving a stop not yet loaded for tomorrow costs (times its
    priority + 1), so the re-plan serves it today only when that is cheaper; ``None``: a
    required stop is served whenever it fits, at any cost.
    """

    time_limit_s: float = 5.0
    workers: int = 2
    seed: int = 0
    next_stops: int = 3
    next_stop_change_cents: int = 0
    defer_value_cents: int | None = None

    def __post_init__(self) -> None:
        if self.defer_value_cents is not None and self.defer_value_cents <= 0:
            raise ValueError(
                f"defer_value_cents must be positive or None, got {self.defer_value_cents}"
            )


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between the old plan and the new: kind, stop or vehicle, detail."""

    kind: str
    ref: str
    detail: str = ""


@dataclass
class Replan:
    """The re-plan problem, its validated result, and the day's plan with history kept."""

    rest: RestOfDay
    result: PlanResult
    day_plan: PlanResult
    changes: list[Change] = field(default_factory=list)
    kept_order: list[str] = field(default_factory=list)
    runtime_s: float = 0.0

    def changed_next_stops(self) -> int:
        return sum(1 for c in self.changes if c.kind == "next_stops")


def next_stop_changes(old: Sequence[object], new: Sequence[object], k: int) -> int:
    """How many of the first ``k`` upcoming stops differ, position by position."""
    return sum(1 for i in range(k) if old[i : i + 1] != new[i : i + 1])


def _candidates(
    rest: RestOfDay, n: int, old: list[int], new: list[int], k: int
) -> list[RouteResult]:
    """Timed routes that keep the driver's next ``k`` stops: the old order, and the old
    next stops followed by the new order of the rest. Infeasible ones are left out."""
    head = old[:k]
    hybrid = head + [j for j in new if j not in head]
    out = []
    for seq in (old, hybrid):
        timed, dropped = assemble(rest.problem, [RoutePlan(n, (tuple(seq),))], reinsert=False)
        if timed and not dropped:
            out.append(timed[0])
    return out


def _gentle(rest: RestOfDay, result: PlanResult, policy: ReplanPolicy) -> list[str]:
    """Keep a driver's next stops where the new order saves less than changing them costs."""
    if policy.next_stop_change_cents <= 0:
        return []
    old = {p.vehicle: p for p in rest.warm}
    kept: list[str] = []
    for n, route in enumerate(result.routes):
        before = old.get(route.vehicle)
        if before is None or len(before.trips) != 1 or len(route.breaks) or route.plan() == before:
            continue
        new_jobs = [v.job for v in route.visits]
        if set(new_jobs) != set(before.jobs) or len({v.trip for v in route.visits}) != 1:
            continue
        k = policy.next_stops
        penalty = policy.next_stop_change_cents * next_stop_changes(before.jobs, new_jobs, k)
        options = _candidates(rest, route.vehicle, list(before.jobs), new_jobs, k)
        best = min(options, key=lambda r: r.cost_cents, default=None)
        if best is not None and best.cost_cents <= route.cost_cents + penalty:
            result.routes[n] = best
            kept.append(day_ref(rest, route.vehicle))
    return kept


def replan(state: DayState, solver: Solver, policy: ReplanPolicy | None = None) -> Replan:
    """A new plan for the rest of the day from ``state``; history and loads stay put."""
    policy = policy or ReplanPolicy()
    began = time.perf_counter()
    rest = rest_of_day(state, policy.defer_value_cents)
    # Keep a margin for the disruption check and the merge after the search: measured at
    # 0.01-0.05 s for 1,200 stops; a margin sized for far more left half the budget unused.
    margin = 0.1 + 0.0001 * len(rest.problem.jobs)
    budget = max(0.1, policy.time_limit_s - (time.perf_counter() - began) - margin)
    result = solve_parts(rest, solver, budget, policy.seed, policy.workers)
    _explained(state, rest, result.unassigned)
    kept = _gentle(rest, result, policy)
    day_plan = merge(state, rest, result)
    changes = diff(state, rest, result, policy)
    return Replan(rest, result, day_plan, changes, kept, time.perf_counter() - began)


def _explained(state: DayState, rest: RestOfDay, left: list[UnassignedStop]) -> None:
    """Planning's "no vehicle" reasons, told in the day's terms (which vehicles are out)."""
    refs = [u.ref for u in left if u.reason is UnassignedReason.NO_VEHICLE]
    why = why_no_vehicle(state, rest, refs) if refs else {}
    left[:] = [
        replace(u, reason=why[u.ref][0], detail=why[u.ref][1]) if u.ref in why else u for u in left
    ]


def diff(
    state: DayState, rest: RestOfDay, result: PlanResult, policy: ReplanPolicy
) -> list[Change]:
    """What changed for drivers and orders compared with the plan being executed."""
    locked = state.locked()
    before = {
        r.vehicle_ref: [v.ref for v in r.visits if v.ref not in locked] for r in state.plan.routes
    }
    after = {
        ref: [v.ref for r in routes for v in r.visits]
        for ref, routes in by_day_vehicle(rest, result).items()
    }
    where_before = {ref: veh for veh, refs in before.items() for ref in refs}
    changes: list[Change] = []
    for veh in sorted(set(before) | set(after)):
        old, new = before.get(veh, []), after.get(veh, [])
        n = next_stop_changes(old, new, policy.next_stops)
        if n:
            changes.append(Change("next_stops", veh, f"{n} of the next {policy.next_stops}"))
        for ref in new:
            if ref in where_before and where_before[ref] != veh:
                changes.append(Change("moved", ref, f"{where_before[ref]} -> {veh}"))
            elif ref not in where_before:
                changes.append(Change("added", ref, f"to {veh}"))
    placed = {ref for refs in after.values() for ref in refs}
    left_out = {u.ref for u in result.unassigned}
    for ref in sorted(set(where_before) - placed - left_out):
        why = "cancelled" if ref in state.cancelled else state.deferred.get(ref, "taken off")
        changes.append(Change("removed", ref, why))
    for u in result.unassigned:
        changes.append(Change("unassigned", u.ref, f"{u.reason.value}: {u.detail}".strip()))
    return changes


def _day_visit(visit: StopVisit, job: int, trip: int) -> StopVisit:
    return StopVisit(
        job,
        visit.ref,
        visit.order_refs,
        visit.kind,
        trip,
        visit.arrival_s,
        visit.wait_s,
        visit.service_start_s,
        visit.departure_s,
        visit.load_after,
    )


def day_ref(rest: RestOfDay, n: int) -> str:
    """The day's name of re-plan vehicle ``n`` (a van's later trips are the van's)."""
    return rest.problem.vehicles[rest.after_load.get(n, n)].ref


def by_day_vehicle(rest: RestOfDay, result: PlanResult) -> dict[str, list[RouteResult]]:
    """The new routes per vehicle of the day: a van on the road has two, its load and the
    trips after it (:func:`lastmile.dispatch.replan_problem.rest_of_day`)."""
    out: dict[str, list[RouteResult]] = {}
    for r in result.routes:
        out.setdefault(day_ref(rest, r.vehicle), []).append(r)
    for routes in out.values():
        routes.sort(key=lambda r: r.vehicle in rest.after_load)
    return out


def _as_observed(state: DayState, prefix: list[StopVisit], s: VehicleState) -> list[StopVisit]:
    """A van's history as tracking saw it: each stop seen done left when it was seen, each
    stop seen reached arrived when it was, the stops before the last one seen no later than
    it, and the stop under way left when the van is free. The next
    :func:`~lastmile.dispatch.state.advance` then reads the history in order, however late
    or early the van was against the plan. Stops done after the last one seen (the plan
    carried on from it) keep their times."""
    # A stop seen done was reached before; one seen reached was headed for before.
    arrivals = {**state.heading, **state.arrived}
    seen = {**arrivals, **state.observed}
    marks = [i for i, x in enumerate(prefix) if x.ref in seen]
    last = marks[-1]
    cap = min(seen[prefix[last].ref], state.now_s)
    out = []
    for i, x in enumerate(prefix):
        service = state.problem.jobs[x.job].service_s
        if x.ref == s.in_progress and x.ref in arrivals:
            arrived = arrivals[x.ref]
            begun = max(arrived, s.free_s - service)
            left = s.free_s
        elif x.ref == s.in_progress:
            begun = max(x.service_start_s, s.free_s - service)
            arrived = x.arrival_s if begun == x.service_start_s else begun
            left = max(x.departure_s, s.free_s)
        elif x.ref in state.observed:
            left = state.observed[x.ref]
            begun = arrived = max(0, left - service)
        elif x.ref in arrivals:  # reached, then done as the plan has it
            arrived = arrivals[x.ref]
            begun = max(arrived, x.service_start_s)
            left = begun + service
        elif i < last:
            left = min(x.departure_s, cap)
            begun = min(x.service_start_s, left)
            arrived = min(x.arrival_s, begun)
        else:
            out.append(x)
            continue
        out.append(
            replace(x, arrival_s=arrived, wait_s=begun - arrived, service_start_s=begun,
                    departure_s=left)
        )  # fmt: skip
    return out


def merge(state: DayState, rest: RestOfDay, result: PlanResult) -> PlanResult:
    """The whole day: each vehicle's history (served, under way) then its new route(s).

    Indices are the day problem's, so the next :func:`lastmile.dispatch.state.advance`
    reads it like any plan.
    """
    locked = state.locked()
    old = {r.vehicle_ref: r for r in state.plan.routes}
    new = by_day_vehicle(rest, result)
    routes: list[RouteResult] = []
    for n, v in enumerate(state.problem.vehicles):
        prefix = [x for x in old[v.ref].visits if x.ref in locked] if v.ref in old else []
        tails = new.get(v.ref, [])
        if not prefix and not tails:
            continue
        s = state.vehicles[v.ref]
        if any(x.ref in state.observed or x.ref in state.arrived or x.ref in state.heading
               for x in prefix):  # fmt: skip
            prefix = _as_observed(state, prefix, s)
        offset = (prefix[-1].trip + (1 if s.at_hub else 0)) if prefix else 0
        visits = list(prefix)
        for tail in tails:
            if tail.vehicle in rest.after_load:  # trips after the load: from the next one on
                offset = visits[-1].trip + 1 if visits else 0
            visits += [_day_visit(x, rest.day_job[x.job], x.trip + offset) for x in tail.visits]
        base = old.get(v.ref) or tails[0]
        routes.append(
            RouteResult(
                n,
                v.ref,
                old[v.ref].start_s if v.ref in old else base.start_s,
                tails[-1].end_s if tails else base.end_s,
                visits,
                cost_cents=sum(t.cost_cents for t in tails),
                distance_m=sum(t.distance_m for t in tails),
                driver_ref=v.driver_ref,
                shift_ref=v.shift_ref,
            )
        )
    return PlanResult(state.problem.origin, routes, list(result.unassigned), "replan")
