"""Each constraint a dispatcher relies on is honoured, and the checker agrees on every plan."""

from __future__ import annotations

from dataclasses import replace

from lastmile.domain import (
    AccessRule,
    BreakRule,
    HoursOfService,
    Load,
    Skill,
    StopKind,
    VehicleKind,
    stop_for_order,
)
from tests.unit.planning import factory as f


def test_every_stop_is_served_within_its_time_window() -> None:
    stops = [f.stop(f"s{i}", c, window=(1 + i % 3, 3 + i % 3)) for i, c in enumerate(f.ring(12))]
    result = f.solve(f.problem(stops, [f.van("V1"), f.van("V2")]))
    assert len(f.served(result)) == 12
    for visit in (v for r in result.routes for v in r.visits):
        i = int(visit.ref[1:])
        assert (1 + i % 3) * 3600 <= visit.service_start_s <= (3 + i % 3) * 3600


def test_a_window_nobody_can_reach_is_reported_as_time_window() -> None:
    far = f.stop("late", f.point(20, 0), window=(0, 0.05))
    result = f.solve(f.problem([far, f.stop("ok", f.point(1, 1))], [f.van()]))
    assert f.reasons(result) == {"late": "time_window"}


def test_a_stop_with_two_windows_is_served_in_one_of_them() -> None:
    two = f.stop("two", f.point(2, 0), windows=[(0, 0.02), (4, 5)])
    result = f.solve(f.problem([two], [f.van()]))
    (visit,) = [v for r in result.routes for v in r.visits]
    assert 4 * 3600 <= visit.service_start_s <= 5 * 3600


def test_loads_never_exceed_any_capacity_dimension() -> None:
    stops = [f.stop(f"s{i}", c, parcels=2, weight_g=30_000) for i, c in enumerate(f.ring(10))]
    vans = [f.van(f"V{k}", capacity=Load(weight_g=100_000, parcels=50)) for k in range(4)]
    result = f.solve(f.problem(stops, vans))
    assert len(f.served(result)) == 10
    assert all(max(load[0] for load in r.departure_loads) <= 100_000 for r in result.routes)
    assert len(result.routes) >= 3  # weight, not parcels, is what binds


def test_a_parcel_larger_than_every_vehicle_is_reported_as_capacity() -> None:
    big = f.stop("big", f.point(1, 0), parcels=500)
    result = f.solve(f.problem([big], [f.van(parcels=100)]))
    assert f.reasons(result) == {"big": "capacity"}


def test_service_time_defaults_by_address_type() -> None:
    from lastmile.domain import Address, AddressType, Order

    order = Order(ref="o1", hub_ref="H1",
                  address=Address(raw="x", coordinate=f.point(1, 1),
                                  address_type=AddressType.APARTMENT))  # fmt: skip
    result = f.solve(f.problem([stop_for_order(order)], [f.van()]))
    (visit,) = result.routes[0].visits
    assert visit.departure_s - visit.service_start_s == 240


def test_routes_end_within_the_shift_and_what_does_not_fit_is_shift() -> None:
    stops = [f.stop(f"s{i}", c, service_s=1200) for i, c in enumerate(f.ring(10, 4))]
    shifts = [f.shift("S1", "V1", (0, 1.5))]
    result = f.solve(f.problem(stops, [f.van("V1")], shifts=shifts))
    assert result.routes and result.routes[0].end_s <= 1.5 * 3600
    assert set(f.reasons(result).values()) <= {"shift"}
    assert len(f.reasons(result)) >= 5


def test_overtime_lets_a_route_run_past_the_shift_at_a_cost() -> None:
    stops = [f.stop(f"s{i}", c, service_s=900) for i, c in enumerate(f.ring(6, 3))]
    base = f.shift("S1", "V1", (0, 1.0), max_overtime_s=3 * 3600,
                   overtime_cost_per_hour_cents=5000)  # fmt: skip
    result = f.solve(f.problem(stops, [f.van("V1")], shifts=[base]))
    (route,) = result.routes
    assert len(route.visits) == 6 and route.end_s > 3600 and route.overtime_s > 0


def test_skilled_stops_go_only_to_equipped_vehicles_and_unskilled_fleets_say_skill() -> None:
    cold = f.stop("cold", f.point(1, 0), skills=frozenset({Skill.REFRIGERATED}))
    adult = f.stop("adult", f.point(0, 1), skills=frozenset({Skill.AGE_CHECK}))
    vans = [f.van("plain"), f.van("fridge", equipment=frozenset({Skill.REFRIGERATED}))]
    result = f.solve(f.problem([cold, adult, f.stop("any", f.point(1, 1))], vans))
    assert f.served(result)["cold"] == "fridge"
    assert f.reasons(result) == {"adult": "skill"}


def test_zone_rules_keep_vans_out_of_cargo_bike_zones() -> None:
    inner = f.stop("inner", f.point(0.5, 0.5))
    rules = {"inner": frozenset({AccessRule.CARGO_BIKE_ONLY})}
    bike = f.van("bike", kind=VehicleKind.CARGO_BIKE, capacity=Load(parcels=20))
    result = f.solve(f.problem([inner], [f.van("van"), bike], access=rules))
    assert f.served(result) == {"inner": "bike"}
    alone = f.solve(f.problem([inner], [f.van("van")], access=rules))
    assert f.reasons(alone) == {"inner": "access"}


def test_electric_vans_stay_within_range() -> None:
    stops = [f.stop("near", f.point(1, 0)), f.stop("far", f.point(15, 0))]
    ev = f.van("ev", kind=VehicleKind.EV_VAN, range_m=10_000)
    result = f.solve(f.problem(stops, [ev]))
    assert f.reasons(result) == {"far": "range"}
    assert all(r.distance_m <= 10_000 for r in result.routes)


def test_a_long_day_gets_a_break_within_the_working_time_rule() -> None:
    stops = [f.stop(f"s{i}", c, service_s=900) for i, c in enumerate(f.ring(30, 3))]
    rule = BreakRule(after_work_s=4 * 3600 + 1800, duration_s=1800)
    shifts = [f.shift("S1", "V1", (0, 10))]
    drivers = [f.driver("D-S1", break_rule=rule)]
    result = f.solve(f.problem(stops, [f.van("V1")], shifts=shifts, drivers=drivers), 1.0)
    (route,) = result.routes
    assert route.duration_s > rule.after_work_s
    assert route.breaks and all(b.end_s - b.start_s == 1800 for b in route.breaks)


def test_parcels_are_not_delivered_before_they_are_ready_at_the_hub() -> None:
    stops = [f.stop("early", f.point(1, 0)), f.stop("ready3", f.point(-1, 0), ready_h=3)]
    result = f.solve(f.problem(stops, [f.van("V1"), f.van("V2")]))
    visits = {v.ref: v for r in result.routes for v in r.visits}
    assert visits["ready3"].arrival_s > 3 * 3600


def test_optional_stops_far_away_are_deferred_not_failed() -> None:
    stops = [f.stop("core", f.point(1, 0)), f.stop("maybe", f.point(30, 0), required=False)]
    result = f.solve(f.problem(stops, [f.van()]))
    assert "core" in f.served(result)
    assert f.reasons(result) == {"maybe": "deferred"}


def test_each_hub_delivers_only_its_own_parcels() -> None:
    east = f.hub("E", f.point(5, 0))
    stops = [f.stop(f"w{i}", f.point(-1, i - 1)) for i in range(3)]
    stops += [f.stop(f"e{i}", f.point(4, i - 1)) for i in range(3)]
    owners = {s.ref: ("E" if s.ref.startswith("w") else "H1") for s in stops}
    vans = [f.van("west"), f.van("east", hub_ref="E")]
    result = f.solve(f.problem(stops, vans, hubs=[f.hub(), east], stop_hubs=owners))
    assert all(
        (vehicle == "east") == ref.startswith("w") for ref, vehicle in f.served(result).items()
    )


def test_returns_are_picked_up_and_the_load_grows() -> None:
    stops = [
        f.stop("ret", f.point(2, 0), kind=StopKind.PICKUP, parcels=3),
        f.stop("d", f.point(1, 0)),
    ]
    result = f.solve(f.problem(stops, [f.van()]))
    visits = {v.ref: v for r in result.routes for v in r.visits}
    assert visits["ret"].load_after[2] >= 3


def test_small_vehicles_reload_at_the_hub() -> None:
    stops = [f.stop(f"s{i}", c) for i, c in enumerate(f.ring(9, 1.5))]
    bike = f.van("bike", kind=VehicleKind.CARGO_BIKE, capacity=Load(parcels=3))
    result = f.solve(f.problem(stops, [bike]), 1.0)
    (route,) = result.routes
    assert len(route.visits) == 9 and len({v.trip for v in route.visits}) == 3


def test_a_high_fixed_cost_makes_the_plan_use_fewer_vehicles() -> None:
    stops = [f.stop(f"s{i}", c) for i, c in enumerate(f.ring(10, 3))]
    cheap = f.solve(f.problem(stops, [f.van(f"V{k}", parcels=5) for k in range(4)]))
    costly = [f.van(f"V{k}", parcels=10, fixed_cost_cents=100_000) for k in range(4)]
    result = f.solve(f.problem(stops, costly))
    assert len(result.routes) == 1 and len(cheap.routes) >= 2
    assert result.cost_cents >= 100_000


def test_without_vehicles_every_stop_is_reported_no_vehicle() -> None:
    result = f.solve(f.problem([f.stop("a", f.point(1, 0))], []))
    assert f.reasons(result) == {"a": "no_vehicle"}


def test_each_leg_is_timed_with_the_band_of_the_hour_it_starts_in() -> None:
    from lastmile.geo.travel import Profile

    stops = [f.stop(f"s{i}", c, window=(1 + i, 1.5 + i)) for i, c in enumerate(f.ring(4, 5))]
    p = f.problem(stops, [f.van()])
    result = f.solve(p)
    (route,) = result.routes
    slowest = p.plan_hour(p.vehicles[0])
    for visit, prev in zip(route.visits[1:], route.visits, strict=False):
        a, b = p.points[p.jobs[prev.job].point], p.points[p.jobs[visit.job].point]
        hour = p.hour_at(prev.departure_s)
        now = p.provider.matrix([a, b], [a, b], profile=Profile.CAR, hour=hour)
        planned = p.provider.matrix([a, b], [a, b], profile=Profile.CAR, hour=slowest)
        assert visit.arrival_s - prev.departure_s == now.durations_s[0, 1]
        assert now.durations_s[0, 1] <= planned.durations_s[0, 1]


def test_a_shipment_is_picked_up_before_it_is_delivered_by_the_same_vehicle() -> None:
    from dataclasses import replace

    shop = f.stop("shop", f.point(3, 0), kind=StopKind.PICKUP, parcels=2, window=(1, 3))
    home = replace(f.stop("home", f.point(-3, 1), parcels=2, window=(2, 6)), pickup_ref="shop")
    others = [f.stop(f"s{i}", c) for i, c in enumerate(f.ring(6, 2))]
    result = f.solve(f.problem([shop, home, *others], [f.van("V1"), f.van("V2")]), 1.0)
    routes = {v.ref: (r.vehicle_ref, n) for r in result.routes for n, v in enumerate(r.visits)}
    assert routes["shop"][0] == routes["home"][0] and routes["shop"][1] < routes["home"][1]


def test_a_driver_already_at_work_cannot_save_working_time_by_leaving_later() -> None:
    # one hour of work allowed; the only stop opens two hours into the shift
    late = f.stop("late", f.point(1, 0), window=(2.0, 2.5), service_s=300)
    hours = HoursOfService(max_work_s=3600, max_driving_s=3600)
    shifts = [f.shift("S1", "V1", (0, 9))]
    drivers = [f.driver("D-S1", hours=hours, break_rule=None)]
    fresh = f.problem([late], [f.van("V1")], shifts=shifts, drivers=drivers)
    # before the shift starts the van may leave just in time, so the stop fits the hour
    assert f.served(f.solve(fresh)) == {"late": "V1"}
    # mid-shift (a re-plan) the clock already runs: waiting two hours is working two hours
    working = replace(fresh, vehicles=tuple(replace(v, on_duty=True) for v in fresh.vehicles))
    result = f.solve(working)
    assert f.reasons(result) == {"late": "shift"}
