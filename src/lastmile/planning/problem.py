"""The integer planning problem: seconds since an origin, metres, grams, cents.

Domain objects (aware datetimes, refs) are turned into this flat model once by
:mod:`lastmile.planning.build`; every solver, the schedule re-timing and the independent
checker then work on it alone. Travel matrices are computed lazily per (profile, hour) and
only over the problem's own points, so a territory of a 10,000-stop day never builds the
city-wide matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from lastmile.domain import AccessRule, BreakRule, Coordinate, Skill, StopKind, VehicleKind
from lastmile.geo.travel import Profile, TravelMatrix, TravelTimeProvider

IntArray = npt.NDArray[np.int64]
#: Three load dimensions everywhere in planning: grams, cubic centimetres, parcels.
LOAD_DIMENSIONS = ("weight_g", "volume_cm3", "parcels")
Demand = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class HubSpec:
    """A depot: where routes start and end, and where parcels are (re)loaded."""

    ref: str
    point: int
    open_s: int
    close_s: int
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class Job:
    """One stop to serve once.

    ``windows`` hold (earliest, latest) *start of service*; empty means any time. ``hub`` is
    the hub whose parcels these are (only its vehicles can deliver them), ``None`` for any.
    """

    ref: str
    point: int
    kind: StopKind = StopKind.DELIVERY
    windows: tuple[tuple[int, int], ...] = ()
    service_s: int = 0
    demand: Demand = (0, 0, 0)
    skills: frozenset[Skill] = frozenset()
    access: frozenset[AccessRule] = frozenset()
    hub: int | None = None
    release_s: int = 0
    required: bool = True
    priority: int = 0
    order_refs: tuple[str, ...] = ()
    #: For the delivery half of a shipment: the job index of its pickup (same vehicle, before).
    pair: int | None = None

    @property
    def from_hub(self) -> bool:
        """Loaded at the hub: a delivery that is not the second half of a shipment."""
        return self.kind is StopKind.DELIVERY and self.pair is None


@dataclass(frozen=True, slots=True)
class VehicleSpec:
    """One vehicle with its driver's shift: the unit that becomes one route."""

    ref: str
    kind: VehicleKind
    profile: Profile
    start_hub: int
    end_hub: int
    capacity: Demand
    shift_start_s: int
    shift_end_s: int
    max_overtime_s: int = 0
    overtime_cost_per_hour_cents: int = 0
    max_work_s: int | None = None
    max_driving_s: int | None = None
    range_m: int | None = None
    fixed_cost_cents: int = 0
    cost_per_km_cents: int = 0
    cost_per_hour_cents: int = 0
    co2_g_per_km: float = 0.0
    skills: frozenset[Skill] = frozenset()
    passes: frozenset[AccessRule] = frozenset(AccessRule)
    break_rule: BreakRule | None = None
    max_trips: int = 1
    driver_ref: str | None = None
    shift_ref: str | None = None
    #: Hour whose travel-time band plans this vehicle (see :func:`slowest_hour`).
    plan_hour: int | None = None
    #: The driver is already working (a re-plan mid-shift): the work clock runs from
    #: ``shift_start_s`` whether the van drives or waits at the hub, so leaving later saves
    #: no working time.
    on_duty: bool = False

    @property
    def latest_end_s(self) -> int:
        return self.shift_end_s + self.max_overtime_s

    @property
    def latest_return_s(self) -> int:
        """When the route must be over: the shift's end (and overtime), and for a driver at
        work also the working time left, counted from now."""
        if not self.on_duty:
            return self.latest_end_s
        return min(
            self.latest_end_s, self.shift_start_s + self.planned_duration_s + self.max_overtime_s
        )

    def work_began_s(self, route_start_s: int) -> int:
        """When a route starting at ``route_start_s`` began its driver's work."""
        return min(route_start_s, self.shift_start_s) if self.on_duty else route_start_s

    @property
    def planned_duration_s(self) -> int:
        """Shift length capped by working hours, less the break the shift will need."""
        length = self.shift_end_s - self.shift_start_s
        if self.max_work_s is not None:
            length = min(length, self.max_work_s)
        rule = self.break_rule
        if rule is not None and length + self.max_overtime_s > rule.after_work_s:
            length -= rule.duration_s
        return max(0, length)

    def serves(self, job: Job) -> bool:
        """Skills, zone access and hub ownership: what no schedule can fix."""
        return (
            job.skills <= self.skills
            and job.access <= self.passes
            and (job.hub is None or job.hub == self.start_hub)
        )

    def carries(self, job: Job) -> bool:
        return all(d <= c for d, c in zip(job.demand, self.capacity, strict=True))


_HJ = TypeVar("_HJ", HubSpec, Job)


@dataclass
class PlanningProblem:
    """Hubs first, then jobs, share one list of points; vehicles refer to hubs by index."""

    origin: datetime
    points: tuple[Coordinate, ...]
    hubs: tuple[HubSpec, ...]
    jobs: tuple[Job, ...]
    vehicles: tuple[VehicleSpec, ...]
    provider: TravelTimeProvider
    _cache: dict[tuple[Profile, int], TravelMatrix] = field(
        default_factory=dict, repr=False, compare=False
    )

    def matrix(self, profile: Profile, hour: int) -> TravelMatrix:
        """Durations and distances over all points for one profile and hour band."""
        key = (profile, hour)
        if key not in self._cache:
            self._cache[key] = self.provider.matrix(
                self.points, self.points, profile=profile, hour=hour
            )
        return self._cache[key]

    def hour_at(self, t_s: int, hub: int = 0) -> int:
        """Local hour of day at the hub for a problem time: congestion follows local time."""
        zone = ZoneInfo(self.hubs[hub].timezone) if self.hubs else ZoneInfo("UTC")
        return (self.origin + timedelta(seconds=int(t_s))).astimezone(zone).hour

    def at(self, t_s: int) -> datetime:
        return self.origin + timedelta(seconds=int(t_s))

    def plan_hour(self, vehicle: VehicleSpec) -> int:
        """The slowest hour band within the vehicle's shift (see :func:`slowest_hour`)."""
        if vehicle.plan_hour is not None:
            return vehicle.plan_hour
        return self.hour_at(vehicle.shift_start_s, vehicle.start_hub)

    def planning_matrix(self, vehicle: VehicleSpec) -> TravelMatrix:
        return self.matrix(vehicle.profile, self.plan_hour(vehicle))

    def restrict(self, jobs: Sequence[int], vehicles: Sequence[int]) -> PlanningProblem:
        """A sub-problem over some jobs and vehicles (hubs kept), with its own small points.

        Hub indices are unchanged; job and vehicle order follows the given sequences.
        """
        hub_points = [h.point for h in self.hubs]
        keep = hub_points + [self.jobs[j].point for j in jobs]
        remap = {old: new for new, old in enumerate(dict.fromkeys(keep))}
        points = tuple(self.points[p] for p in remap)
        hubs = tuple(_replace_point(h, remap[h.point]) for h in self.hubs)
        position = {old: new for new, old in enumerate(jobs)}
        new_jobs = tuple(
            replace(
                self.jobs[j],
                point=remap[self.jobs[j].point],
                pair=_moved(self.jobs[j].pair, position),
            )
            for j in jobs
        )
        return PlanningProblem(
            origin=self.origin,
            points=points,
            hubs=hubs,
            jobs=new_jobs,
            vehicles=tuple(self.vehicles[v] for v in vehicles),
            provider=self.provider,
        )

    def job_index(self) -> dict[str, int]:
        return {job.ref: i for i, job in enumerate(self.jobs)}

    def vehicle_index(self) -> dict[str, int]:
        return {v.ref: i for i, v in enumerate(self.vehicles)}


def _moved(index: int | None, position: dict[int, int]) -> int | None:
    return None if index is None else position.get(index)


def _replace_point(item: _HJ, point: int) -> _HJ:
    return replace(item, point=point)


def slowest_hour(problem: PlanningProblem, vehicle: VehicleSpec) -> int:
    """The hour within the shift whose travel is slowest for this profile.

    Planning with it means re-timing with the true hour-by-hour travel times can only make
    arrivals earlier, so a plan feasible when built stays feasible when re-timed.
    """
    hours: list[int] = []
    t = vehicle.shift_start_s
    while t <= vehicle.latest_end_s:
        hours.append(problem.hour_at(t, vehicle.start_hub))
        t += 3600
    hours.append(problem.hour_at(vehicle.latest_end_s, vehicle.start_hub))
    unique = sorted(set(hours))
    if len(unique) == 1 or not problem.hubs or not problem.jobs:
        return unique[0]
    # Compare the bands on a real arc of this problem: hub to its farthest-listed stop.
    probe = [problem.points[problem.hubs[vehicle.start_hub].point], problem.points[-1]]

    def travel(hour: int) -> int:
        m = problem.provider.matrix(probe, probe, profile=vehicle.profile, hour=hour)
        return int(m.durations_s[0, 1])

    return max(unique, key=travel)
