"""Invariants of any day: outcome counts add up, rates stay in [0, 1], groups partition orders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmile.analytics.compare import A_BETTER, B_BETTER, compare
from lastmile.analytics.daylog import DayLog, DayOutcome, Delivery, EtaSample, VehicleDay
from lastmile.analytics.model import KpiSet
from lastmile.analytics.scorecard import score
from lastmile.domain.values import TimeWindow
from tests.unit.analytics.test_compare import cohort

DAY = date(2026, 3, 29)  # a daylight-saving day in Helsinki, for good measure
T0 = datetime(2026, 3, 28, 22, tzinfo=UTC)


@st.composite
def days(draw: st.DrawFn) -> DayLog:
    n_vehicles = draw(st.integers(0, 3))
    vehicles = []
    for i in range(n_vehicles):
        on_duty = draw(st.floats(0, 40_000))
        driving = draw(st.floats(0, on_duty))
        capacity = draw(st.integers(0, 50))
        vehicles.append(
            VehicleDay(
                f"V{i}",
                "van",
                km=draw(st.floats(0, 300)),
                on_duty_s=on_duty,
                driving_s=driving,
                service_s=draw(st.floats(0, on_duty - driving)),
                waiting_s=0.0,
                cost=draw(st.floats(0, 500)),
                co2_g=draw(st.floats(0, 1e5)),
                stops_completed=draw(st.integers(0, 40)),
                capacity_parcels=capacity,
                peak_load_parcels=draw(st.integers(0, capacity)),
            )
        )
    deliveries, etas = [], []
    for i in range(draw(st.integers(0, 25))):
        outcome = draw(st.sampled_from(list(DayOutcome)))
        start = T0 + timedelta(hours=draw(st.integers(0, 20)))
        window = draw(st.none() | st.just(TimeWindow(start, start + timedelta(hours=2))))
        done = T0 + timedelta(minutes=draw(st.integers(0, 24 * 60)))
        attempts = draw(st.integers(1 if outcome == DayOutcome.DELIVERED else 0, 3))
        vehicle = draw(st.none() | st.sampled_from([v.vehicle_ref for v in vehicles] or [None]))
        deliveries.append(
            Delivery(
                f"o{i}",
                draw(st.sampled_from(["A", "B", ""])),
                outcome,
                window,
                attempts,
                completed_at=done,
                dwell_s=draw(st.none() | st.floats(0, 3600)),
                in_full=draw(st.booleans()),
                vehicle_ref=vehicle,
            )
        )
        if draw(st.booleans()):
            p50 = done + timedelta(minutes=draw(st.integers(-90, 90)))
            etas.append(
                EtaSample(
                    f"o{i}",
                    "A",
                    T0,
                    p50,
                    done,
                    p50 - timedelta(minutes=15),
                    p50 + timedelta(minutes=15),
                )
            )
    return DayLog(DAY, "Europe/Helsinki", deliveries=deliveries, vehicles=vehicles, etas=etas)


def rates(k: KpiSet) -> list[float | None]:
    f = k.fleet
    return [
        k.on_time.value,
        k.otif.value,
        k.first_attempt.value,
        k.completion.value,
        f.time_utilisation,
        f.capacity_utilisation,
        k.eta.within_p10_p90.value,
        k.eta.p50_in_window.value,
    ]


@settings(max_examples=40, deadline=None)
@given(days())
def test_counts_add_up_and_rates_stay_between_zero_and_one(log: DayLog) -> None:
    card = score(log)
    for k in [card.overall, *card.by_zone, *card.by_window]:
        c = k.counts
        assert c.delivered + c.failed + c.rescheduled + c.cancelled + c.unserved == c.orders
        assert k.otif.numerator <= k.on_time.numerator <= k.on_time.denominator
        for value in rates(k):
            assert value is None or 0.0 <= value <= 1.0 + 1e-12
    assert card.overall.counts.orders == len(log.deliveries)
    assert sum(z.counts.orders for z in card.by_zone) == len(log.deliveries)
    assert sum(w.counts.orders for w in card.by_window) == len(log.deliveries)
    # Vehicle days are shared out, never created or lost: zones add up to the vehicles that
    # attempted an order.
    serving = {d.vehicle_ref for d in log.deliveries if d.vehicle_ref and d.attempts >= 1}
    served_km = sum(v.km for v in log.vehicles if v.vehicle_ref in serving)
    assert sum(z.fleet.km for z in card.by_zone) == pytest.approx(served_km)
    assert sum(w.fleet.km for w in card.by_window) == pytest.approx(served_km)
    assert sum(card.eta_errors.counts) + card.eta_errors.below + card.eta_errors.above == len(
        log.etas
    )


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=2, max_size=6))
def test_swapping_the_policies_mirrors_the_comparison(pairs: list[tuple[int, int]]) -> None:
    a = cohort("static", [p[0] for p in pairs], [100.0] * len(pairs))
    b = cohort("dynamic", [p[1] for p in pairs], [100.0] * len(pairs))
    forward = {k.name: k for k in compare(a, b).kpis}["on_time"]
    backward = {k.name: k for k in compare(b, a).kpis}["on_time"]
    assert forward.mean_diff == pytest.approx(-(backward.mean_diff or 0.0), abs=1e-12)
    assert forward.ci_low is not None and forward.ci_high is not None
    assert forward.ci_low <= (forward.mean_diff or 0.0) + 1e-12 <= forward.ci_high + 2e-12
    assert forward.ci_low == pytest.approx(-(backward.ci_high or 0.0), abs=1e-12)
    mirrored = {B_BETTER: A_BETTER, A_BETTER: B_BETTER}
    assert backward.verdict == mirrored.get(forward.verdict, forward.verdict)
