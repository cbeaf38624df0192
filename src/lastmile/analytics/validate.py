"""Refuse a day log whose figures would be meaningless, naming the row that is wrong.

The scorecard trusts these facts: a delivered order has a delivery time and at least one
attempt, numbers are finite and not negative, references point at rows that exist.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from lastmile.analytics.buckets import zone_info
from lastmile.analytics.daylog import DayLog, DayOutcome, Delivery, VehicleDay
from lastmile.domain.errors import InvalidInput


def validate(log: DayLog) -> None:
    """Raise :class:`InvalidInput` on the first inconsistent row of ``log``."""
    zone_info(log.timezone)
    vehicles = _unique((v.vehicle_ref for v in log.vehicles), "vehicle")
    _unique((d.order_ref for d in log.deliveries), "delivery")
    for vehicle in log.vehicles:
        _check_vehicle(vehicle)
    for delivery in log.deliveries:
        _check_delivery(delivery, vehicles)
    for i, eta in enumerate(log.etas):
        where = f"eta sample {i} (order {eta.order_ref!r})"
        for name in ("issued_at", "p50", "actual", "p10", "p90"):
            _aware(getattr(eta, name), name, where)
    for i, exc in enumerate(log.exceptions):
        _aware(exc.at, "at", f"exception {i} ({exc.kind!r})")


def _unique(refs: Iterable[str], what: str) -> set[str]:
    seen: set[str] = set()
    for ref in refs:
        if ref in seen:
            raise InvalidInput(f"{what} {ref!r} appears twice", location="day log")
        seen.add(ref)
    return seen


def _check_delivery(d: Delivery, vehicles: set[str]) -> None:
    where = f"delivery {d.order_ref!r}"
    try:
        outcome = DayOutcome(d.outcome)
    except ValueError as exc:
        raise InvalidInput(
            f"unknown outcome {d.outcome!r}", field="outcome", location=where
        ) from exc
    if d.attempts < 0:
        raise InvalidInput(f"attempts is {d.attempts}", field="attempts", location=where)
    if outcome is DayOutcome.DELIVERED:
        if d.completed_at is None:
            raise InvalidInput(
                "delivered without completed_at", field="completed_at", location=where
            )
        if d.attempts < 1:
            raise InvalidInput(
                "delivered with no attempt (a delivery is an attempt)",
                field="attempts",
                location=where,
            )
    if d.dwell_s is not None and not (math.isfinite(d.dwell_s) and d.dwell_s >= 0):
        raise InvalidInput(f"dwell_s is {d.dwell_s}", field="dwell_s", location=where)
    if d.vehicle_ref is not None and d.vehicle_ref not in vehicles:
        raise InvalidInput(
            f"vehicle {d.vehicle_ref!r} is not among the day's vehicles",
            field="vehicle_ref",
            location=where,
        )
    for name in ("arrived_at", "completed_at", "created_at"):
        _aware(getattr(d, name), name, where)


def _check_vehicle(v: VehicleDay) -> None:
    where = f"vehicle {v.vehicle_ref!r}"
    for name in ("km", "on_duty_s", "driving_s", "service_s", "waiting_s", "cost", "co2_g"):
        value = getattr(v, name)
        if not (math.isfinite(value) and value >= 0):
            raise InvalidInput(f"{name} is {value}", field=name, location=where)
    for name in ("stops_completed", "capacity_parcels", "peak_load_parcels"):
        if getattr(v, name) < 0:
            raise InvalidInput(f"{name} is {getattr(v, name)}", field=name, location=where)
    if v.driving_s + v.service_s > v.on_duty_s + 1.0:  # a second of rounding is not an error
        raise InvalidInput(
            f"driving ({v.driving_s} s) plus service ({v.service_s} s) exceed on-duty time"
            f" ({v.on_duty_s} s)",
            field="on_duty_s",
            location=where,
        )
    if v.capacity_parcels and v.peak_load_parcels > v.capacity_parcels:
        raise InvalidInput(
            f"peak load {v.peak_load_parcels} exceeds capacity {v.capacity_parcels}",
            field="peak_load_parcels",
            location=where,
        )


def _aware(moment: datetime | None, name: str, where: str) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise InvalidInput(
            f"{name} is a naive datetime; give it a time zone", field=name, location=where
        )
