from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmile.dispatch.dynamic.sampling import (
    departure_s,
    epoch_bounds,
    reachable,
    sample_epoch,
)
from tests.unit.dispatch.dynamic.tiny import tiny_instance


def test_epoch_bounds_follow_the_earliest_window_starts_minus_the_dispatch_margin() -> None:
    instance = tiny_instance()
    starts = instance.time_windows[1:, 0]
    first, last = epoch_bounds(instance)
    assert first == max(0, (int(starts.min()) - 3600) // 3600)
    assert last == max(0, (int(starts.max()) - 3600) // 3600)


def test_routes_planned_in_an_epoch_leave_one_hour_after_it_starts() -> None:
    assert departure_s(0) == 3600
    assert departure_s(3) == 4 * 3600


def test_a_request_takes_location_window_demand_and_service_from_four_draws_in_order() -> None:
    instance = tiny_instance()
    n = instance.num_customers
    got = sample_epoch(instance, np.random.default_rng(7), epoch=1)
    rng = np.random.default_rng(7)
    loc, tw, dem, srv = (rng.integers(n, size=100) + 1 for _ in range(4))
    keep = reachable(
        instance, loc, instance.time_windows[tw], instance.service_s[srv], departure_s(1)
    )
    assert np.array_equal(got.customers, loc[keep])
    assert np.array_equal(got.time_windows, instance.time_windows[tw][keep])
    assert np.array_equal(got.demands, instance.demands[dem][keep])
    assert np.array_equal(got.service_s, instance.service_s[srv][keep])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), epoch=st.integers(0, 6))
def test_every_sampled_request_is_servable_by_a_vehicle_leaving_at_departure(
    seed: int, epoch: int
) -> None:
    instance = tiny_instance()
    new = sample_epoch(instance, np.random.default_rng(seed), epoch)
    leave = departure_s(epoch)
    d = instance.durations
    arrival = np.maximum(leave + d[0, new.customers], new.time_windows[:, 0])
    assert (arrival <= new.time_windows[:, 1]).all()
    assert (arrival + new.service_s + d[new.customers, 0] <= instance.horizon_s).all()
