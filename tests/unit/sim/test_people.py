"""The stochastic models: seeded, and their distributions where they should be."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime

import pytest

from lastmile.domain import AddressType, Preference
from lastmile.sim.facts import draw_facts
from lastmile.sim.people import (
    Knobs,
    hours_until_breakdown,
    leg_factor,
    mean_one_lognormal,
    not_home_probability,
)
from lastmile.sim.scenario import generate


def test_leg_noise_has_mean_one_and_stays_within_its_clip() -> None:
    rng = random.Random(7)
    draws = [leg_factor(rng, 0.25) for _ in range(20_000)]
    assert statistics.fmean(draws) == pytest.approx(1.0, abs=0.02)
    assert min(draws) >= 0.6 and max(draws) <= 3.0
    logs = [x for x in (mean_one_lognormal(random.Random(1), 0.0) for _ in range(3))]
    assert logs == [1.0, 1.0, 1.0]


def test_nobody_is_out_for_a_safe_drop_or_a_locker_and_fewer_in_the_evening() -> None:
    house = AddressType.HOUSE
    assert not_home_probability(0.06, 12, house, [Preference.SAFE_DROP]) == 0.0
    assert not_home_probability(0.06, 12, AddressType.LOCKER, []) == 0.0
    midday = not_home_probability(0.06, 12, house, [])
    evening = not_home_probability(0.06, 19, house, [])
    assert 0 < evening < midday < 0.2
    assert not_home_probability(0.06, 12, house, [Preference.NEIGHBOUR]) < midday
    assert not_home_probability(0.06, 20, AddressType.BUSINESS, []) > 0.5


def test_breakdowns_are_rare_and_memoryless() -> None:
    rng = random.Random(3)
    hours = [hours_until_breakdown(rng, 0.02) for _ in range(20_000)]
    assert statistics.fmean(hours) == pytest.approx(50.0, rel=0.05)
    assert hours_until_breakdown(rng, 0.0) == float("inf")


def test_a_knob_out_of_range_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="cancel_rate"):
        Knobs(cancel_rate=1.5)
    with pytest.raises(ValueError, match="travel_sigma"):
        Knobs(travel_sigma=-0.1)


def _facts(seed: int) -> object:
    sc = generate(200, 5, datetime(2026, 3, 2).date())
    origin = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
    refs = [v.ref for v in sc.vehicles]
    return draw_facts(random.Random(seed), sc.orders, refs, sc.zones, origin, 14 * 3600, Knobs())


def test_the_same_seed_draws_the_same_day_and_another_seed_another() -> None:
    assert _facts(1) == _facts(1)
    assert _facts(1) != _facts(2)


def test_same_day_orders_are_placed_after_the_morning_and_before_their_parcel_is_ready() -> None:
    sc = generate(300, 9, datetime(2026, 3, 2).date())
    origin = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
    facts = draw_facts(random.Random(4), sc.orders, [], sc.zones, origin, 14 * 3600, Knobs())
    assert facts.placed_s
    for ref, placed in facts.placed_s.items():
        assert 300.0 <= placed <= max(300.0, facts.ready_s[ref])
    for slip in facts.slips:
        assert slip.ready_s > slip.announced_s >= 0
