"""The state of the day: where each vehicle is, what it has done, what it carries.

Re-planning needs a snapshot it can trust: stops already served or under way are history,
parcels on a van stay on that van, and every vehicle starts its remaining day from the
place and moment it will next be free. :func:`advance` derives that snapshot from the plan
being executed and the time now; events (see :mod:`lastmile.dispatch.handlers`) then edit
it before :func:`lastmile.dispatch.replan.replan` plans the rest of the day.

Everything is in planning units (seconds since the problem origin, job refs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from lastmile.dispatch.known_points import KnownPoints
from lastmile.domain import Coordinate, InvalidInput
from lastmile.planning.problem import Job, PlanningProblem, VehicleSpec
from lastmile.planning.solver import PlanResult, RouteResult, StopVisit


@dataclass(frozen=True, slots=True)
class VehicleState:
    """One vehicle now: where and when it is next free, and what is on board.

    ``at_hub`` vehicles are at (or on their way back to) their hub and may load more;
    the others finish what they carry first. ``loaded`` holds refs of parcels on board
    that are still to be delivered.
    """

    ref: str
    point: Coordinate
    free_s: int
    at_hub: bool
    done: tuple[str, ...] = ()
    in_progress: str | None = None
    loaded: frozenset[str] = frozenset()
    started_s: int | None = None
    broken: bool = False


@dataclass
class DayState:
    """The day as dispatch sees it at ``now_s``: the problem, the plan, and what changed."""

    problem: PlanningProblem
    plan: PlanResult
    now_s: int
    vehicles: dict[str, VehicleState]
    cancelled: set[str] = field(default_factory=set)
    #: Failed attempts waiting for a re-attempt: job ref -> reason given by the driver.
    failed: dict[str, str] = field(default_factory=dict)
    #: Orders moved to tomorrow: job ref -> why.
    deferred: dict[str, str] = field(default_factory=dict)
    #: Stops added since the plan was made (new orders).
    new: set[str] = field(default_factory=set)
    #: Stops tracking saw completed: job ref -> when (see :func:`observed_state`).
    observed: dict[str, int] = field(default_factory=dict)
    #: Stops tracking saw a van arrive at (a geofence, a driver's "arrived" scan), not yet
    #: seen done: job ref -> when (see :func:`arrived_state`).
    arrived: dict[str, int] = field(default_factory=dict)
    #: Stops a van is on its way to by its GPS track, with no scan or arrival since: job ref
    #: -> when it will be there (see :func:`arrived_state`).
    heading: dict[str, int] = field(default_factory=dict)
    #: Travel matrices of the day's points, kept from one re-plan to the next.
    matrices: KnownPoints | None = field(default=None, repr=False, compare=False)

    def copy(self) -> DayState:
        """The same day with its own containers: edits to one leave the other as it was."""
        return replace(
            self,
            vehicles=dict(self.vehicles),
            cancelled=set(self.cancelled),
            failed=dict(self.failed),
            deferred=dict(self.deferred),
            new=set(self.new),
            observed=dict(self.observed),
            arrived=dict(self.arrived),
            heading=dict(self.heading),
        )

    def vehicle(self, ref: str) -> VehicleState:
        found = self.vehicles.get(ref)
        if found is None:
            raise InvalidInput(f"no vehicle {ref!r} in today's state", field="vehicle_ref")
        return found

    def job(self, ref: str) -> Job:
        index = self.problem.job_index().get(ref)
        if index is None:
            raise InvalidInput(f"no stop {ref!r} in today's state", field="stop_ref")
        return self.problem.jobs[index]

    def carrier(self, ref: str) -> str | None:
        """The vehicle carrying a parcel, if it is on board one."""
        for v in self.vehicles.values():
            if ref in v.loaded:
                return v.ref
        return None

    def served(self) -> set[str]:
        return {r for v in self.vehicles.values() for r in v.done}

    def locked(self) -> set[str]:
        """Stops that are history: served, or under way right now."""
        under_way = {v.in_progress for v in self.vehicles.values() if v.in_progress}
        return self.served() | under_way

    def open_jobs(self) -> list[str]:
        """Stops still to plan today: not locked, not cancelled, not deferred."""
        gone = self.locked() | self.cancelled | set(self.deferred)
        return [j.ref for j in self.problem.jobs if j.ref not in gone]

    def add_job(self, job: Job, where: Coordinate) -> None:
        """A new order: a stop at a new point, appended to the problem."""
        if job.ref in self.problem.job_index():
            raise InvalidInput(f"stop {job.ref!r} is already planned today", field="stop_ref")
        point = len(self.problem.points)
        self.problem = replace(
            self.problem,
            points=(*self.problem.points, where),
            jobs=(*self.problem.jobs, replace(job, point=point, pair=None)),
            _cache={},
        )
        self.new.add(job.ref)

    def replace_job(self, job: Job) -> None:
        jobs = list(self.problem.jobs)
        jobs[self.problem.job_index()[job.ref]] = job
        self.problem = replace(self.problem, jobs=tuple(jobs), _cache=self.problem._cache)


def leg_s(problem: PlanningProblem, v: VehicleSpec, a: Coordinate, b: Coordinate, at_s: int) -> int:
    """Driving time of one leg for this vehicle, leaving at ``at_s``."""
    pts = [a, b]
    hour = problem.hour_at(at_s, v.start_hub)
    return int(problem.provider.matrix(pts, pts, profile=v.profile, hour=hour).durations_s[0, 1])


def _at_hub(v: VehicleSpec, problem: PlanningProblem, free_s: int, **kw: object) -> VehicleState:
    point = problem.points[problem.hubs[v.start_hub].point]
    return VehicleState(v.ref, point, free_s, True, **kw)  # type: ignore[arg-type]


def _route_state(
    problem: PlanningProblem, v: VehicleSpec, route: RouteResult, now_s: int
) -> VehicleState:
    """Where a route is at ``now_s``: a stop is under way once the van has left for it."""
    if route.start_s > now_s:
        return _at_hub(v, problem, max(now_s, route.start_s))
    visits = route.visits
    done = tuple(x.ref for x in visits if x.departure_s <= now_s)
    rest = visits[len(done) :]
    started = route.start_s
    if not rest:
        return _at_hub(v, problem, max(now_s, route.end_s), done=done, started_s=started)
    current = rest[0]
    left_s = visits[len(done) - 1].departure_s if done else route.start_s
    previous_trip = visits[len(done) - 1].trip if done else current.trip
    if current.trip != previous_trip:
        # Between trips: back at the hub to reload before this stop.
        hub = problem.hubs[v.start_hub].point
        last = problem.points[problem.jobs[visits[len(done) - 1].job].point]
        back = left_s + leg_s(problem, v, last, problem.points[hub], left_s)
        return _at_hub(v, problem, max(now_s, back), done=done, started_s=started)
    loaded = frozenset(_on_board(problem, rest[1:], current.trip))
    return VehicleState(
        v.ref,
        problem.points[problem.jobs[current.job].point],
        max(now_s, current.departure_s),
        False,
        done=done,
        in_progress=current.ref,
        loaded=loaded,
        started_s=started,
    )


def _ready_after(job: Job, arrive_s: int) -> int:
    """When service can start at a stop reached at ``arrive_s`` (its next window)."""
    for a, b in job.windows:
        if arrive_s <= b:
            return max(a, arrive_s)
    return arrive_s


def observed_state(state: DayState, route: RouteResult, last: int) -> VehicleState:
    """Where a van is, given that tracking saw it complete ``route.visits[last]`` (and so
    every stop before it) at ``state.observed``'s time: on its way to the next stop of that
    trip, free once served there, or back to the hub when the trip is done.

    The plan's times for the stops after it are not trusted: the van may be late or early.
    """
    problem, visits = state.problem, route.visits
    v = problem.vehicles[route.vehicle]
    old = state.vehicles[route.vehicle_ref]
    done = tuple(x.ref for x in visits[: last + 1])
    seen_s = state.observed[visits[last].ref]
    here = problem.points[problem.jobs[visits[last].job].point]
    rest = visits[last + 1 :]
    trip = visits[last].trip
    if not rest or rest[0].trip != trip:
        hub = problem.points[problem.hubs[v.start_hub].point]
        back = seen_s + leg_s(problem, v, here, hub, seen_s)
        return _at_hub(v, problem, max(state.now_s, back), done=done, started_s=old.started_s)
    nxt = rest[0]
    job = problem.jobs[nxt.job]
    there = problem.points[job.point]
    start = _ready_after(job, seen_s + leg_s(problem, v, here, there, seen_s))
    return VehicleState(
        v.ref,
        there,
        max(state.now_s, start + job.service_s),
        False,
        done=done,
        in_progress=nxt.ref,
        loaded=frozenset(_on_board(problem, rest[1:], trip)),
        started_s=old.started_s,
    )


def arrived_state(
    state: DayState, route: RouteResult, at: int, arrival_s: int | None = None
) -> VehicleState:
    """Where a van is, given that tracking saw it arrive at ``route.visits[at]`` (and so
    done with every stop before it) at ``state.arrived``'s time, or that its GPS track has
    it there at ``arrival_s``: serving that stop until its service ends, however late or
    early it came. Only the GPS says so before the driver scans; a van that has no scan
    for its last stop yet is no longer where the plan says it is."""
    problem, visits = state.problem, route.visits
    old = state.vehicles[route.vehicle_ref]
    here = visits[at]
    job = problem.jobs[here.job]
    came = state.arrived[here.ref] if arrival_s is None else arrival_s
    free = _ready_after(job, came) + job.service_s
    return VehicleState(
        old.ref,
        problem.points[job.point],
        max(state.now_s, free),
        False,
        done=tuple(x.ref for x in visits[:at]),
        in_progress=here.ref,
        loaded=frozenset(_on_board(problem, visits[at + 1 :], here.trip)),
        started_s=old.started_s,
    )


def _on_board(problem: PlanningProblem, visits: Sequence[StopVisit], trip: int) -> list[str]:
    return [x.ref for x in visits if x.trip == trip and problem.jobs[x.job].from_hub]


def advance(problem: PlanningProblem, plan: PlanResult, now_s: int) -> DayState:
    """The state of the day at ``now_s`` if every route ran exactly as planned.

    Live tracking corrects it afterwards through events (delays, failed attempts...).
    """
    if now_s < 0:
        raise InvalidInput("the time now must not be before the day starts", field="now_s")
    routes = {r.vehicle: r for r in plan.routes}
    vehicles: dict[str, VehicleState] = {}
    for n, v in enumerate(problem.vehicles):
        route = routes.get(n)
        if route is None:
            vehicles[v.ref] = _at_hub(v, problem, max(now_s, v.shift_start_s))
        else:
            vehicles[v.ref] = _route_state(problem, v, route, now_s)
    return DayState(problem=problem, plan=plan, now_s=now_s, vehicles=vehicles)
