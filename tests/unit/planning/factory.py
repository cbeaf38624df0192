"""Tiny named planning fixtures: a hub in Berlin, stops around it, vans and shifts."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from lastmile.domain import (
    AccessRule,
    Address,
    Coordinate,
    Driver,
    Hub,
    Load,
    Shift,
    Skill,
    Stop,
    StopKind,
    TimeWindow,
    Vehicle,
    VehicleKind,
)
from lastmile.geo.haversine import HaversineProvider
from lastmile.planning.build import build_problem
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.solver import PlanResult, SolveOptions
from lastmile.planning.validate import check

DAY = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
CENTRE = Coordinate(52.52, 13.40)


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def hub(ref: str = "H1", where: Coordinate = CENTRE) -> Hub:
    return Hub(ref=ref, name=ref, location=where, timezone="Europe/Berlin")


def point(km_east: float, km_north: float, centre: Coordinate = CENTRE) -> Coordinate:
    lat = centre.lat + km_north / 111.2
    lon = centre.lon + km_east / (111.2 * math.cos(math.radians(centre.lat)))
    return Coordinate(lat, lon)


def ring(n: int, radius_km: float = 3.0) -> list[Coordinate]:
    return [
        point(radius_km * math.cos(2 * math.pi * i / n), radius_km * math.sin(2 * math.pi * i / n))
        for i in range(n)
    ]


def stop(
    ref: str,
    where: Coordinate,
    *,
    window: tuple[float, float] | None = None,
    windows: Sequence[tuple[float, float]] = (),
    service_s: int = 120,
    parcels: int = 1,
    weight_g: int = 1000,
    skills: frozenset[Skill] = frozenset(),
    kind: StopKind = StopKind.DELIVERY,
    required: bool = True,
    priority: int = 0,
    ready_h: float | None = None,
) -> Stop:
    spans = [window] if window else list(windows)
    return Stop(
        ref=ref,
        kind=kind,
        location=Address(raw=ref, coordinate=where),
        windows=tuple(TimeWindow(at(a), at(b)) for a, b in spans),
        service_s=service_s,
        load=Load(weight_g=weight_g, parcels=parcels),
        skills=skills,
        required=required,
        priority=priority,
        ready_at=at(ready_h) if ready_h is not None else None,
    )


def van(ref: str = "V1", hub_ref: str = "H1", parcels: int = 100, **kw: object) -> Vehicle:
    kw.setdefault("kind", VehicleKind.VAN)
    kw.setdefault("capacity", Load(weight_g=500_000, parcels=parcels))
    kw.setdefault("cost_per_km_cents", 30)
    kw.setdefault("cost_per_hour_cents", 2000)
    return Vehicle(ref=ref, hub_ref=hub_ref, **kw)  # type: ignore[arg-type]


def shift(ref: str, vehicle: str, hours: tuple[float, float] = (0, 9), **kw: object) -> Shift:
    return Shift(
        ref=ref,
        driver_ref=f"D-{ref}",
        hub_ref=str(kw.pop("hub_ref", "H1")),
        start=at(hours[0]),
        end=at(hours[1]),
        vehicle_ref=vehicle,
        **kw,
    )  # type: ignore[arg-type]


def driver(ref: str, **kw: object) -> Driver:
    return Driver(ref=ref, name=ref, **kw)  # type: ignore[arg-type]


def problem(
    stops: Sequence[Stop],
    vehicles: Sequence[Vehicle],
    *,
    hubs: Sequence[Hub] | None = None,
    shifts: Sequence[Shift] = (),
    drivers: Sequence[Driver] = (),
    stop_hubs: Mapping[str, str] | None = None,
    access: Mapping[str, frozenset[AccessRule]] | None = None,
    day: tuple[float, float] = (0, 10),
) -> PlanningProblem:
    return build_problem(
        stops,
        hubs or [hub()],
        vehicles,
        provider=HaversineProvider(),
        day=None if shifts else TimeWindow(at(day[0]), at(day[1])),
        shifts=shifts,
        drivers=drivers,
        stop_hubs=stop_hubs,
        access=access,
    )


def solve(p: PlanningProblem, seconds: float = 0.4, seed: int = 1) -> PlanResult:
    """Plan and insist the independent checker finds nothing wrong."""
    result = PyVRPSolver().solve(p, SolveOptions(time_limit_s=seconds, seed=seed, workers=1))
    violations = check(p, result.routes, result.unassigned)
    assert violations == [], [str(v) for v in violations]
    return result


def reasons(result: PlanResult) -> dict[str, str]:
    return {u.ref: u.reason.value for u in result.unassigned}


def served(result: PlanResult) -> dict[str, str]:
    return {v.ref: r.vehicle_ref for r in result.routes for v in r.visits}
