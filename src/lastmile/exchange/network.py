"""Hubs and zones as rows: columns, parsing and writing."""

from __future__ import annotations

from datetime import time
from typing import Any

from lastmile.domain import AccessRule, Coordinate, Hub, InvalidInput, OpeningHours, Zone
from lastmile.domain.values import WEEKDAYS, zone_info
from lastmile.exchange import cells
from lastmile.exchange.cells import Row
from lastmile.exchange.records import Context

HUB_COLUMNS = ("ref", "name", "lat", "lon", "timezone", "address", "opening_hours")
ZONE_COLUMNS = ("ref", "name", "hub_ref", "polygon", "h3_cells", "access", "not_home_rate")


def parse_hub(row: Row, context: Context) -> Hub:
    return Hub(
        ref=cells.text(row, "ref", required=True),
        name=cells.text(row, "name", required=True),
        location=Coordinate(cells.degrees(row, "lat", 90.0), cells.degrees(row, "lon", 180.0)),
        timezone=zone_info(cells.text(row, "timezone", default="UTC"), "timezone").key,
        address=cells.text(row, "address"),
        opening_hours=parse_opening_hours(cells.text(row, "opening_hours")),
    )


def hub_row(hub: Hub, context: Context) -> dict[str, Any]:
    return {
        "ref": hub.ref,
        "name": hub.name,
        "lat": hub.location.lat,
        "lon": hub.location.lon,
        "timezone": hub.timezone,
        "address": hub.address,
        "opening_hours": write_opening_hours(hub.opening_hours),
    }


def parse_opening_hours(value: str) -> OpeningHours:
    """``mon-fri 07:00-21:00; sat 08:00-16:00`` (days or day ranges, then the hours)."""
    hours: dict[str, tuple[time, time]] = {}
    for clause in filter(None, (c.strip() for c in value.split(";"))):
        days_part, _, span = clause.partition(" ")
        opens, closes = cells.clock_span(span, "opening_hours")
        for day in _days(days_part.lower()):
            hours[day] = (opens, closes)
    return OpeningHours(hours)


def _days(spec: str) -> list[str]:
    first, _, last = spec.partition("-")
    if first not in WEEKDAYS or (last and last not in WEEKDAYS):
        raise InvalidInput(
            f"cannot read days {spec!r}; use mon..sun, e.g. 'mon-fri 07:00-21:00'",
            field="opening_hours",
        )
    start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    if end < start:
        raise InvalidInput(f"day range {spec!r} runs backwards", field="opening_hours")
    return list(WEEKDAYS[start : end + 1])


def write_opening_hours(opening: OpeningHours) -> str:
    """Consecutive days with the same hours are grouped, so the cell reads like a shop door."""
    clauses: list[str] = []
    run: list[str] = []
    for day in (*WEEKDAYS, None):
        span = opening.hours.get(day) if day else None
        if run and (span is None or span != opening.hours[run[0]]):
            opens, closes = opening.hours[run[0]]
            days = run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}"
            clauses.append(f"{days} {_clock(opens)}-{_clock(closes)}")
            run = []
        if day and span is not None:
            run.append(day)
    return "; ".join(clauses)


def _clock(moment: time) -> str:
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


def parse_zone(row: Row, context: Context) -> Zone:
    hub_ref = cells.text(row, "hub_ref") or None
    return Zone(
        ref=cells.text(row, "ref", required=True),
        name=cells.text(row, "name", required=True),
        hub_ref=hub_ref,
        polygon=_polygon(row),
        h3_cells=cells.strings(row, "h3_cells"),
        access=cells.members(row, "access", AccessRule),
        not_home_rate=_rate(row),
    )


def _rate(row: Row) -> float:
    value = cells.number(row, "not_home_rate", default=0.05)
    assert value is not None
    if not 0.0 <= value <= 1.0:
        raise InvalidInput(f"must be within 0..1, got {value}", field="not_home_rate")
    return value


def _polygon(row: Row) -> tuple[tuple[tuple[float, float], ...], ...]:
    """GeoJSON polygon coordinates: a list of rings of [lon, lat] pairs, the first the outline."""
    data = cells.structure(row, "polygon")
    if data is None:
        return ()
    message = "must be GeoJSON polygon coordinates: [[[lon, lat], ...]]"
    if not isinstance(data, list) or not all(isinstance(r, list) for r in data):
        raise InvalidInput(message, field="polygon")
    rings = []
    for ring in data:
        points = []
        for point in ring:
            ok = isinstance(point, list) and len(point) == 2
            if not ok or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in point
            ):
                raise InvalidInput(message, field="polygon")
            points.append((float(point[0]), float(point[1])))
        rings.append(tuple(points))
    return tuple(rings)


def zone_row(zone: Zone, context: Context) -> dict[str, Any]:
    return {
        "ref": zone.ref,
        "name": zone.name,
        "hub_ref": zone.hub_ref,
        "polygon": [[[lon, lat] for lon, lat in ring] for ring in zone.polygon] or None,
        "h3_cells": list(zone.h3_cells),
        "access": cells.sorted_values(zone.access),
        "not_home_rate": zone.not_home_rate,
    }
