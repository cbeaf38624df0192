"""What one operating day leaves behind, as the KPI scorecard reads it.

This is the contract between whatever records a day (the simulator, or an adapter over a real
day's store: orders, journeys, plans, pings) and the scorecard. It holds facts, not KPIs: the
scorecard derives every figure from these rows, so two days (or two policies on the same day)
are always measured the same way. Times are aware datetimes; the local zone of the hub is kept
so that "time window" buckets read as the customer saw them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from lastmile.domain.values import TimeWindow


class DayOutcome(StrEnum):
    """Where an order ended the day."""

    DELIVERED = "delivered"
    FAILED = "failed"  # an attempt was made and failed; ``failure_reason`` says why
    RESCHEDULED = "rescheduled"  # moved to another day, with a reason
    CANCELLED = "cancelled"  # cancelled by the customer or the merchant
    UNSERVED = "unserved"  # still open at the end of the day: a platform failure


@dataclass(frozen=True)
class Delivery:
    """One order's day: what was promised and what happened."""

    order_ref: str
    zone: str
    outcome: DayOutcome
    promised: TimeWindow | None = None
    attempts: int = 0  # doorstep attempts made today
    arrived_at: datetime | None = None  # first arrival at the stop (geofence or scan)
    completed_at: datetime | None = None  # delivered, or the last failed attempt
    dwell_s: float | None = None  # at the stop on the last attempt (arrival to departure)
    in_full: bool = True  # every item handed over (OTIF's "in full")
    failure_reason: str | None = None
    reschedule_reason: str | None = None
    vehicle_ref: str | None = None
    address_type: str = "residential"
    has_pod: bool = False  # proof of delivery captured for a delivered order
    created_at: datetime | None = None  # when the order was placed


@dataclass(frozen=True)
class VehicleDay:
    """One vehicle's day: distance, time on duty and what it cost."""

    vehicle_ref: str
    kind: str
    km: float
    on_duty_s: float  # from leaving the hub (or shift start) to the return
    driving_s: float
    service_s: float
    waiting_s: float
    cost: float  # currency units, from the vehicle's per-km, per-hour and fixed cost
    co2_g: float
    stops_completed: int  # stops visited (delivered or attempted)
    capacity_parcels: int = 0
    peak_load_parcels: int = 0  # highest number of parcels on board at once


@dataclass(frozen=True)
class EtaSample:
    """An ETA the platform gave for a stop, and when the vehicle actually arrived."""

    order_ref: str
    zone: str
    issued_at: datetime
    p50: datetime
    actual: datetime
    p10: datetime | None = None
    p90: datetime | None = None
    promised: TimeWindow | None = None


@dataclass(frozen=True)
class ExceptionRaised:
    """An exception the platform opened (late vehicle, failed attempt, breakdown, drift ...)."""

    kind: str
    at: datetime
    zone: str = ""
    order_ref: str | None = None
    vehicle_ref: str | None = None
    detail: str = ""


@dataclass
class DayLog:
    """Everything the scorecard needs about one day under one policy and seed."""

    day: date
    timezone: str  # IANA zone of the hub(s), e.g. "Europe/Helsinki"
    policy: str = ""
    seed: int | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    vehicles: list[VehicleDay] = field(default_factory=list)
    etas: list[EtaSample] = field(default_factory=list)
    exceptions: list[ExceptionRaised] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # scenario name, city, wall time ...
