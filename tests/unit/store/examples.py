"""Fully populated domain objects (every field off its default) for round-trip tests."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lastmile.domain import (
    AccessRule,
    Address,
    AddressType,
    Break,
    BreakRule,
    Channel,
    Contact,
    Coordinate,
    Driver,
    Employment,
    FailureReason,
    GeocodePrecision,
    HoursOfService,
    Hub,
    Item,
    LifecycleState,
    Load,
    OpeningHours,
    Order,
    Outcome,
    Plan,
    Preference,
    Route,
    ServiceLevel,
    Shift,
    Skill,
    TimeWindow,
    Unassigned,
    UnassignedReason,
    Vehicle,
    VehicleKind,
    Visit,
    Zone,
)

BERLIN = ZoneInfo("Europe/Berlin")
DAY = datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)


def hub(ref: str = "HUB-BER", timezone: str = "Europe/Berlin") -> Hub:
    return Hub(
        ref=ref,
        name="Berlin Mitte micro-hub",
        location=Coordinate(52.520008, 13.404954),
        timezone=timezone,
        opening_hours=OpeningHours(
            {"mon": (time(6), time(22)), "sat": (time(7, 30), time(14, 15, 30, 250))}
        ),
        address="Alexanderplatz 1, 10178 Berlin",
    )


def zone(ref: str = "Z-MITTE") -> Zone:
    ring = ((13.38, 52.51), (13.42, 52.51), (13.42, 52.53), (13.38, 52.53), (13.38, 52.51))
    return Zone(
        ref=ref,
        name="Mitte",
        hub_ref="HUB-BER",
        polygon=(ring,),
        h3_cells=("881f1d4a7bfffff", "881f1d4a7dfffff"),
        access=frozenset({AccessRule.LOW_EMISSION, AccessRule.NO_TRUCKS}),
        not_home_rate=0.125,
    )


def vehicle(ref: str = "VAN-1", access: frozenset[AccessRule] | None = None) -> Vehicle:
    return Vehicle(
        ref=ref,
        kind=VehicleKind.EV_VAN,
        hub_ref="HUB-BER",
        capacity=Load(800_000, 6_000_000, 120),
        end_hub_ref="HUB-SPA",
        range_m=180_000,
        cost_per_km_cents=21,
        cost_per_hour_cents=2_400,
        fixed_cost_cents=5_000,
        co2_g_per_km=12.5,
        equipment=frozenset({Skill.REFRIGERATED, Skill.BULKY}),
        access=access,
    )


def driver(ref: str = "DRV-1", break_rule: BreakRule | None = None) -> Driver:
    return Driver(
        ref=ref,
        name="Ada Lovelace",
        employment=Employment.GIG,
        skills=frozenset({Skill.AGE_CHECK, Skill.TWO_PERSON}),
        hours=HoursOfService(max_work_s=8 * 3600, max_driving_s=7 * 3600),
        break_rule=break_rule,
        phone="+49 30 1234567",
        hub_ref="HUB-BER",
    )


def shift(ref: str = "SH-1") -> Shift:
    return Shift(
        ref=ref,
        driver_ref="DRV-1",
        hub_ref="HUB-BER",
        start=DAY,
        end=DAY + timedelta(hours=8, microseconds=5),
        vehicle_ref="VAN-1",
        max_overtime_s=1800,
        overtime_cost_per_hour_cents=3_600,
    )


def order(ref: str = "ORD-1", **changes: Any) -> Order:
    fields: dict[str, Any] = {
        "ref": ref,
        "hub_ref": "HUB-BER",
        "address": Address(
            raw="Torstraße 1, 10119 Berlin, 3rd floor",
            coordinate=Coordinate(52.529, 13.401),
            street="Torstraße",
            house_number="1",
            postcode="10119",
            city="Berlin",
            country="DE",
            unit="3. OG links",
            address_type=AddressType.APARTMENT,
            precision=GeocodePrecision.ROOFTOP,
            confidence=0.87,
        ),
        "channel": Channel.MARKETPLACE,
        "service_level": ServiceLevel.SCHEDULED,
        "window": TimeWindow(DAY + timedelta(hours=2), DAY + timedelta(hours=4)),
        "items": (
            Item("SKU-1", count=2, weight_g=1_250, volume_cm3=3_000, description="Kaffee"),
            Item("SKU-2", count=1, weight_g=300),
        ),
        "skills": frozenset({Skill.AGE_CHECK}),
        "preferences": frozenset({Preference.NEIGHBOUR, Preference.SIGNATURE}),
        "recipient": Contact("Grace Hopper", "+49 170 000000", "grace@example.org"),
        "instructions": "Ring twice",
        "access_notes": "Code 4711",
        "service_s": 300,
        "priority": 3,
        "ready_at": DAY - timedelta(hours=1),
        "zone_ref": "Z-MITTE",
        "created_at": datetime(2026, 11, 23, 17, 45, 12, 123456, tzinfo=UTC),
        "state": LifecycleState.COMPLETED,
        "outcome": Outcome.FAILED,
        "failure_reason": FailureReason.NOT_HOME,
        "attempts": 2,
    }
    fields.update(changes)
    return Order(**fields)


def visit(stop_ref: str, at: datetime, parcels: int) -> Visit:
    return Visit(
        stop_ref=stop_ref,
        order_refs=(stop_ref, f"{stop_ref}-b"),
        arrival=at,
        service_start=at + timedelta(minutes=2),
        departure=at + timedelta(minutes=6),
        wait_s=120,
        load_after=Load(parcels * 1000, parcels * 2000, parcels),
        kind="pickup" if parcels % 2 else "delivery",
    )


def route(ref: str = "R-1", stops: int = 3) -> Route:
    start = DAY
    return Route(
        ref=ref,
        vehicle_ref="VAN-1",
        start=start,
        end=start + timedelta(hours=6),
        visits=[visit(f"{ref}-S{i}", start + timedelta(minutes=20 * i), i) for i in range(stops)],
        driver_ref="DRV-1",
        shift_ref="SH-1",
        breaks=[Break(start + timedelta(hours=4), start + timedelta(hours=4, minutes=30))],
        distance_m=42_195,
        duration_s=21_600,
        cost_cents=12_345,
        co2_g=527,
        version=1,
        status="dispatched",
    )


def plan(ref: str = "PLAN-1") -> Plan:
    return Plan(
        ref=ref,
        hub_refs=("HUB-BER", "HUB-SPA"),
        service_date="2026-11-24",
        routes=[route(f"{ref}-R1"), route(f"{ref}-R2", stops=1), route(f"{ref}-R3", stops=0)],
        unassigned=[Unassigned("ORD-9", UnassignedReason.TIME_WINDOW, "window closes at 09:00")],
        created_at=datetime(2026, 11, 23, 20, 0, tzinfo=UTC),
        status="published",
        cost_cents=99_999,
    )


def fields_of(value: object) -> Any:
    """Every dataclass field, recursively, without an order's pending events: exact comparison.

    Entities compare by ref only, so tests compare what this returns instead.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: fields_of(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "events"
        }
    if isinstance(value, list | tuple):
        return [fields_of(v) for v in value]
    if isinstance(value, datetime):
        # The same instant: zones differ (stores give UTC back) and PEP 495 makes a datetime
        # in a DST fold unequal to any other zone's, so compare in UTC.
        return value.astimezone(UTC)
    return value
