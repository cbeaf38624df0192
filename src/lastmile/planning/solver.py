"""What every solver takes and returns: the Solver Protocol and PlanResult.

A solver proposes :class:`RoutePlan` sequences; :mod:`lastmile.planning.assemble` turns them
into timed routes with the true time-dependent travel, breaks and costs, so every solver's
result means the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from lastmile.domain import Break, Load, Plan, Route, Unassigned, UnassignedReason, Visit
from lastmile.domain.errors import Conflict, InvalidInput
from lastmile.planning.problem import Demand, PlanningProblem


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """A vehicle's job indices, one tuple per trip from the hub (reloads in between)."""

    vehicle: int
    trips: tuple[tuple[int, ...], ...]

    @property
    def jobs(self) -> tuple[int, ...]:
        return tuple(j for trip in self.trips for j in trip)


@dataclass(frozen=True)
class SolveOptions:
    """How long and how: ``workers`` processes run seeds ``seed, seed+1, ...`` in parallel."""

    time_limit_s: float = 10.0
    seed: int = 0
    workers: int = 2
    initial: Sequence[RoutePlan] | None = None
    #: Called with (fraction done, message) so a CLI can draw a progress bar.
    progress: Callable[[float, str], None] | None = None
    #: Value (cents) of serving an optional stop today instead of deferring it, per priority+1.
    defer_cost_cents: int = 500
    #: Stop after this many search iterations instead of at the time limit: the same
    #: problem and seed then give the same plan on any machine (the simulator's replays).
    max_iterations: int | None = None
    #: Length of the search's late-acceptance history (None: PyVRP's 300). A search of a
    #: few hundred iterations a worker, like a re-plan's, spends most of them filling a
    #: history that long; a short one improves faster (docs/benchmarks/replan.md).
    history_length: int | None = None

    def __post_init__(self) -> None:
        # Checked here: a bad value would otherwise fail inside every forked search worker.
        if self.history_length is not None and self.history_length < 1:
            raise InvalidInput(
                f"must be at least 1, got {self.history_length}", field="history_length"
            )


@dataclass(frozen=True, slots=True)
class StopVisit:
    """A served stop with its schedule (seconds since the problem origin)."""

    job: int
    ref: str
    order_refs: tuple[str, ...]
    kind: str
    trip: int
    arrival_s: int
    wait_s: int
    service_start_s: int
    departure_s: int
    load_after: Demand


@dataclass(frozen=True, slots=True)
class BreakSlot:
    start_s: int
    end_s: int


@dataclass
class RouteResult:
    """One vehicle's day: visits, breaks, loads when leaving each hub, and its totals."""

    vehicle: int
    vehicle_ref: str
    start_s: int
    end_s: int
    visits: list[StopVisit]
    breaks: list[BreakSlot] = field(default_factory=list)
    departure_loads: list[Demand] = field(default_factory=list)
    distance_m: int = 0
    driving_s: int = 0
    cost_cents: int = 0
    co2_g: int = 0
    overtime_s: int = 0
    driver_ref: str | None = None
    shift_ref: str | None = None

    @property
    def duration_s(self) -> int:
        return self.end_s - self.start_s

    @property
    def stops_per_hour(self) -> float:
        return len(self.visits) / (self.duration_s / 3600) if self.duration_s > 0 else 0.0

    def plan(self) -> RoutePlan:
        trips: dict[int, list[int]] = {}
        for visit in self.visits:
            trips.setdefault(visit.trip, []).append(visit.job)
        return RoutePlan(self.vehicle, tuple(tuple(trips[k]) for k in sorted(trips)))


@dataclass(frozen=True, slots=True)
class UnassignedStop:
    ref: str
    reason: UnassignedReason
    detail: str = ""


@dataclass
class PlanResult:
    """Routes and the stops left out, each with the reason diagnosis found."""

    origin: datetime
    routes: list[RouteResult]
    unassigned: list[UnassignedStop]
    solver: str = ""
    runtime_s: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def cost_cents(self) -> int:
        return sum(r.cost_cents for r in self.routes)

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)

    @property
    def duration_s(self) -> int:
        return sum(r.duration_s for r in self.routes)

    @property
    def co2_g(self) -> int:
        return sum(r.co2_g for r in self.routes)

    @property
    def served(self) -> int:
        return sum(len(r.visits) for r in self.routes)

    def plans(self) -> list[RoutePlan]:
        return [r.plan() for r in self.routes]

    def to_domain(self, problem: PlanningProblem, ref: str, service_date: str) -> Plan:
        """The storable Plan: aware datetimes, refs, and loads as domain values."""
        routes = [_domain_route(problem, r, f"{ref}-{i + 1}") for i, r in enumerate(self.routes)]
        return Plan(
            ref=ref,
            hub_refs=tuple(h.ref for h in problem.hubs),
            service_date=service_date,
            routes=routes,
            unassigned=[Unassigned(u.ref, u.reason, u.detail) for u in self.unassigned],
            cost_cents=self.cost_cents,
        )


def from_domain(problem: PlanningProblem, plan: Plan) -> PlanResult:
    """A stored plan read back on the problem it was made for, times as stored.

    Re-timing would not do: a re-planned day starts each van where it was at the re-plan,
    which the problem's shifts do not say. Raises Conflict naming the route and the stop or
    vehicle the problem no longer has (an order or a shift changed since the plan).
    """
    jobs, vehicles = problem.job_index(), problem.vehicle_index()

    def seconds(moment: datetime) -> int:
        return int((moment - problem.origin).total_seconds())

    routes: list[RouteResult] = []
    for route in plan.routes:
        n = vehicles.get(route.vehicle_ref)
        if n is None:
            raise Conflict(
                f"route {route.ref!r}: vehicle {route.vehicle_ref!r} has no shift that day now"
            )
        visits = []
        for v in route.visits:
            j = jobs.get(v.stop_ref)
            if j is None:
                raise Conflict(f"route {route.ref!r}: stop {v.stop_ref!r} is no longer plannable")
            load = (v.load_after.weight_g, v.load_after.volume_cm3, v.load_after.parcels)
            visits.append(
                StopVisit(
                    j, v.stop_ref, v.order_refs, v.kind, v.trip, seconds(v.arrival), v.wait_s,
                    seconds(v.service_start), seconds(v.departure), load,
                )
            )  # fmt: skip
        routes.append(
            RouteResult(
                n,
                route.vehicle_ref,
                seconds(route.start),
                seconds(route.end),
                visits,
                breaks=[BreakSlot(seconds(b.start), seconds(b.end)) for b in route.breaks],
                distance_m=route.distance_m,
                cost_cents=route.cost_cents,
                co2_g=route.co2_g,
                driver_ref=route.driver_ref,
                shift_ref=route.shift_ref,
            )
        )
    unassigned = [UnassignedStop(u.stop_ref, u.reason, u.detail) for u in plan.unassigned]
    return PlanResult(problem.origin, routes, unassigned, "stored")


def _domain_route(problem: PlanningProblem, route: RouteResult, ref: str) -> Route:
    visits = [
        Visit(
            stop_ref=v.ref,
            order_refs=v.order_refs,
            arrival=problem.at(v.arrival_s),
            service_start=problem.at(v.service_start_s),
            departure=problem.at(v.departure_s),
            wait_s=v.wait_s,
            load_after=Load(*v.load_after),
            kind=v.kind,
            trip=v.trip,
        )
        for v in route.visits
    ]
    return Route(
        ref=ref,
        vehicle_ref=route.vehicle_ref,
        start=problem.at(route.start_s),
        end=problem.at(route.end_s),
        visits=visits,
        driver_ref=route.driver_ref,
        shift_ref=route.shift_ref,
        breaks=[Break(problem.at(b.start_s), problem.at(b.end_s)) for b in route.breaks],
        distance_m=route.distance_m,
        duration_s=route.duration_s,
        cost_cents=route.cost_cents,
        co2_g=route.co2_g,
    )


class Solver(Protocol):
    """Anything that plans a problem: PyVRP, the decomposing solver, a test double."""

    name: str

    def solve(self, problem: PlanningProblem, options: SolveOptions) -> PlanResult: ...
