"""Export writes what import reads: every kind survives CSV and JSON unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from lastmile.domain import AccessRule, Skill
from lastmile.exchange import (
    Format,
    Kind,
    infer_kind,
    parse_table,
    read_table,
    to_rows,
    write_table,
)
from tests.unit.exchange import samples

FILES = {
    Kind.HUBS: samples.HUBS,
    Kind.ZONES: samples.ZONES,
    Kind.VEHICLES: samples.VEHICLES,
    Kind.DRIVERS: samples.DRIVERS,
    Kind.SHIFTS: samples.SHIFTS,
    Kind.ORDERS: samples.ORDERS,
}


def load(kind: Kind, content: str, fmt: Format = Format.CSV) -> list[Any]:
    parsed = parse_table(kind, read_table(content, f"{kind}.{fmt}", fmt), samples.HUB_TZ)
    assert not parsed.rejections, [str(r) for r in parsed.rejections]
    return [r.entity for r in parsed.records]


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("fmt", list(Format))
def test_exported_rows_import_back_to_the_same_rows(kind: Kind, fmt: Format) -> None:
    entities = load(kind, FILES[kind])
    rows = to_rows(kind, entities, samples.HUB_TZ)
    text = write_table(kind, rows, fmt)
    again = load(kind, text, fmt)
    assert to_rows(kind, again, samples.HUB_TZ) == rows
    assert write_table(kind, to_rows(kind, again, samples.HUB_TZ), fmt) == text


def test_the_sample_values_are_read_with_their_units() -> None:
    [o1, o2, o3] = load(Kind.ORDERS, samples.ORDERS)
    assert o1.load.weight_g == 1250 and o1.load.volume_cm3 == 8000
    assert o2.load.weight_g == 22_500 + 2 * 1400 and o2.load.parcels == 3
    assert o2.skills == {Skill.AGE_CHECK, Skill.BULKY}
    assert o3.window is None
    [zone] = load(Kind.ZONES, samples.ZONES)
    assert zone.access == {AccessRule.CARGO_BIKE_ONLY, AccessRule.LOW_EMISSION}
    van, bike = load(Kind.VEHICLES, samples.VEHICLES)
    assert van.range_m is None and bike.range_m == 50_000
    d1, d2 = load(Kind.DRIVERS, samples.DRIVERS)
    assert d1.break_rule is not None and d1.break_rule.after_work_s == 4 * 3600 + 1800
    assert d2.break_rule is None
    s1, _ = load(Kind.SHIFTS, samples.SHIFTS)
    assert s1.duration_s == 8 * 3600 and s1.max_overtime_s == 1800


def test_opening_hours_group_consecutive_days_like_a_shop_door() -> None:
    [hub] = load(Kind.HUBS, samples.HUBS)
    assert len(hub.opening_hours.hours) == 6
    [row] = to_rows(Kind.HUBS, [hub], samples.HUB_TZ)
    assert row["opening_hours"] == "mon-fri 06:00-22:00; sat 08:00-16:00"


def test_the_kind_is_inferred_from_the_file_name_or_an_obvious_header() -> None:
    assert infer_kind("2026-11-24-orders.csv", []) is Kind.ORDERS
    assert infer_kind("export.csv", ["ref", "driver_ref", "hub_ref", "start", "end"]) is Kind.SHIFTS
    assert infer_kind("data.csv", ["ref", "name"]) is None


def test_a_json_file_may_wrap_its_list_in_an_object_named_after_the_kind() -> None:
    content = '{"hubs": [{"ref": "H", "name": "Hub", "lat": 60, "lon": 24.5}]}'
    [hub] = load(Kind.HUBS, content, Format.JSON)
    assert hub.location.lon == 24.5


def test_a_semicolon_separated_spreadsheet_export_is_read_like_a_comma_one() -> None:
    content = "ref;hub_ref;lat;lon;weight_kg\nO-1;HEL-1;60.17;24.94;2.5\n"
    [order] = load(Kind.ORDERS, content)
    assert order.load.weight_g == 2500


def test_a_decimal_comma_is_refused_with_a_hint_rather_than_guessed() -> None:
    content = "ref;hub_ref;lat;lon;weight_kg\nO-1;HEL-1;60.17;24.94;2,5\n"
    table = read_table(content, "orders.csv", Format.CSV)
    [rejection] = parse_table(Kind.ORDERS, table, samples.HUB_TZ).rejections
    assert rejection.field == "weight_kg" and "decimal separator" in rejection.reason
