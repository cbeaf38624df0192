"""How the platform runs the day: a static morning plan, or lastmile's dynamic dispatch.

Both policies plan the morning with the same planner and hear of every event of the street
through the same dispatch bus and handlers (so the same exceptions are raised and
journalled). They differ in what they do about it:

* ``static``: the morning plan is the day. Orders placed after it wait for tomorrow; a
  failed attempt, a broken van's parcels or parcels left behind at the hub go out tomorrow.
* ``dynamic``: every event goes through the bus, and the rest of the day is re-planned with
  ``dispatch.replan`` (loaded parcels never change van) at most every ``replan_every_s``
  seconds while events are waiting — a dispatcher batches, it does not re-plan per ping —
  and on a day with more open stops than ``replan_stops``, every second (third...) time.
  A van about to leave the hub with a near-empty trip (``hold_stops`` stops or fewer) waits
  for the next re-plan instead when every stop it still has keeps its promised window with
  ``hold_margin_s`` to spare: the orders placed meanwhile can then ride along, rather than
  each sending a van out and back for one or two stops.

Before each command the dispatch state is told where each van really is (what tracking
knows: served stops, the stop under way, what is on board), as the control tower would.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from lastmile.dispatch import commands as c
from lastmile.dispatch import events as ev
from lastmile.dispatch.bus import MessageBus
from lastmile.dispatch.handlers import DispatchContext
from lastmile.dispatch.state import VehicleState
from lastmile.domain import Conflict, Order, Zone
from lastmile.domain.events import Command, DomainEvent
from lastmile.domain.order import stop_for_order
from lastmile.planning.assemble import assemble
from lastmile.planning.construct import construct
from lastmile.planning.diagnose import left_out_after_timing, precheck
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.solver import (
    PlanResult,
    RoutePlan,
    RouteResult,
    SolveOptions,
    Solver,
    UnassignedStop,
)
from lastmile.sim.platform import Platform

log = logging.getLogger(__name__)

POLICIES = ("static", "dynamic")
#: Events after which the rest of the day is worth re-planning.
WORK_CHANGED = (
    ev.StopAddedToDay,
    ev.StopCancelled,
    ev.ReadinessSlipped,
    ev.VehicleDelayed,
    ev.AttemptFailed,
    ev.VehicleBrokeDown,
    ev.ZoneSlowed,
)


@dataclass
class GreedySolver:
    """Planning's greedy construction, or the warm start when it serves more, timed by
    ``assemble``: no search. Fast and deterministic."""

    name: str = "greedy"

    def solve(self, problem: PlanningProblem, options: SolveOptions) -> PlanResult:
        began = time.perf_counter()
        servable, rejected = precheck(problem)
        keep = set(servable)
        candidates = [construct(problem, servable)]
        if options.initial:
            candidates.append(_restricted(options.initial, keep))
        best: tuple[tuple[int, int], list[RouteResult], list[UnassignedStop]] | None = None
        for plans in candidates:
            routes, dropped = assemble(problem, plans)
            score = (-sum(len(r.visits) for r in routes), sum(r.cost_cents for r in routes))
            if best is None or score < best[0]:
                best = (score, routes, dropped)
        assert best is not None
        _, routes, dropped = best
        unassigned = rejected + left_out_after_timing(problem, servable, routes, dropped)
        return PlanResult(
            problem.origin, routes, unassigned, self.name, time.perf_counter() - began
        )


def _restricted(plans: Sequence[RoutePlan], keep: set[int]) -> list[RoutePlan]:
    out = []
    for p in plans:
        trips = tuple(t for t in (tuple(j for j in trip if j in keep) for trip in p.trips) if t)
        if trips:
            out.append(RoutePlan(p.vehicle, trips))
    return out


@dataclass
class FixedEffort:
    """A solver bounded by search iterations, not wall time: a seeded day replays exactly
    and runs the same on a loaded machine as on an idle one. The iterations shrink as the
    problem grows (``work`` / stops, within ``low`` and ``high``), as a time budget would;
    a caller's own smaller ``max_iterations`` (a van's load) wins.

    A problem with more than ``max_per_vehicle`` stops per vehicle (a van alone at the hub
    facing the day's backlog) goes to :class:`GreedySolver`: PyVRP's local search on such a
    lopsided problem can take minutes for nothing but the same few stops."""

    inner: Solver
    work: int
    low: int = 20
    high: int = 400
    max_per_vehicle: int = 80
    name: str = "pyvrp-fixed-effort"

    def iterations(self, stops: int) -> int:
        return max(self.low, min(self.high, self.work // max(1, stops)))

    def solve(self, problem: PlanningProblem, options: SolveOptions) -> PlanResult:
        if len(problem.jobs) > self.max_per_vehicle * max(1, len(problem.vehicles)):
            return GreedySolver().solve(problem, options)
        iterations = self.iterations(len(problem.jobs))
        if options.max_iterations is not None:
            iterations = min(iterations, options.max_iterations)
        bounded = replace(options, max_iterations=iterations, time_limit_s=3600.0)
        return self.inner.solve(problem, bounded)


@dataclass
class Dispatcher:
    """The platform's dispatch for one day under one policy."""

    policy: str
    ctx: DispatchContext
    bus: MessageBus
    platform: Platform
    observe: Callable[[float], dict[str, VehicleState]]
    replan_every_s: float = 900.0
    #: Open stops one re-plan interval is good for: a day with more open stops than this
    #: re-plans every second (third...) interval, since each re-plan costs in proportion.
    replan_stops: int | None = None
    last_replan_s: float | None = None
    version: int = 0
    waiting: list[str] = field(default_factory=list)
    deferred: dict[str, str] = field(default_factory=dict)
    replans: int = 0
    replan_wall_s: float = 0.0
    on_plan: Callable[[], None] | None = None
    #: A trip of at most this many stops waits for the next re-plan when its windows allow.
    hold_stops: int = 0
    hold_margin_s: float = 1800.0
    holds: int = 0
    #: At a re-plan interval with no event waiting, improve the plan (``ImprovePlan``).
    improve_idle: bool = False
    improvements: int = 0

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {self.policy!r}")

    @property
    def dynamic(self) -> bool:
        return self.policy == "dynamic"

    @property
    def plan(self) -> PlanResult:
        return self.ctx.state.plan

    @property
    def problem(self) -> PlanningProblem:
        return self.ctx.state.problem

    def at(self, now_s: float) -> datetime:
        return self.platform.at(now_s)

    def command(self, cmd: Command, now_s: float) -> list[DomainEvent]:
        """Tell the platform what happened: the state is synced, the bus handles it."""
        self._sync(now_s)
        try:
            events = self.bus.handle(cmd)
        except Conflict as err:
            log.debug("%s refused: %s", type(cmd).__name__, err)
            return []
        self.platform.raised(now_s, events)
        for e in events:
            if isinstance(e, ev.StopDeferred):
                self.deferred[e.stop_ref] = e.reason
            if isinstance(e, WORK_CHANGED):
                self.waiting.append(type(e).__name__)
        return events

    def _sync(self, now_s: float) -> None:
        state = self.ctx.state
        state.now_s = max(state.now_s, int(now_s))
        for ref, truth in self.observe(now_s).items():
            if not state.vehicles[ref].broken:
                state.vehicles[ref] = truth

    def new_order(self, order: Order, now_s: float) -> bool:
        """A same-day order placed now; True when it joins today's plan."""
        self.platform.place([order])
        if not self.dynamic:
            return False
        stop = stop_for_order(order)
        windows = tuple((w.start, w.end) for w in stop.windows)
        self.command(
            c.AddStopToDay(
                stop_ref=order.ref, hub_ref=order.hub_ref, location=order.address.coordinate,
                windows=windows, service_s=stop.service_s, weight_g=stop.load.weight_g,
                volume_cm3=stop.load.volume_cm3, parcels=stop.load.parcels,
                ready_at=order.ready_at, skills=stop.skills,
            ),
            now_s,
        )  # fmt: skip
        return True

    def slipped(self, refs: list[str], ready_s: float, now_s: float) -> None:
        in_day = set(self.problem.job_index())
        refs = [r for r in refs if r in in_day and self.ctx.state.carrier(r) is None]
        if refs:
            self.command(c.SlipReadiness(stop_refs=tuple(refs), ready_at=self.at(ready_s)), now_s)

    def failed(self, ref: str, reason: str, now_s: float) -> None:
        self.command(c.RecordFailedAttempt(stop_ref=ref, reason=reason), now_s)

    def late(self, vehicle_ref: str, delay_s: float, now_s: float) -> None:
        self.command(c.ReportDelay(vehicle_ref=vehicle_ref, delay_s=int(delay_s)), now_s)

    def broke_down(self, vehicle_ref: str, now_s: float) -> None:
        self.command(c.ReportBreakdown(vehicle_ref=vehicle_ref, back_to_hub_s=3600), now_s)

    def weather(self, zone: Zone, factor: float, now_s: float) -> None:
        self.command(c.ReportSlowdown(zone=zone, factor=round(factor, 2)), now_s)

    def cancelled(self, ref: str, now_s: float) -> None:
        if ref in self.problem.job_index():
            self.command(c.CancelStop(stop_ref=ref), now_s)

    def note(self, why: str) -> None:
        """Something the re-planner should look at (a van idle at the hub, parcels left)."""
        if self.dynamic:
            self.waiting.append(why)

    def gap_s(self) -> float:
        """Seconds between re-plans now: ``replan_every_s``, times the open stops over
        ``replan_stops`` (rounded up) on a day that big."""
        if self.replan_stops is None:
            return self.replan_every_s
        open_stops = len(self.ctx.state.open_jobs())
        return self.replan_every_s * max(1, math.ceil(open_stops / self.replan_stops))

    def next_replan_s(self, now_s: float) -> float:
        """The first re-plan interval after ``now_s`` at which a re-plan may run."""
        step = self.replan_every_s
        t = (math.floor(now_s / step) + 1) * step
        if self.last_replan_s is not None:
            t = max(t, self.last_replan_s + math.ceil((self.gap_s() - 1) / step) * step)
        return t

    def hold(self, van_ref: str, trip_stops: int, lag_s: float, now_s: float) -> float | None:
        """When a van at the hub whose next trip has ``trip_stops`` stops should look at the
        plan again instead of leaving now (``None``: leave). ``lag_s`` is how far behind the
        plan's departure the van already is.

        Held only when every stop the van still has, served that much later, starts within
        its window ``hold_margin_s`` before the window closes, and the route still ends within
        the shift: the wait must cost the customers nothing.
        """
        if not self.dynamic or trip_stops > self.hold_stops or trip_stops == 0:
            return None
        route = next((r for r in self.plan.routes if r.vehicle_ref == van_ref), None)
        if route is None:
            return None
        until = self.next_replan_s(now_s)
        shift = lag_s + (until - now_s) + self.hold_margin_s
        locked = self.ctx.state.locked()
        problem = self.problem
        index = problem.job_index()
        for visit in route.visits:
            if visit.ref in locked or visit.ref not in index:
                continue
            windows = problem.jobs[index[visit.ref]].windows
            start = visit.service_start_s
            if windows and not any(a <= start and start + shift <= b for a, b in windows):
                return None
        if route.end_s + shift > problem.vehicles[route.vehicle].latest_end_s:
            return None
        self.holds += 1
        return until

    def tick(self, now_s: float) -> bool:
        """Re-plan when events are waiting (dynamic only), else improve the plan when asked
        to (``improve_idle``); True when the plan changed."""
        if not self.dynamic:
            return False
        if self.last_replan_s is not None and now_s - self.last_replan_s < self.gap_s() - 1:
            return False
        if not self.waiting:
            return self.improve_idle and self._improve(now_s)
        self.last_replan_s = now_s
        reasons = sorted(set(self.waiting))
        self.waiting.clear()
        self._sync(now_s)
        events = self.bus.handle(c.Replan(reason=", ".join(reasons), trigger="simulator"))
        self.replans += 1
        if self.ctx.last is not None:
            self.replan_wall_s += self.ctx.last.runtime_s
        self._adopted(events, now_s)
        return True

    def _improve(self, now_s: float) -> bool:
        """One ``ImprovePlan`` step; it does not count as a re-plan for the interval, so an
        event right after it is re-planned at the next interval as before."""
        self._sync(now_s)
        began = time.perf_counter()
        events = self.bus.handle(c.ImprovePlan())
        self.replan_wall_s += time.perf_counter() - began  # kept or not, the step took it
        if not events:
            return False
        self.improvements += 1
        self._adopted(events, now_s)
        return True

    def _adopted(self, events: Sequence[DomainEvent], now_s: float) -> None:
        self.platform.raised(now_s, [e for e in events if not isinstance(e, ev.Replanned)])
        for e in events:
            if isinstance(e, ev.StopDeferred):
                self.deferred[e.stop_ref] = e.reason
        self.version += 1
        self.platform.publish(self.problem, self.plan, now_s)
        if self.on_plan is not None:
            self.on_plan()
