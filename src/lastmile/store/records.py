"""Explicit converters between domain objects and flat records (dicts keyed by column name).

Why not ``registry.map_imperatively``: the domain's value objects are frozen, slotted
dataclasses nested two deep (an Order's Address holds a Coordinate; a Zone's polygon is tuples
of tuples), and collections are frozensets of enums and tuples of Items. Imperative mapping
would need composites of composites and custom types for each, would skip ``__post_init__``
validation on load, and would instrument the domain classes process-wide, which the planner and
simulator (running on plain objects, often with no database at all) should not pay for. Plain
functions keep the domain untouched, validate every loaded object, and give the in-memory and
SQL units of work one definition of "what is stored" and therefore of "what changed".

Records carry datetimes normalised to UTC, so what comes back from either backend is an aware
UTC datetime equal to what was stored.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from lastmile.domain import (
    AccessRule,
    Address,
    BreakRule,
    Contact,
    Coordinate,
    Driver,
    HoursOfService,
    Hub,
    Item,
    Load,
    OpeningHours,
    Order,
    Shift,
    TimeWindow,
    Vehicle,
    Zone,
)
from lastmile.domain.enums import (
    AddressType,
    Channel,
    Employment,
    FailureReason,
    GeocodePrecision,
    LifecycleState,
    Outcome,
    Preference,
    ServiceLevel,
    Skill,
    VehicleKind,
)

Record = dict[str, Any]


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def opt_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _values(members: frozenset[Any]) -> list[str]:
    """Sets are stored as sorted lists of their enum values, so equal sets store equally."""
    return sorted(m.value for m in members)


def service_date(window: TimeWindow | None, timezone: str | None) -> str | None:
    """The window's start date in the hub's timezone (UTC if the hub is not known)."""
    if window is None:
        return None
    zone = ZoneInfo(timezone) if timezone else UTC
    return window.start.astimezone(zone).date().isoformat()


# -- network ---------------------------------------------------------------------------------


def hub_record(hub: Hub) -> Record:
    return {
        "ref": hub.ref,
        "name": hub.name,
        "lat": hub.location.lat,
        "lon": hub.location.lon,
        "timezone": hub.timezone,
        "opening_hours": {
            day: [opens.isoformat(), closes.isoformat()]
            for day, (opens, closes) in sorted(hub.opening_hours.hours.items())
        },
        "address": hub.address,
    }


def hub_from(r: Record) -> Hub:
    hours = {
        day: (time.fromisoformat(span[0]), time.fromisoformat(span[1]))
        for day, span in r["opening_hours"].items()
    }
    return Hub(
        ref=r["ref"],
        name=r["name"],
        location=Coordinate(r["lat"], r["lon"]),
        timezone=r["timezone"],
        opening_hours=OpeningHours(hours),
        address=r["address"],
    )


def zone_record(zone: Zone) -> Record:
    return {
        "ref": zone.ref,
        "name": zone.name,
        "hub_ref": zone.hub_ref,
        "polygon": [[[lon, lat] for lon, lat in ring] for ring in zone.polygon],
        "h3_cells": list(zone.h3_cells),
        "access": _values(zone.access),
        "not_home_rate": zone.not_home_rate,
    }


def zone_from(r: Record) -> Zone:
    return Zone(
        ref=r["ref"],
        name=r["name"],
        hub_ref=r["hub_ref"],
        polygon=tuple(tuple((p[0], p[1]) for p in ring) for ring in r["polygon"]),
        h3_cells=tuple(r["h3_cells"]),
        access=frozenset(AccessRule(a) for a in r["access"]),
        not_home_rate=r["not_home_rate"],
    )


# -- fleet -----------------------------------------------------------------------------------


def vehicle_record(v: Vehicle) -> Record:
    return {
        "ref": v.ref,
        "kind": v.kind.value,
        "hub_ref": v.hub_ref,
        "end_hub_ref": v.end_hub_ref,
        "capacity_weight_g": v.capacity.weight_g,
        "capacity_volume_cm3": v.capacity.volume_cm3,
        "capacity_parcels": v.capacity.parcels,
        "range_m": v.range_m,
        "cost_per_km_cents": v.cost_per_km_cents,
        "cost_per_hour_cents": v.cost_per_hour_cents,
        "fixed_cost_cents": v.fixed_cost_cents,
        "co2_g_per_km": v.co2_g_per_km,
        "equipment": _values(v.equipment),
        "access": None if v.access is None else _values(v.access),
    }


def vehicle_from(r: Record) -> Vehicle:
    return Vehicle(
        ref=r["ref"],
        kind=VehicleKind(r["kind"]),
        hub_ref=r["hub_ref"],
        capacity=Load(r["capacity_weight_g"], r["capacity_volume_cm3"], r["capacity_parcels"]),
        end_hub_ref=r["end_hub_ref"],
        range_m=r["range_m"],
        cost_per_km_cents=r["cost_per_km_cents"],
        cost_per_hour_cents=r["cost_per_hour_cents"],
        fixed_cost_cents=r["fixed_cost_cents"],
        co2_g_per_km=r["co2_g_per_km"],
        equipment=frozenset(Skill(s) for s in r["equipment"]),
        access=None if r["access"] is None else frozenset(AccessRule(a) for a in r["access"]),
    )


def driver_record(d: Driver) -> Record:
    rule = d.break_rule
    return {
        "ref": d.ref,
        "name": d.name,
        "employment": d.employment.value,
        "skills": _values(d.skills),
        "max_work_s": d.hours.max_work_s,
        "max_driving_s": d.hours.max_driving_s,
        "break_after_work_s": None if rule is None else rule.after_work_s,
        "break_duration_s": None if rule is None else rule.duration_s,
        "phone": d.phone,
        "hub_ref": d.hub_ref,
    }


def driver_from(r: Record) -> Driver:
    rule = None
    if r["break_after_work_s"] is not None:
        rule = BreakRule(r["break_after_work_s"], r["break_duration_s"])
    return Driver(
        ref=r["ref"],
        name=r["name"],
        employment=Employment(r["employment"]),
        skills=frozenset(Skill(s) for s in r["skills"]),
        hours=HoursOfService(r["max_work_s"], r["max_driving_s"]),
        break_rule=rule,
        phone=r["phone"],
        hub_ref=r["hub_ref"],
    )


def shift_record(s: Shift) -> Record:
    return {
        "ref": s.ref,
        "driver_ref": s.driver_ref,
        "hub_ref": s.hub_ref,
        "start": utc(s.start),
        "end": utc(s.end),
        "vehicle_ref": s.vehicle_ref,
        "max_overtime_s": s.max_overtime_s,
        "overtime_cost_per_hour_cents": s.overtime_cost_per_hour_cents,
    }


def shift_from(r: Record) -> Shift:
    return Shift(**{k: r[k] for k in SHIFT_FIELDS})


SHIFT_FIELDS = (
    "ref", "driver_ref", "hub_ref", "start", "end", "vehicle_ref",
    "max_overtime_s", "overtime_cost_per_hour_cents",
)  # fmt: skip


# -- orders ----------------------------------------------------------------------------------

_TEXT = ("street", "house_number", "postcode", "city", "country", "unit")


def order_record(o: Order, hub_timezone: str | None = None) -> Record:
    """The stored form of an order; ``hub_timezone`` decides its ``service_date``."""
    a = o.address
    window = o.window
    return {
        "ref": o.ref,
        "hub_ref": o.hub_ref,
        "address_raw": a.raw,
        "lat": a.coordinate.lat,
        "lon": a.coordinate.lon,
        **{name: getattr(a, name) for name in _TEXT},
        "address_type": a.address_type.value,
        "precision": a.precision.value,
        "confidence": a.confidence,
        "channel": o.channel.value,
        "service_level": o.service_level.value,
        "window_start": None if window is None else utc(window.start),
        "window_end": None if window is None else utc(window.end),
        "service_date": service_date(window, hub_timezone),
        "items": [_item(i) for i in o.items],
        "skills": _values(o.skills),
        "preferences": _values(o.preferences),
        "recipient_name": o.recipient.name,
        "recipient_phone": o.recipient.phone,
        "recipient_email": o.recipient.email,
        "instructions": o.instructions,
        "access_notes": o.access_notes,
        "service_s": o.service_s,
        "priority": o.priority,
        "ready_at": opt_utc(o.ready_at),
        "zone_ref": o.zone_ref,
        "created_at": utc(o.created_at),
        "state": o.state.value,
        "outcome": None if o.outcome is None else o.outcome.value,
        "failure_reason": None if o.failure_reason is None else o.failure_reason.value,
        "attempts": o.attempts,
    }


def _item(i: Item) -> Record:
    return {
        "sku": i.sku,
        "count": i.count,
        "weight_g": i.weight_g,
        "volume_cm3": i.volume_cm3,
        "description": i.description,
    }


def order_from(r: Record) -> Order:
    window = None
    if r["window_start"] is not None:
        window = TimeWindow(r["window_start"], r["window_end"])
    address = Address(
        raw=r["address_raw"],
        coordinate=Coordinate(r["lat"], r["lon"]),
        **{name: r[name] for name in _TEXT},
        address_type=AddressType(r["address_type"]),
        precision=GeocodePrecision(r["precision"]),
        confidence=r["confidence"],
    )
    return Order(
        ref=r["ref"],
        hub_ref=r["hub_ref"],
        address=address,
        channel=Channel(r["channel"]),
        service_level=ServiceLevel(r["service_level"]),
        window=window,
        items=tuple(Item(**i) for i in r["items"]),
        skills=frozenset(Skill(s) for s in r["skills"]),
        preferences=frozenset(Preference(p) for p in r["preferences"]),
        recipient=Contact(r["recipient_name"], r["recipient_phone"], r["recipient_email"]),
        instructions=r["instructions"],
        access_notes=r["access_notes"],
        service_s=r["service_s"],
        priority=r["priority"],
        ready_at=r["ready_at"],
        zone_ref=r["zone_ref"],
        created_at=r["created_at"],
        state=LifecycleState(r["state"]),
        outcome=None if r["outcome"] is None else Outcome(r["outcome"]),
        failure_reason=(
            None if r["failure_reason"] is None else FailureReason(r["failure_reason"])
        ),
        attempts=r["attempts"],
    )
