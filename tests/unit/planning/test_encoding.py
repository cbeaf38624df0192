"""The numbers PyVRP is given: prizes that make required stops worth any detour."""

from __future__ import annotations

from lastmile.planning.encoding import MILLI, plain_vrptw, stop_prizes, unit_costs
from tests.unit.planning import factory as f


def test_a_required_stop_is_worth_more_than_a_dedicated_route_to_it() -> None:
    far = f.stop("far", f.point(25, 0))
    p = f.problem(
        [far, f.stop("opt", f.point(1, 0), required=False, priority=2)],
        [f.van(fixed_cost_cents=20_000)],
    )
    required, optional = stop_prizes(p, [0, 1], defer_cost=500)
    per_m, per_s = unit_costs(p.vehicles[0])
    m = p.planning_matrix(p.vehicles[0])
    hub, stop = p.hubs[0].point, p.jobs[0].point
    dedicated = (
        20_000 * MILLI
        + (m.distances_m[hub, stop] + m.distances_m[stop, hub]) * per_m
        + (m.durations_s[hub, stop] + m.durations_s[stop, hub] + 120) * per_s
    )
    assert required > dedicated
    assert optional == 500 * MILLI * 3


def test_only_plain_days_with_a_vehicle_per_stop_use_required_clients() -> None:
    stops = [f.stop(f"s{i}", c) for i, c in enumerate(f.ring(3))]
    assert plain_vrptw(f.problem(stops, [f.van(f"V{k}") for k in range(3)]), [0, 1, 2])
    assert not plain_vrptw(f.problem(stops, [f.van()]), [0, 1, 2])
