"""Value objects refuse what a user could mistype, and say which field is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lastmile.domain import Coordinate, InvalidInput, Item, Load, TimeWindow


@pytest.mark.parametrize(("lat", "lon"), [(95.0, 0.0), (0.0, 181.0), (float("nan"), 0.0)])
def test_a_coordinate_off_the_globe_is_refused(lat: float, lon: float) -> None:
    with pytest.raises(InvalidInput):
        Coordinate(lat, lon)


def test_a_reversed_window_is_refused_and_named() -> None:
    start = datetime(2026, 11, 23, 12, tzinfo=UTC)
    with pytest.raises(InvalidInput) as err:
        TimeWindow(start, start - timedelta(hours=1))
    assert err.value.field == "window"


def test_a_naive_datetime_is_refused_because_its_zone_is_unknown() -> None:
    with pytest.raises(InvalidInput, match="timezone"):
        TimeWindow(datetime(2026, 1, 1, 9), datetime(2026, 1, 1, 10))


def test_negative_weight_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        Item(sku="x", weight_g=-1)
    assert err.value.field == "weight"


def test_loads_add_up_per_dimension_and_check_capacity() -> None:
    total = Item("a", count=2, weight_g=500, volume_cm3=1000).load + Load(100, 0, 1)
    assert total == Load(1100, 2000, 3)
    assert total.fits_in(Load(2000, 2000, 3)) and not total.fits_in(Load(2000, 1999, 3))


def test_great_circle_distance_between_two_helsinki_points_is_about_right() -> None:
    d = Coordinate(60.1699, 24.9384).distance_m(Coordinate(60.1719, 24.9414))
    assert 250 < d < 300


def test_a_window_across_a_dst_fold_is_judged_in_absolute_time() -> None:
    from zoneinfo import ZoneInfo

    # São Paulo left DST at midnight on 2017-02-19: 23:00-23:59 on the 18th happened twice.
    sao_paulo = ZoneInfo("America/Sao_Paulo")
    second_2330 = datetime(2017, 2, 18, 23, 30, fold=1, tzinfo=sao_paulo)
    first_2345 = datetime(2017, 2, 18, 23, 45, fold=0, tzinfo=sao_paulo)
    with pytest.raises(InvalidInput, match="before it starts"):
        TimeWindow(second_2330, first_2345)  # 45 min earlier in absolute time
    window = TimeWindow(first_2345, second_2330)
    assert window.duration == timedelta(minutes=45)
    assert window.contains(datetime(2017, 2, 19, 2, 0, tzinfo=UTC))
