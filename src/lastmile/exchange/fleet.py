"""Vehicles, drivers and shifts as rows: columns, parsing and writing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lastmile.domain import (
    AccessRule,
    BreakRule,
    Driver,
    Employment,
    HoursOfService,
    InvalidInput,
    Load,
    Shift,
    Skill,
    Vehicle,
    VehicleKind,
)
from lastmile.exchange import cells
from lastmile.exchange.cells import Row
from lastmile.exchange.records import Context

VEHICLE_COLUMNS = (
    "ref",
    "kind",
    "hub_ref",
    "end_hub_ref",
    "capacity_kg",
    "capacity_l",
    "capacity_parcels",
    "range_km",
    "cost_per_km_cents",
    "cost_per_hour_cents",
    "fixed_cost_cents",
    "co2_g_per_km",
    "equipment",
    "access",
)
DRIVER_COLUMNS = (
    "ref",
    "name",
    "hub_ref",
    "employment",
    "skills",
    "phone",
    "max_work",
    "max_driving",
    "break_after",
    "break_duration",
)
SHIFT_COLUMNS = (
    "ref",
    "driver_ref",
    "hub_ref",
    "start",
    "end",
    "timezone",
    "vehicle_ref",
    "max_overtime_min",
    "overtime_cost_per_hour_cents",
)


def _required(value: int | None, name: str) -> int:
    if value is None:
        raise InvalidInput("is required but missing or empty", field=name)
    return value


def parse_vehicle(row: Row, context: Context) -> Vehicle:
    cells.text(row, "kind", required=True)
    access = cells.members(row, "access", AccessRule)
    range_m = cells.scaled(row, "range_km", 1000, unit="metre")
    if range_m == 0:
        raise InvalidInput("must be positive (leave empty for unlimited)", field="range_km")
    return Vehicle(
        ref=cells.text(row, "ref", required=True),
        kind=cells.choice(row, "kind", VehicleKind, VehicleKind.VAN),
        hub_ref=cells.text(row, "hub_ref", required=True),
        end_hub_ref=cells.text(row, "end_hub_ref") or None,
        capacity=Load(
            _required(cells.scaled(row, "capacity_kg", 1000, unit="gram"), "capacity_kg"),
            _required(cells.scaled(row, "capacity_l", 1000, unit="cm³"), "capacity_l"),
            _required(cells.integer(row, "capacity_parcels"), "capacity_parcels"),
        ),
        range_m=range_m,
        cost_per_km_cents=cells.integer(row, "cost_per_km_cents", default=0) or 0,
        cost_per_hour_cents=cells.integer(row, "cost_per_hour_cents", default=0) or 0,
        fixed_cost_cents=cells.integer(row, "fixed_cost_cents", default=0) or 0,
        co2_g_per_km=_non_negative(cells.number(row, "co2_g_per_km", default=0.0), "co2_g_per_km"),
        equipment=cells.members(row, "equipment", Skill),
        access=access or None,
    )


def _non_negative(value: float | None, name: str) -> float:
    if value is None or value < 0:
        raise InvalidInput(f"must not be negative, got {value}", field=name)
    return value


def vehicle_row(vehicle: Vehicle, context: Context) -> dict[str, Any]:
    cap = vehicle.capacity
    return {
        "ref": vehicle.ref,
        "kind": vehicle.kind.value,
        "hub_ref": vehicle.hub_ref,
        "end_hub_ref": vehicle.end_hub_ref,
        "capacity_kg": cells.plain(cap.weight_g, 1000),
        "capacity_l": cells.plain(cap.volume_cm3, 1000),
        "capacity_parcels": cap.parcels,
        "range_km": cells.plain(vehicle.range_m, 1000) if vehicle.range_m else None,
        "cost_per_km_cents": vehicle.cost_per_km_cents,
        "cost_per_hour_cents": vehicle.cost_per_hour_cents,
        "fixed_cost_cents": vehicle.fixed_cost_cents,
        "co2_g_per_km": vehicle.co2_g_per_km,
        "equipment": cells.sorted_values(vehicle.equipment),
        "access": cells.sorted_values(vehicle.access) if vehicle.access else [],
    }


def parse_driver(row: Row, context: Context) -> Driver:
    defaults_hours, defaults_break = HoursOfService(), BreakRule()
    hours = HoursOfService(
        max_work_s=_positive(
            cells.hours_minutes(row, "max_work", default=defaults_hours.max_work_s), "max_work"
        ),
        max_driving_s=_positive(
            cells.hours_minutes(row, "max_driving", default=defaults_hours.max_driving_s),
            "max_driving",
        ),
    )
    break_rule: BreakRule | None = None
    if cells.text(row, "break_after").lower() != "none":
        after = cells.hours_minutes(row, "break_after", default=defaults_break.after_work_s)
        duration = cells.hours_minutes(row, "break_duration", default=defaults_break.duration_s)
        break_rule = BreakRule(_positive(after, "break_after"), duration or 0)
    return Driver(
        ref=cells.text(row, "ref", required=True),
        name=cells.text(row, "name", required=True),
        employment=cells.choice(row, "employment", Employment, Employment.EMPLOYEE),
        skills=cells.members(row, "skills", Skill),
        hours=hours,
        break_rule=break_rule,
        phone=cells.text(row, "phone"),
        hub_ref=cells.text(row, "hub_ref") or None,
    )


def _positive(value: int | None, name: str) -> int:
    if not value:
        raise InvalidInput("must be a positive duration", field=name)
    return value


def driver_row(driver: Driver, context: Context) -> dict[str, Any]:
    rule = driver.break_rule
    return {
        "ref": driver.ref,
        "name": driver.name,
        "hub_ref": driver.hub_ref,
        "employment": driver.employment.value,
        "skills": cells.sorted_values(driver.skills),
        "phone": driver.phone,
        "max_work": cells.write_hours_minutes(driver.hours.max_work_s),
        "max_driving": cells.write_hours_minutes(driver.hours.max_driving_s),
        "break_after": cells.write_hours_minutes(rule.after_work_s) if rule else "none",
        "break_duration": cells.write_hours_minutes(rule.duration_s) if rule else None,
    }


def parse_shift(row: Row, context: Context) -> Shift:
    hub_ref = cells.text(row, "hub_ref", required=True)
    tz = cells.timezone(row, "timezone", context.timezone_of(hub_ref))
    start = _required_moment(cells.moment(row, "start", tz), "start")
    end = _required_moment(cells.moment(row, "end", tz), "end")
    if end <= start:
        raise InvalidInput(
            f"shift ends ({end.isoformat()}) before it starts ({start.isoformat()})", field="end"
        )
    overtime = cells.scaled(row, "max_overtime_min", 60, unit="second", default=0)
    return Shift(
        ref=cells.text(row, "ref", required=True),
        driver_ref=cells.text(row, "driver_ref", required=True),
        hub_ref=hub_ref,
        start=start,
        end=end,
        vehicle_ref=cells.text(row, "vehicle_ref") or None,
        max_overtime_s=overtime or 0,
        overtime_cost_per_hour_cents=cells.integer(row, "overtime_cost_per_hour_cents", default=0)
        or 0,
    )


def _required_moment(value: datetime | None, name: str) -> datetime:
    if value is None:
        raise InvalidInput("is required but missing or empty", field=name)
    return value


def shift_row(shift: Shift, context: Context) -> dict[str, Any]:
    tz = context.timezone_of(shift.hub_ref)
    return {
        "ref": shift.ref,
        "driver_ref": shift.driver_ref,
        "hub_ref": shift.hub_ref,
        "start": cells.write_moment(shift.start, tz),
        "end": cells.write_moment(shift.end, tz),
        "timezone": None,
        "vehicle_ref": shift.vehicle_ref,
        "max_overtime_min": cells.plain(shift.max_overtime_s, 60),
        "overtime_cost_per_hour_cents": shift.overtime_cost_per_hour_cents,
    }
