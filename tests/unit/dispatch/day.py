"""Small days in planning units: one hub in Berlin, stops on rings, vans with shifts."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime

from lastmile.dispatch.state import DayState, advance
from lastmile.domain import Coordinate, VehicleKind
from lastmile.geo.haversine import HaversineProvider
from lastmile.geo.travel import Profile
from lastmile.planning.assemble import assemble
from lastmile.planning.problem import HubSpec, Job, PlanningProblem, VehicleSpec
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.solver import PlanResult, RoutePlan, SolveOptions

ORIGIN = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
CENTRE = Coordinate(52.52, 13.40)
HOUR = 3600


def point(km_east: float, km_north: float) -> Coordinate:
    lat = CENTRE.lat + km_north / 111.2
    lon = CENTRE.lon + km_east / (111.2 * math.cos(math.radians(CENTRE.lat)))
    return Coordinate(lat, lon)


def job(ref: str, where: int, window: tuple[int, int] | None = None) -> Job:
    windows = (window,) if window else ()
    return Job(ref=ref, point=where, windows=windows, service_s=120, demand=(1000, 0, 1), hub=0)


def van(ref: str, start_h: float = 2, end_h: float = 12, capacity: int = 60) -> VehicleSpec:
    return VehicleSpec(
        ref=ref,
        kind=VehicleKind.VAN,
        profile=Profile.CAR,
        start_hub=0,
        end_hub=0,
        capacity=(10**9, 10**9, capacity),
        shift_start_s=int(start_h * HOUR),
        shift_end_s=int(end_h * HOUR),
        cost_per_km_cents=30,
        cost_per_hour_cents=2000,
        fixed_cost_cents=5000,
        driver_ref=f"driver-{ref}",
    )


def day(stops: int = 24, vans: int = 3, seed: int = 0, windows: bool = False) -> PlanningProblem:
    """``stops`` stops spread on three rings around the hub; wide windows if asked."""
    points = [CENTRE]
    jobs = []
    for i in range(stops):
        angle = 2 * math.pi * (i * 7 + seed) / stops
        radius = 2.0 + (i + seed) % 3 * 2.5
        points.append(point(radius * math.cos(angle), radius * math.sin(angle)))
        window = (2 * HOUR + (i % 4) * 2 * HOUR, 6 * HOUR + (i % 4) * 2 * HOUR) if windows else None
        jobs.append(job(f"S{i:03d}", i + 1, window))
    return PlanningProblem(
        origin=ORIGIN,
        points=tuple(points),
        hubs=(HubSpec("H1", 0, 0, 16 * HOUR, "Europe/Berlin"),),
        jobs=tuple(jobs),
        vehicles=tuple(van(f"V{n}") for n in range(vans)),
        provider=HaversineProvider(),
    )


def quick(seconds: float = 0.3) -> SolveOptions:
    return SolveOptions(time_limit_s=seconds, workers=1, seed=1)


def plan(problem: PlanningProblem, seconds: float = 0.3) -> PlanResult:
    return PyVRPSolver().solve(problem, quick(seconds))


def hand_made_day(at_h: float) -> DayState:
    """A day whose routes were sequenced by hand (by stop number), so better orders exist."""
    problem = day(36, 3)
    problem = replace(
        problem,
        vehicles=tuple(replace(v, capacity=(10**9, 10**9, 12)) for v in problem.vehicles),
    )
    plans = [RoutePlan(v, (tuple(range(v, len(problem.jobs), 3)),)) for v in range(3)]
    routes, dropped = assemble(problem, plans)
    return advance(problem, PlanResult(problem.origin, routes, dropped), int(at_h * HOUR))
