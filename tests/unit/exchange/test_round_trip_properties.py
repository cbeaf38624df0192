"""Any valid entity survives export and import unchanged, in CSV and in JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from lastmile.domain import (
    AccessRule,
    Address,
    AddressType,
    BreakRule,
    Channel,
    Contact,
    Coordinate,
    Driver,
    Employment,
    GeocodePrecision,
    HoursOfService,
    Hub,
    Item,
    Load,
    OpeningHours,
    Order,
    Preference,
    ServiceLevel,
    Shift,
    Skill,
    TimeWindow,
    Vehicle,
    VehicleKind,
    Zone,
)
from lastmile.domain.values import WEEKDAYS
from lastmile.exchange import Context, Format, Kind, parse_table, read_table, to_rows, write_table

HELSINKI = ZoneInfo("Europe/Helsinki")
CONTEXT = Context({"HEL-1": "Europe/Helsinki"})

# What people type: printable text without surrounding blanks (import strips those).
words = st.text(
    st.characters(codec="utf-8", exclude_categories=("C", "Zs")), min_size=1, max_size=12
)
phrases = st.lists(words, max_size=3).map(" ".join)
refs = words
grams = st.integers(0, 10**9)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0).astimezone(HELSINKI))


def enum_sets(enum: Any) -> st.SearchStrategy[frozenset[Any]]:
    return st.frozensets(st.sampled_from(list(enum)))


@st.composite
def windows(draw: st.DrawFn) -> TimeWindow:
    start = draw(moments)
    # Arithmetic in UTC: wall-clock arithmetic across a clock change is not a duration.
    end = start.astimezone(UTC) + timedelta(minutes=draw(st.integers(1, 24 * 60)))
    return TimeWindow(start, end.astimezone(HELSINKI))


items = st.builds(
    Item, sku=words, count=st.integers(1, 50), weight_g=grams, volume_cm3=grams, description=phrases
)
addresses = st.builds(
    Address,
    raw=words,
    coordinate=st.builds(Coordinate, st.floats(-90, 90), st.floats(-180, 180)),
    street=phrases,
    house_number=phrases,
    postcode=phrases,
    city=phrases,
    country=phrases,
    unit=phrases,
    address_type=st.sampled_from(list(AddressType)),
    precision=st.sampled_from(list(GeocodePrecision)),
    confidence=st.floats(0, 1),
)
orders = st.builds(
    Order,
    ref=refs,
    hub_ref=st.just("HEL-1"),
    address=addresses,
    channel=st.sampled_from(list(Channel)),
    service_level=st.sampled_from(list(ServiceLevel)),
    window=st.none() | windows(),
    items=st.lists(items, max_size=3).map(tuple),
    skills=enum_sets(Skill),
    preferences=enum_sets(Preference),
    recipient=st.builds(Contact, phrases, phrases, phrases),
    instructions=phrases,
    access_notes=phrases,
    service_s=st.none() | st.integers(0, 10**6),
    priority=st.integers(-100, 100),
    ready_at=st.none() | moments,
    zone_ref=st.none() | refs,
)
vehicles = st.builds(
    Vehicle,
    ref=refs,
    kind=st.sampled_from(list(VehicleKind)),
    hub_ref=st.just("HEL-1"),
    capacity=st.builds(Load, grams, grams, st.integers(0, 10**6)),
    end_hub_ref=st.none() | refs,
    range_m=st.none() | st.integers(1, 10**7),
    cost_per_km_cents=st.integers(0, 10**6),
    cost_per_hour_cents=st.integers(0, 10**6),
    fixed_cost_cents=st.integers(0, 10**6),
    co2_g_per_km=st.floats(0, 10**4),
    equipment=enum_sets(Skill),
)
drivers = st.builds(
    Driver,
    ref=refs,
    name=words,
    employment=st.sampled_from(list(Employment)),
    skills=enum_sets(Skill),
    hours=st.builds(HoursOfService, st.integers(1, 10**5), st.integers(1, 10**5)),
    break_rule=st.none() | st.builds(BreakRule, st.integers(1, 10**5), st.integers(0, 10**4)),
    phone=phrases,
    hub_ref=st.none() | refs,
)


@st.composite
def opening_hours(draw: st.DrawFn) -> OpeningHours:
    hours = {}
    for day in draw(st.lists(st.sampled_from(WEEKDAYS), unique=True)):
        opens, closes = sorted(draw(st.lists(st.times(), min_size=2, max_size=2, unique=True)))
        hours[day] = (opens.replace(microsecond=0), closes.replace(microsecond=0))
    return OpeningHours({d: span for d, span in hours.items() if span[0] < span[1]})


hubs = st.builds(
    Hub,
    ref=refs,
    name=words,
    location=st.builds(Coordinate, st.floats(-90, 90), st.floats(-180, 180)),
    timezone=st.sampled_from(["UTC", "Europe/Helsinki", "America/New_York", "Asia/Kolkata"]),
    opening_hours=opening_hours(),
    address=phrases,
)


@st.composite
def zones(draw: st.DrawFn) -> Zone:
    rings = []
    for _ in range(draw(st.integers(0, 2))):
        points = draw(st.lists(st.tuples(st.floats(-180, 180), st.floats(-90, 90)), min_size=3))
        rings.append((*points, points[0]))
    h3_ids = st.text("0123456789abcdef", min_size=15, max_size=15)  # H3 cells are hex strings
    cells = draw(st.lists(h3_ids, max_size=3, unique=True)) if not rings else []
    return Zone(
        draw(refs),
        draw(words),
        hub_ref=draw(st.none() | refs),
        polygon=tuple(rings),
        h3_cells=tuple(cells or ["8a1126"]),
        access=draw(enum_sets(AccessRule)),
        not_home_rate=draw(st.floats(0, 1)),
    )


@st.composite
def shifts(draw: st.DrawFn) -> Shift:
    window = draw(windows())
    return Shift(
        draw(refs),
        draw(refs),
        "HEL-1",
        window.start,
        window.end,
        vehicle_ref=draw(st.none() | refs),
        max_overtime_s=60 * draw(st.integers(0, 600)),
        overtime_cost_per_hour_cents=draw(st.integers(0, 10**5)),
    )


def survives(kind: Kind, entities: list[Any], fmt: Format) -> None:
    unique = list({e.ref: e for e in entities}.values())
    rows = to_rows(kind, unique, CONTEXT)
    text = write_table(kind, rows, fmt)
    parsed = parse_table(kind, read_table(text, f"{kind}.{fmt}", fmt), CONTEXT)
    assert [str(r) for r in parsed.rejections] == []
    assert to_rows(kind, [r.entity for r in parsed.records], CONTEXT) == rows


@settings(max_examples=60, deadline=None)
@given(st.lists(hubs, min_size=1, max_size=4), st.sampled_from(list(Format)))
def test_any_valid_hub_survives_export_and_import(entities: list[Hub], fmt: Format) -> None:
    survives(Kind.HUBS, entities, fmt)


@settings(max_examples=60, deadline=None)
@given(st.lists(zones(), min_size=1, max_size=4), st.sampled_from(list(Format)))
def test_any_valid_zone_survives_export_and_import(entities: list[Zone], fmt: Format) -> None:
    survives(Kind.ZONES, entities, fmt)


@settings(max_examples=100, deadline=None)
@given(st.lists(orders, min_size=1, max_size=4), st.sampled_from(list(Format)))
def test_any_valid_order_survives_export_and_import(entities: list[Order], fmt: Format) -> None:
    survives(Kind.ORDERS, entities, fmt)


@settings(max_examples=60, deadline=None)
@given(st.lists(vehicles, min_size=1, max_size=4), st.sampled_from(list(Format)))
def test_any_valid_vehicle_survives_export_and_import(entities: list[Vehicle], fmt: Format) -> None:
    survives(Kind.VEHICLES, entities, fmt)


@settings(max_examples=60, deadline=None)
@given(st.lists(drivers, min_size=1, max_size=4), st.sampled_from(list(Format)))
def test_any_valid_driver_survives_export_and_import(entities: list[Driver], fmt: Format) -> None:
    survives(Kind.DRIVERS, entities, fmt)


@settings(max_examples=60, deadline=None)
@given(st.lists(shifts(), min_size=1, max_size=4), st.sampled_from(list(Format)))
def test_any_valid_shift_survives_export_and_import(entities: list[Shift], fmt: Format) -> None:
    survives(Kind.SHIFTS, entities, fmt)
