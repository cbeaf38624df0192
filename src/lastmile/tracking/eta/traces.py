"""Synthetic delivery days with realistic noise, until the simulator issue provides real ones.

Each route leaves the hub, visits a cluster of stops in nearest-neighbour order and meets
the kinds of error that make plain route ETAs wrong in practice:

- zones slower or faster than the speed profile (a dense core, an open periphery);
- a morning and evening peak stronger than the provider's congestion curve for motor
  vehicles (bikes do not care);
- per-driver pace for the day, so a route running late tends to stay late;
- service times by address type that differ from the planning defaults (stairs in
  apartment blocks), lognormal, with occasional very long stops;
- leg-to-leg noise.

A trace records, at the hub departure and at every departure from a stop, the route-based
ETA of every remaining stop, the features of :mod:`features` and the actual arrival.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from lastmile.domain.enums import AddressType, VehicleKind
from lastmile.domain.order import DEFAULT_SERVICE_S
from lastmile.domain.values import Coordinate
from lastmile.geo.haversine import HaversineProvider
from lastmile.geo.travel import PROFILE_OF_KIND
from lastmile.tracking.eta.features import RouteContext, feature_rows
from lastmile.tracking.eta.route import RemainingStop, route_etas

CENTRE = Coordinate(48.8566, 2.3522)
ZONES = ("core", "inner-n", "inner-s", "outer-n", "outer-s")
ZONE_SLOWDOWN = {"core": 1.45, "inner-n": 1.15, "inner-s": 1.25, "outer-n": 0.92, "outer-s": 1.0}
ACTUAL_SERVICE_S = {
    AddressType.HOUSE: 140, AddressType.APARTMENT: 330, AddressType.BUSINESS: 210,
    AddressType.LOCKER: 55, AddressType.UNKNOWN: 200,
}  # fmt: skip
KINDS = (VehicleKind.VAN, VehicleKind.EV_VAN, VehicleKind.CARGO_BIKE)
ZONE_CODES = {z: i for i, z in enumerate(ZONES)}


@dataclass
class TraceSet:
    """Training rows: features, the route ETA error target, and bookkeeping per row."""

    features: npt.NDArray[np.float64]
    error_s: npt.NDArray[np.float64]
    day: npt.NDArray[np.int64]
    route: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.error_s)

    def select(self, mask: npt.NDArray[np.bool_]) -> TraceSet:
        return TraceSet(self.features[mask], self.error_s[mask], self.day[mask], self.route[mask])


def _zone_of(location: Coordinate) -> str:
    km = CENTRE.distance_m(location) / 1000
    north = location.lat >= CENTRE.lat
    if km < 2.0:
        return "core"
    return ("inner-" if km < 5.0 else "outer-") + ("n" if north else "s")


def _stops(rng: np.random.Generator, count: int, day: int, route: int) -> list[RemainingStop]:
    bearing = rng.uniform(0, 2 * math.pi)
    radius_km = rng.uniform(0.5, 7.0)
    centre_lat = CENTRE.lat + radius_km / 111.2 * math.cos(bearing)
    centre_lon = CENTRE.lon + radius_km / 73.0 * math.sin(bearing)
    types = list(AddressType)
    weights = np.array([0.35, 0.4, 0.15, 0.05, 0.05])
    stops = []
    for i in range(count):
        loc = Coordinate(
            centre_lat + rng.normal(0, 1.2) / 111.2, centre_lon + rng.normal(0, 1.2) / 73.0
        )
        kind = types[int(rng.choice(len(types), p=weights))]
        stops.append(
            RemainingStop(
                f"d{day}-r{route}-s{i}", loc, DEFAULT_SERVICE_S[kind.value],
                (f"d{day}-r{route}-o{i}",), None, kind, _zone_of(loc),
            )
        )  # fmt: skip
    return _nearest_neighbour(stops)


def _nearest_neighbour(stops: list[RemainingStop]) -> list[RemainingStop]:
    tour, left, here = [], list(stops), CENTRE
    while left:
        best = min(range(len(left)), key=lambda i: here.distance_m(left[i].location))
        here = left[best].location
        tour.append(left.pop(best))
    return tour


def _actual_factor(rng: np.random.Generator, kind: VehicleKind, zone: str, hour: int) -> float:
    """Actual over planned travel time for one leg."""
    if kind is VehicleKind.CARGO_BIKE:
        base = 0.9 if zone == "core" else 1.05
    else:
        peak = 1.18 if hour in (7, 8, 16, 17) else 1.0
        base = ZONE_SLOWDOWN[zone] * peak
    return float(base * rng.lognormal(0.0, 0.22))


def _actual_service(rng: np.random.Generator, stop: RemainingStop) -> float:
    mean = ACTUAL_SERVICE_S[stop.address_type]
    long = 3.0 if rng.random() < 0.03 else 1.0
    return float(mean * long * rng.lognormal(-0.08, 0.4))


@dataclass(frozen=True)
class SimulatedRoute:
    kind: VehicleKind
    stops: list[RemainingStop]
    start: datetime
    planned_departures: list[datetime]
    arrivals: list[datetime]
    departures: list[datetime]


def simulate_route(
    rng: np.random.Generator, provider: HaversineProvider, day: int, route: int, stops: int
) -> SimulatedRoute:
    """One route's plan and what actually happened on it."""
    kind = KINDS[int(rng.integers(len(KINDS)))]
    profile = PROFILE_OF_KIND[kind]
    start = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(days=day, hours=float(rng.uniform(7, 10)))
    planned_stops = _stops(rng, stops, day, route)
    plan = route_etas(CENTRE, start, planned_stops, provider, profile=profile)
    pace = float(rng.lognormal(0.0, 0.1))
    clock, arrivals, departures = start, [], []
    for stop, leg in zip(planned_stops, plan, strict=True):
        factor = _actual_factor(rng, kind, stop.zone_ref, clock.hour) * pace
        clock += timedelta(seconds=leg.travel_s * factor)
        arrivals.append(clock)
        clock += timedelta(seconds=_actual_service(rng, stop))
        departures.append(clock)
    return SimulatedRoute(
        kind, planned_stops, start, [e.departure for e in plan], arrivals, departures
    )


def route_rows(
    sim: SimulatedRoute, provider: HaversineProvider
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Features and route-ETA errors at the start and at every departure from a stop."""
    profile = PROFILE_OF_KIND[sim.kind]
    features, errors = [], []
    for j in range(-1, len(sim.stops) - 1):
        now = sim.start if j < 0 else sim.departures[j]
        here = CENTRE if j < 0 else sim.stops[j].location
        delay = 0.0 if j < 0 else (now - sim.planned_departures[j]).total_seconds()
        remaining = sim.stops[j + 1 :]
        etas = route_etas(here, now, remaining, provider, profile=profile)
        context = RouteContext(sim.kind, delay)
        features.append(feature_rows(now, remaining, etas, context, ZONE_CODES))
        actual = sim.arrivals[j + 1 :]
        errors.append(
            np.array([(a - e.eta).total_seconds() for a, e in zip(actual, etas, strict=True)])
        )
    return np.vstack(features), np.concatenate(errors)


def generate(
    days: int, routes_per_day: int = 12, *, seed: int = 0, stops: tuple[int, int] = (20, 50)
) -> TraceSet:
    """Rows for ``days`` simulated days; the same seed gives the same rows."""
    rng = np.random.default_rng(seed)
    provider = HaversineProvider()
    features, errors, day_of, route_of = [], [], [], []
    for day in range(days):
        for route in range(routes_per_day):
            count = int(rng.integers(stops[0], stops[1] + 1))
            x, y = route_rows(simulate_route(rng, provider, day, route, count), provider)
            features.append(x)
            errors.append(y)
            day_of.append(np.full(len(y), day, dtype=np.int64))
            route_of.append(np.full(len(y), day * routes_per_day + route, dtype=np.int64))
    return TraceSet(
        np.vstack(features),
        np.concatenate(errors),
        np.concatenate(day_of),
        np.concatenate(route_of),
    )
