"""The synthetic city is reproducible, self-consistent and looks like a real day of parcels."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from lastmile.domain import AccessRule, Channel, InvalidInput, ServiceLevel, Skill, VehicleKind
from lastmile.exchange import Context, Format, Kind, to_rows, write_table
from lastmile.sim.scenario import Scenario, generate

DAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def city() -> Scenario:
    return generate(4000, seed=11, day=DAY)


def files(scenario: Scenario) -> dict[Kind, str]:
    context = Context({h.ref: h.timezone for h in scenario.hubs})
    return {
        kind: write_table(kind, to_rows(kind, scenario.entities(kind), context), Format.CSV)
        for kind in Kind
    }


def test_the_same_seed_gives_byte_identical_files() -> None:
    assert files(generate(300, seed=5, day=DAY)) == files(generate(300, seed=5, day=DAY))


def test_another_seed_gives_another_city() -> None:
    a, b = files(generate(300, seed=5, day=DAY)), files(generate(300, seed=6, day=DAY))
    assert a[Kind.ORDERS] != b[Kind.ORDERS]


@pytest.mark.parametrize("orders", [49, 20_001, 0])
def test_sizes_outside_50_to_20000_are_refused(orders: int) -> None:
    with pytest.raises(InvalidInput) as error:
        generate(orders, seed=1, day=DAY)
    assert error.value.field == "orders"


def test_every_reference_points_at_something_generated(city: Scenario) -> None:
    hubs = {h.ref for h in city.hubs}
    zones = {z.ref for z in city.zones}
    vehicles = {v.ref for v in city.vehicles}
    drivers = {d.ref for d in city.drivers}
    assert all(o.hub_ref in hubs and o.zone_ref in zones for o in city.orders)
    assert all(v.hub_ref in hubs for v in city.vehicles)
    assert all(s.driver_ref in drivers and s.hub_ref in hubs for s in city.shifts)
    assert {s.vehicle_ref for s in city.shifts} - {None} == vehicles


def test_the_core_is_for_cargo_bikes_and_served_from_a_hub_that_has_them(city: Scenario) -> None:
    core = next(z for z in city.zones if z.ref == "Z-CORE")
    assert AccessRule.CARGO_BIKE_ONLY in core.access
    bikes_at = {v.hub_ref for v in city.vehicles if v.kind is VehicleKind.CARGO_BIKE}
    assert core.hub_ref in bikes_at
    assert {o.hub_ref for o in city.orders if o.zone_ref == "Z-CORE"} == {core.hub_ref}


def test_the_centre_is_denser_than_the_suburbs(city: Scenario) -> None:
    zones = Counter(o.zone_ref for o in city.orders)
    suburb_mean = sum(n for z, n in zones.items() if "OUTER" in z) / 4
    assert zones["Z-CORE"] > 2 * suburb_mean


def test_the_order_mix_is_mostly_next_day_checkout_with_some_same_day(city: Scenario) -> None:
    n = len(city.orders)
    channels = Counter(o.channel for o in city.orders)
    levels = Counter(o.service_level for o in city.orders)
    assert 0.5 < channels[Channel.CHECKOUT] / n < 0.62
    assert 0.05 < channels[Channel.RETURN] / n < 0.11
    assert 0.6 < levels[ServiceLevel.NEXT_DAY] / n < 0.8
    assert 0.1 < levels[ServiceLevel.SAME_DAY] / n < 0.25
    assert levels[ServiceLevel.EXPRESS] > 0 and levels[ServiceLevel.SCHEDULED] > 0


def test_windows_fall_on_the_service_day_and_evenings_are_popular(city: Scenario) -> None:
    windows = [o.window for o in city.orders if o.window]
    assert 0.6 < len(windows) / len(city.orders) < 0.9
    assert all(w.start.date() == DAY and w.end.hour <= 22 for w in windows)
    evening = sum(1 for w in windows if w.start.hour >= 16)
    assert evening / len(windows) > 0.4


def test_parcels_have_plausible_sizes_and_some_need_special_handling(city: Scenario) -> None:
    loads = sorted(o.load.weight_g for o in city.orders)
    median = loads[len(loads) // 2]
    assert 500 < median < 4000
    assert all(o.load.parcels >= 1 and o.load.volume_cm3 > 0 for o in city.orders)
    skills = Counter(s for o in city.orders for s in o.skills)
    assert skills and all(count < len(city.orders) * 0.1 for count in skills.values())
    assert any(len(o.items) > 1 for o in city.orders), "grocery orders have several lines"


def test_the_fleet_mixes_vans_evs_and_cargo_bikes_with_a_driver_each(city: Scenario) -> None:
    kinds = Counter(v.kind for v in city.vehicles)
    assert set(kinds) == {VehicleKind.VAN, VehicleKind.EV_VAN, VehicleKind.CARGO_BIKE}
    assert len(city.drivers) > len(city.vehicles)
    assert len(city.shifts) == len(city.drivers)
    assert all(s.start.date() == DAY for s in city.shifts)


def test_larger_cities_get_more_depots() -> None:
    assert len(generate(50, seed=1, day=DAY).hubs) == 2
    assert len(generate(13_000, seed=1, day=DAY).hubs) == 4


def test_the_generated_files_read_back_without_a_single_rejection(city: Scenario) -> None:
    from lastmile.exchange import parse_table, read_table

    context = Context({h.ref: h.timezone for h in city.hubs})
    for kind, text in files(city).items():
        parsed = parse_table(kind, read_table(text, f"{kind}.csv", Format.CSV), context)
        assert not parsed.rejections and not parsed.warnings
        assert len(parsed.records) == len(city.entities(kind))


def test_every_zone_has_a_vehicle_that_may_enter_it_and_carry_cold_goods(city: Scenario) -> None:
    for zone in city.zones:
        fleet = [v for v in city.vehicles if v.hub_ref == zone.hub_ref and v.may_enter(zone.access)]
        assert fleet, zone.ref
        assert any(Skill.REFRIGERATED in v.equipment for v in fleet), zone.ref
