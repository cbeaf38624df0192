"""A seeded, reproducible synthetic city: hubs, zones, fleet, drivers, shifts and a day of orders.

The scenario is written as the same import files a user would give (``lastmile import``), so
the demo and the tests exercise the real import path. The same seed and day give
byte-identical files.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from lastmile.domain import (
    Coordinate,
    Driver,
    Employment,
    GeocodePrecision,
    Hub,
    InvalidInput,
    Load,
    OpeningHours,
    Order,
    Shift,
    Skill,
    Vehicle,
    VehicleKind,
    Zone,
)
from lastmile.exchange import Context, Format, Kind, to_rows, write_table
from lastmile.sim.city import City, sample_customers
from lastmile.sim.demand import Placement, orders_for_day
from lastmile.sim.names import FIRST_NAMES, LAST_NAMES, STREET_NAMES
from lastmile.sim.streets import Streets, read_streets, snap

MIN_ORDERS, MAX_ORDERS = 50, 20_000

#: Per kind: capacity, range, cost per km and hour (cents), fixed cost, CO2 g/km, stops a day.
FLEET = {
    VehicleKind.VAN: (Load(1_200_000, 12_000_000, 150), None, 32, 2_600, 4_000, 210.0, 110),
    VehicleKind.EV_VAN: (Load(900_000, 9_000_000, 120), 200_000, 12, 2_600, 5_000, 0.0, 100),
    VehicleKind.CARGO_BIKE: (Load(150_000, 1_200_000, 40), 60_000, 3, 2_300, 800, 0.0, 55),
}
SHIFT_STARTS = {7: 0.35, 8: 0.25, 10: 0.15, 12: 0.10, 14: 0.15}
SHIFT_HOURS = {
    Employment.EMPLOYEE: 8,
    Employment.PART_TIME: 5,
    Employment.GIG: 6,
    Employment.CONTRACTOR: 9,
}
EMPLOYMENT = {
    Employment.EMPLOYEE: 0.6,
    Employment.PART_TIME: 0.15,
    Employment.GIG: 0.2,
    Employment.CONTRACTOR: 0.05,
}


@dataclass
class Scenario:
    city: City
    day: date
    hubs: list[Hub] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    drivers: list[Driver] = field(default_factory=list)
    shifts: list[Shift] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)

    def entities(self, kind: Kind) -> list[object]:
        return list(getattr(self, kind.value))


def generate(
    orders: int, seed: int, day: date, *, osm: Path | None = None, city: City | None = None
) -> Scenario:
    """A city with ``orders`` orders for ``day``; customers on the streets of ``osm`` if given."""
    if not MIN_ORDERS <= orders <= MAX_ORDERS:
        raise InvalidInput(
            f"must be between {MIN_ORDERS} and {MAX_ORDERS:,}, got {orders}", field="orders"
        )
    base = city or City()
    streets = read_streets(osm) if osm else None
    place = streets.city_around(base) if streets else base
    rng, py_rng = np.random.default_rng(seed), random.Random(seed)
    scenario = Scenario(place, day)
    scenario.hubs = _hubs(place, orders, streets)
    hub_for = _hub_for_zones(place, scenario.hubs)
    scenario.zones = place.zones(hub_for)
    placements = _placements(place, rng, orders, hub_for, streets)
    scenario.orders = orders_for_day(place, placements, day, py_rng)
    _fleet(scenario, py_rng)
    return scenario


def _hubs(city: City, orders: int, streets: Streets | None) -> list[Hub]:
    """A cargo-bike micro-hub in the centre and one to three depots on the edge of town."""
    sites = [
        ("HUB-CENTRE", "Centre micro-hub", 0.03, -90.0),
        ("HUB-NORTH", "North depot", 0.55, 0.0),
    ]
    if orders > 5_000:
        sites.append(("HUB-EAST", "East depot", 0.5, 75.0))
    if orders > 12_000:
        sites.append(("HUB-WEST", "West depot", 0.5, -75.0))
    hubs = []
    for ref, name, share, bearing in sites:
        location = city.point(city.outer_radius_m * share, bearing)
        if streets is not None:
            lat, lon, _ = snap(
                streets, city, city.to_xy(np.array([location.lat]), np.array([location.lon]))
            )
            location = Coordinate(round(float(lat[0]), 7), round(float(lon[0]), 7))
        hours = OpeningHours.every_day(time(6), time(22))
        hubs.append(Hub(ref, f"{city.name} {name}", location, city.timezone, hours))
    return hubs


def _hub_for_zones(city: City, hubs: list[Hub]) -> dict[str, str]:
    """Core and inner zones from the micro-hub; each suburb from its nearest depot."""
    depots = [h for h in hubs if h.ref != "HUB-CENTRE"]
    refs = {"Z-CORE": "HUB-CENTRE"}
    for index, sector in enumerate(("N", "E", "S", "W")):
        refs[f"Z-INNER-{sector}"] = "HUB-CENTRE"
        middle = city.point((city.inner_radius_m + city.outer_radius_m) / 2, index * 90.0)
        nearest = min(depots, key=lambda h: h.location.distance_m(middle))
        refs[f"Z-OUTER-{sector}"] = nearest.ref
    return refs


def _placements(
    city: City,
    rng: np.random.Generator,
    count: int,
    hub_for: dict[str, str],
    streets: Streets | None,
) -> list[Placement]:
    xy = sample_customers(city, rng, count)
    if streets is not None:
        lat, lon, names = snap(streets, city, xy)
        xy = city.to_xy(lat, lon)
    else:
        lat, lon = city.to_coordinates(xy)
        names = [STREET_NAMES[i] for i in rng.integers(0, len(STREET_NAMES), count)]
    zones = city.zone_refs(xy)
    precision = GeocodePrecision.STREET if streets is not None else GeocodePrecision.ROOFTOP
    return [
        Placement(
            Coordinate(round(float(a), 6), round(float(o), 6)),
            str(z),
            hub_for[str(z)],
            n,
            precision,
        )
        for a, o, z, n in zip(lat, lon, zones, names, strict=True)
    ]


def _fleet(scenario: Scenario, rng: random.Random) -> None:
    """Vehicles sized to each hub's orders, a driver per vehicle plus spares, one shift each."""
    per_hub = Counter(o.hub_ref for o in scenario.orders)
    for hub in scenario.hubs:
        kinds = _vehicle_kinds(hub.ref, per_hub[hub.ref])
        for number, kind in enumerate(kinds, start=1):
            scenario.vehicles.append(
                _vehicle(f"{hub.ref[4:]}-{kind.value.upper()}-{number:03d}", kind, hub, number)
            )
        vehicles = [v for v in scenario.vehicles if v.hub_ref == hub.ref]
        spares = math.ceil(len(vehicles) * 0.1)
        for number in range(1, len(vehicles) + spares + 1):
            driver = _driver(f"D-{hub.ref[4:]}-{number:03d}", hub, rng)
            scenario.drivers.append(driver)
            vehicle = vehicles[number - 1] if number <= len(vehicles) else None
            scenario.shifts.append(_shift(driver, hub, vehicle, scenario.day, rng))


def _vehicle_kinds(hub_ref: str, orders: int) -> list[VehicleKind]:
    if hub_ref == "HUB-CENTRE":
        bikes = max(1, math.ceil(orders * 0.45 / FLEET[VehicleKind.CARGO_BIKE][6]))
        evs = max(1, math.ceil(orders * 0.55 / FLEET[VehicleKind.EV_VAN][6]))
        return [VehicleKind.CARGO_BIKE] * bikes + [VehicleKind.EV_VAN] * evs
    total = max(1, math.ceil(orders / FLEET[VehicleKind.VAN][6]))
    evs = round(total * 0.4)
    return [VehicleKind.VAN] * (total - evs) + [VehicleKind.EV_VAN] * evs


def _vehicle(ref: str, kind: VehicleKind, hub: Hub, number: int) -> Vehicle:
    capacity, range_m, per_km, per_hour, fixed, co2, _ = FLEET[kind]
    # Some vans and some bikes (an insulated box) carry groceries, so every zone can get them.
    cold = number % (4 if kind is VehicleKind.CARGO_BIKE else 6) == 1
    return Vehicle(
        ref,
        kind,
        hub.ref,
        capacity,
        range_m=range_m,
        cost_per_km_cents=per_km,
        cost_per_hour_cents=per_hour,
        fixed_cost_cents=fixed,
        co2_g_per_km=co2,
        equipment=frozenset({Skill.REFRIGERATED}) if cold else frozenset(),
    )


def _driver(ref: str, hub: Hub, rng: random.Random) -> Driver:
    employment = Employment(rng.choices(list(EMPLOYMENT), weights=list(EMPLOYMENT.values()))[0])
    skills = {
        s
        for s, p in ((Skill.AGE_CHECK, 0.4), (Skill.TWO_PERSON, 0.15), (Skill.HAZMAT, 0.05))
        if rng.random() < p
    }
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    phone = f"+35850{rng.randint(1_000_000, 9_999_999)}"
    return Driver(ref, name, employment, frozenset(skills), phone=phone, hub_ref=hub.ref)


def _shift(
    driver: Driver, hub: Hub, vehicle: Vehicle | None, day: date, rng: random.Random
) -> Shift:
    start_hour = rng.choices(list(SHIFT_STARTS), weights=list(SHIFT_STARTS.values()))[0]
    start = datetime.combine(day, time(start_hour), tzinfo=ZoneInfo(hub.timezone))
    hours = SHIFT_HOURS[driver.employment]
    return Shift(
        f"S-{day:%Y%m%d}-{driver.ref[2:]}",
        driver.ref,
        hub.ref,
        start,
        start + timedelta(hours=hours),
        vehicle_ref=vehicle.ref if vehicle else None,
        max_overtime_s=1800 if hours >= 8 else 0,
        overtime_cost_per_hour_cents=3_900,
    )


def write_scenario(scenario: Scenario, out: Path, fmt: Format = Format.CSV) -> list[Path]:
    """Write one import file per kind into ``out``, in import order; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    context = Context({h.ref: h.timezone for h in scenario.hubs})
    paths = []
    for kind in Kind:
        path = out / f"{kind.value}.{fmt.value}"
        text = write_table(kind, to_rows(kind, scenario.entities(kind), context), fmt)
        path.write_text(text, encoding="utf-8", newline="")
        paths.append(path)
    return paths
