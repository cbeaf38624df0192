"""Policy comparison: paired by seed, Student-t intervals, verdicts by the KPI's direction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from scipy import stats

from lastmile.analytics.compare import (
    A_BETTER,
    B_BETTER,
    NO_DATA,
    NO_DIFFERENCE,
    TOO_FEW,
    Comparison,
    KpiDifference,
    compare,
)
from lastmile.analytics.daylog import DayLog, DayOutcome, Delivery, VehicleDay
from lastmile.analytics.serial import from_json, to_json
from lastmile.domain.errors import InvalidInput
from lastmile.domain.values import TimeWindow

DAY = date(2026, 6, 10)
START = datetime(2026, 6, 10, 6, tzinfo=UTC)
WINDOW = TimeWindow(START, START + timedelta(hours=3))

A_ON_TIME = [10, 12, 11, 14, 8]  # of 20 orders, seeds 1..5
B_ON_TIME = [14, 13, 16, 15, 12]
A_KM = [100.0, 120.0, 90.0, 110.0, 105.0]
B_KM = [100.0, 120.0, 90.0, 110.0, 105.0]  # the same: no difference at all


def day(policy: str, seed: int, on_time: int, km: float) -> DayLog:
    rows = [
        Delivery(
            f"o{i}",
            "A",
            DayOutcome.DELIVERED,
            WINDOW,
            1,
            completed_at=START + timedelta(hours=1 if i < on_time else 4),
            vehicle_ref="V1",
        )
        for i in range(20)
    ]
    van = VehicleDay("V1", "van", km, 30_000, 20_000, 5_000, 0, km * 2, km * 150, 20)
    return DayLog(DAY, "Europe/Helsinki", policy, seed, rows, [van])


def cohort(policy: str, on_time: list[int], km: list[float]) -> list[DayLog]:
    return [day(policy, s + 1, o, k) for s, (o, k) in enumerate(zip(on_time, km, strict=True))]


def kpi(comparison: Comparison, name: str) -> KpiDifference:
    return next(k for k in comparison.kpis if k.name == name)


def test_the_interval_of_the_paired_difference_matches_scipy() -> None:
    result = compare(cohort("static", A_ON_TIME, A_KM), cohort("dynamic", B_ON_TIME, B_KM))
    on_time = kpi(result, "on_time")
    a = [x / 20 for x in A_ON_TIME]
    b = [x / 20 for x in B_ON_TIME]
    expected = stats.ttest_rel(b, a).confidence_interval(0.95)
    assert on_time.n == 5
    assert on_time.mean_a == pytest.approx(sum(a) / 5)
    assert on_time.mean_b == pytest.approx(sum(b) / 5)
    assert on_time.mean_diff == pytest.approx((sum(b) - sum(a)) / 5)
    assert (on_time.ci_low, on_time.ci_high) == pytest.approx((expected.low, expected.high))
    assert on_time.excludes_zero and on_time.verdict == B_BETTER
    assert (result.policy_a, result.policy_b, result.seeds) == (
        "static",
        "dynamic",
        [1, 2, 3, 4, 5],
    )


def test_a_narrower_confidence_gives_a_narrower_interval_as_scipy_does() -> None:
    result = compare(
        cohort("static", A_ON_TIME, A_KM), cohort("dynamic", B_ON_TIME, B_KM), confidence=0.8
    )
    expected = stats.ttest_rel(
        [x / 20 for x in B_ON_TIME], [x / 20 for x in A_ON_TIME]
    ).confidence_interval(0.8)
    on_time = kpi(result, "on_time")
    assert (on_time.ci_low, on_time.ci_high) == pytest.approx((expected.low, expected.high))


def test_lower_is_better_for_km_per_stop() -> None:
    fewer_km = [k - 10 + i for i, k in enumerate(A_KM)]
    result = compare(cohort("static", A_ON_TIME, A_KM), cohort("dynamic", A_ON_TIME, fewer_km))
    km = kpi(result, "km_per_stop")
    assert km.mean_diff is not None and km.mean_diff < 0
    assert km.ci_high is not None and km.ci_high < 0
    assert km.verdict == B_BETTER
    # Swapping the sides swaps the verdict.
    swapped = compare(cohort("dynamic", A_ON_TIME, fewer_km), cohort("static", A_ON_TIME, A_KM))
    assert kpi(swapped, "km_per_stop").verdict == A_BETTER


def test_an_interval_holding_zero_is_no_difference() -> None:
    noisy = [11, 11, 10, 15, 9]  # up and down around A
    result = compare(cohort("static", A_ON_TIME, A_KM), cohort("dynamic", noisy, A_KM))
    on_time = kpi(result, "on_time")
    assert on_time.ci_low is not None and on_time.ci_low < 0 < (on_time.ci_high or 0)
    assert not on_time.excludes_zero and on_time.verdict == NO_DIFFERENCE


def test_one_seed_gives_means_but_no_interval() -> None:
    result = compare([day("static", 1, 10, 100)], [day("dynamic", 1, 12, 90)])
    on_time = kpi(result, "on_time")
    assert on_time.mean_diff == pytest.approx(0.1)
    assert (on_time.ci_low, on_time.ci_high, on_time.verdict) == (None, None, TOO_FEW)


def test_kpis_without_a_value_leave_those_seeds_out() -> None:
    result = compare(cohort("static", A_ON_TIME, A_KM), cohort("dynamic", B_ON_TIME, B_KM))
    eta = kpi(result, "eta_mae_min")  # no ETA samples in these days
    assert (eta.n, eta.mean_a, eta.verdict) == (0, None, NO_DATA)


def test_a_seed_missing_from_one_side_is_named() -> None:
    a = cohort("static", A_ON_TIME, A_KM)
    b = cohort("dynamic", B_ON_TIME, B_KM)[:4]
    with pytest.raises(InvalidInput, match="seed 5 is in A but missing from B"):
        compare(a, b)
    with pytest.raises(InvalidInput, match="seed 5 is in B but missing from A"):
        compare(b[:4], cohort("dynamic", B_ON_TIME, B_KM))


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ([], [day("x", 1, 1, 1)], "policy A has no day logs"),
        ([day("x", 1, 1, 1), day("x", 1, 2, 1)], [day("y", 1, 1, 1)], "seed 1 appears twice in A"),
        ([day("x", 1, 1, 1), day("z", 2, 2, 1)], [day("y", 1, 1, 1)], "A mixes policies"),
        ([day("x", 1, 1, 1)], [DayLog(DAY, "UTC", "y")], "day log 0 of B has no seed"),
    ],
)
def test_inputs_that_cannot_be_paired_are_refused(
    a: list[DayLog], b: list[DayLog], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        compare(a, b)


@pytest.mark.parametrize("confidence", [0.0, 1.0, 95.0, -0.5])
def test_confidence_must_be_a_probability(confidence: float) -> None:
    with pytest.raises(InvalidInput, match="confidence must be between 0 and 1"):
        compare([day("x", 1, 1, 1)], [day("y", 1, 1, 1)], confidence=confidence)


def test_comparison_json_round_trip_is_identical() -> None:
    result = compare(cohort("static", A_ON_TIME, A_KM), cohort("dynamic", B_ON_TIME, B_KM))
    text = to_json(result)
    assert from_json(Comparison, text) == result
    assert to_json(from_json(Comparison, text)) == text


def test_a_bad_day_log_is_named_by_its_side_and_seed() -> None:
    b = cohort("dynamic", B_ON_TIME, B_KM)
    b[2] = DayLog(DAY, "Nowhere/Town", "dynamic", 3)
    with pytest.raises(InvalidInput, match=r"policy B \(dynamic\) seed 3, day log.*Nowhere/Town"):
        compare(cohort("static", A_ON_TIME, A_KM), b)
