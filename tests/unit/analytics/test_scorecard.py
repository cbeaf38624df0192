"""Every KPI of a hand-built day, worked out by hand (see day.py for the rows)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lastmile.analytics.daylog import DayLog
from lastmile.analytics.model import KpiSet, Rate
from lastmile.analytics.scorecard import score
from tests.unit.analytics.day import DAY, handmade_day


def group(groups: list[KpiSet], name: str) -> KpiSet:
    return next(g for g in groups if g.group == name)


def test_outcome_counts_of_the_whole_day() -> None:
    c = score(handmade_day()).overall.counts
    assert (c.orders, c.delivered, c.failed, c.rescheduled, c.cancelled, c.unserved) == (
        8,
        4,
        1,
        1,
        1,
        1,
    )
    assert c.attempted == 6  # o1 o2 o3 o4 o5 o8
    assert c.promised == 6  # o6 is cancelled, o5 has no promise


def test_delivery_rates_of_the_whole_day() -> None:
    k = score(handmade_day()).overall
    # on time: o1 (10:00 in 09–12) and o3 (13:00 in 12–15); o2 came at 12:30, after its window.
    assert k.on_time == Rate(2, 6, 2 / 6)
    assert k.otif == Rate(1, 6, 1 / 6)  # o3 was not in full
    assert k.first_attempt == Rate(3, 6, 0.5)  # o1 o3 o5; o2 needed two attempts
    assert k.completion == Rate(4, 7, 4 / 7)


def test_fleet_figures_of_the_whole_day() -> None:
    f = score(handmade_day()).overall.fleet
    assert (f.km, f.cost, f.co2_g, f.stops) == (40, 80, 6000, 6)
    assert f.km_per_stop == pytest.approx(40 / 6)
    assert f.cost_per_stop == pytest.approx(80 / 6)
    assert f.co2_g_per_stop == pytest.approx(1000)
    assert f.stops_per_hour == pytest.approx(1.0)  # 6 stops in 6 on-duty hours
    assert f.time_utilisation == pytest.approx(4.5 / 6)
    assert f.capacity_utilisation == pytest.approx(0.8)  # only V1 has a capacity


def test_eta_accuracy_of_the_whole_day() -> None:
    e = score(handmade_day()).overall.eta
    assert e.samples == 3
    assert e.mae_p50_min == pytest.approx((10 + 40 + 65) / 3)
    assert e.within_p10_p90 == Rate(1, 2, 0.5)  # o3's sample has no band
    # Arrivals inside the window: o1 and o3 (o3's sample takes its order's window);
    # o1's P50 was inside too, o3's (11:55) was not.
    assert e.p50_in_window == Rate(1, 2, 0.5)


def test_dwell_quantiles_interpolate_linearly() -> None:
    d = score(handmade_day()).overall.dwell  # 30 60 90 120 180 240
    assert d.count == 6
    assert (d.p10_s, d.p25_s, d.median_s, d.p75_s, d.p90_s) == pytest.approx(
        (45, 67.5, 105, 165, 210)
    )


def test_exceptions_are_counted_by_kind() -> None:
    k = score(handmade_day()).overall
    assert k.exceptions_total == 3
    assert k.exceptions == {"breakdown": 1, "failed_attempt": 1, "late": 1}


def test_zone_a() -> None:
    a = group(score(handmade_day()).by_zone, "A")  # o1 o2 o6(cancelled) o7(unserved)
    assert (a.counts.orders, a.counts.delivered, a.counts.cancelled, a.counts.unserved) == (
        4,
        2,
        1,
        1,
    )
    assert a.on_time == Rate(1, 3, 1 / 3)
    assert a.otif == Rate(1, 3, 1 / 3)
    assert a.first_attempt == Rate(1, 2, 0.5)
    assert a.completion == Rate(2, 3, 2 / 3)
    # V1 attempted 2 of its 4 orders here: half its day.
    assert (a.fleet.km, a.fleet.cost, a.fleet.co2_g, a.fleet.stops) == (15, 30, 3000, 2)
    assert a.fleet.km_per_stop == pytest.approx(7.5)
    assert a.fleet.stops_per_hour == pytest.approx(1.0)
    assert a.fleet.capacity_utilisation == pytest.approx(0.8)
    assert a.eta.mae_p50_min == pytest.approx(25)
    assert a.eta.p50_in_window == Rate(1, 1, 1.0)
    assert (a.dwell.median_s, a.dwell.p90_s) == pytest.approx((90, 114))
    assert a.exceptions == {"late": 1}  # zone taken from the order


def test_zone_b() -> None:
    b = group(score(handmade_day()).by_zone, "B")  # o3 o4 o5 o8
    assert b.on_time == Rate(1, 3, 1 / 3)
    assert b.otif == Rate(0, 3, 0.0)
    assert b.first_attempt == Rate(2, 4, 0.5)
    assert b.completion == Rate(2, 4, 0.5)
    # Half of V1 (2 of 4 orders) and all of V2.
    assert (b.fleet.km, b.fleet.cost, b.fleet.stops, b.fleet.on_duty_h) == (25, 50, 4, 4)
    assert b.fleet.km_per_stop == pytest.approx(6.25)
    assert b.fleet.co2_g_per_stop == pytest.approx(750)
    assert b.fleet.capacity_utilisation == pytest.approx(0.8)
    assert b.eta.mae_p50_min == pytest.approx(65)
    assert b.eta.within_p10_p90 == Rate(0, 0, None)
    assert b.eta.p50_in_window == Rate(0, 1, 0.0)
    assert b.exceptions == {"failed_attempt": 1}


def test_an_exception_without_zone_or_order_is_a_group_with_nothing_else_to_measure() -> None:
    card = score(handmade_day())
    assert [z.group for z in card.by_zone] == ["A", "B", "no zone"]
    none = group(card.by_zone, "no zone")
    assert none.exceptions == {"breakdown": 1}
    assert none.counts.orders == 0
    assert none.on_time.value is None and none.first_attempt.value is None
    assert none.fleet.km_per_stop is None and none.fleet.time_utilisation is None
    assert none.eta.mae_p50_min is None and none.dwell.median_s is None


def test_windows_are_local_buckets_in_chronological_order_with_no_promise_last() -> None:
    card = score(handmade_day())
    assert [w.group for w in card.by_window] == ["09:00–12:00", "12:00–15:00", "no promise"]


def test_morning_window() -> None:
    w1 = group(score(handmade_day()).by_window, "09:00–12:00")  # o1 o2 o6 o8
    assert w1.on_time == Rate(1, 3, 1 / 3)
    assert w1.otif == Rate(1, 3, 1 / 3)
    assert w1.first_attempt == Rate(1, 3, 1 / 3)  # o8 was attempted and rescheduled
    assert w1.completion == Rate(2, 3, 2 / 3)
    # Half of V1 and half of V2 (o8 is one of V2's two orders).
    assert (w1.fleet.km, w1.fleet.stops) == (20, 3)
    assert (w1.dwell.median_s, w1.dwell.p10_s, w1.dwell.p90_s) == pytest.approx((120, 72, 216))
    assert w1.exceptions == {"late": 1}


def test_afternoon_window_and_the_unpromised_bucket() -> None:
    card = score(handmade_day())
    w2 = group(card.by_window, "12:00–15:00")  # o3 o4 o7
    assert w2.on_time == Rate(1, 3, 1 / 3)
    assert w2.otif == Rate(0, 3, 0.0)
    assert w2.first_attempt == Rate(1, 2, 0.5)
    assert w2.eta.p50_in_window == Rate(0, 1, 0.0)
    assert w2.exceptions == {"failed_attempt": 1}
    free = group(card.by_window, "no promise")  # o5
    assert free.on_time == Rate(0, 0, None)
    assert free.completion == Rate(1, 1, 1.0)
    assert (free.fleet.km, free.fleet.stops) == (5, 1)


def test_breakdown_exceptions_are_left_out_of_every_window() -> None:
    card = score(handmade_day())
    assert sum(w.exceptions_total for w in card.by_window) == 2
    assert sum(z.exceptions_total for z in card.by_zone) == 3


def test_per_vehicle_figures() -> None:
    v1, v2 = score(handmade_day()).by_vehicle
    assert (v1.vehicle_ref, v1.fleet.km_per_stop, v1.fleet.cost_per_stop) == ("V1", 7.5, 15)
    assert (v2.vehicle_ref, v2.fleet.km_per_stop, v2.fleet.cost_per_stop) == ("V2", 5, 10)
    assert v2.fleet.capacity_utilisation is None  # a bike without a parcel capacity


def test_eta_error_histogram_counts_signed_minutes_and_tails() -> None:
    h = score(handmade_day()).eta_errors
    assert h.edges_min[0] == -60 and h.edges_min[-1] == 60
    assert h.counts[h.edges_min.index(-10)] == 1  # o1 came 10 minutes before its P50
    assert h.counts[h.edges_min.index(40)] == 1  # o2 came 40 minutes after
    assert (sum(h.counts), h.below, h.above) == (2, 0, 1)  # o3 was 65 minutes late


def test_an_empty_day_has_no_figures_and_divides_nothing_by_zero() -> None:
    card = score(DayLog(DAY, "Europe/Helsinki"))
    k = card.overall
    assert k.counts.orders == 0 and card.by_zone == [] and card.by_window == []
    assert k.on_time == Rate(0, 0, None) and k.otif.value is None
    assert k.completion.value is None and k.first_attempt.value is None
    assert k.fleet.km_per_stop is None and k.fleet.stops_per_hour is None
    assert k.eta.mae_p50_min is None and k.dwell.count == 0


def test_a_vehicle_that_drove_without_stops_adds_km_but_no_stops() -> None:
    log = handmade_day()
    idle = replace(log.vehicles[1], vehicle_ref="V3", km=20, stops_completed=0)
    card = score(replace(log, vehicles=[*log.vehicles, idle]))
    assert card.overall.fleet.km_per_stop == pytest.approx(60 / 6)
    assert group(card.by_zone, "A").fleet.km == 15  # V3 served no zone
