"""Routes and plans as the rest of the platform sees them (planning produces them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from lastmile.domain.events import utcnow
from lastmile.domain.values import Load


class UnassignedReason(StrEnum):
    TIME_WINDOW = "time_window"
    CAPACITY = "capacity"
    SKILL = "skill"
    ACCESS = "access"
    SHIFT = "shift"
    RANGE = "range"
    NO_VEHICLE = "no_vehicle"
    DEFERRED = "deferred"


@dataclass(frozen=True)
class Visit:
    """One stop of a route with its schedule (aware datetimes) and the load after it."""

    stop_ref: str
    order_refs: tuple[str, ...]
    arrival: datetime
    service_start: datetime
    departure: datetime
    wait_s: int = 0
    load_after: Load = field(default_factory=Load)
    kind: str = "delivery"
    #: Which of the vehicle's trips from the hub the stop is on (0 for the first): a re-plan
    #: reads the plan back and needs to know what a van carries on each trip.
    trip: int = 0


@dataclass(frozen=True)
class Break:
    start: datetime
    end: datetime


@dataclass(eq=False)
class Route:
    ref: str
    vehicle_ref: str
    start: datetime
    end: datetime
    visits: list[Visit] = field(default_factory=list)
    driver_ref: str | None = None
    shift_ref: str | None = None
    breaks: list[Break] = field(default_factory=list)
    distance_m: int = 0
    duration_s: int = 0
    cost_cents: int = 0
    co2_g: int = 0
    version: int = 1
    status: str = "planned"

    @property
    def stops_per_hour(self) -> float:
        return len(self.visits) / (self.duration_s / 3600) if self.duration_s else 0.0


@dataclass(frozen=True)
class Unassigned:
    stop_ref: str
    reason: UnassignedReason
    detail: str = ""


@dataclass(eq=False)
class Plan:
    ref: str
    hub_refs: tuple[str, ...]
    service_date: str
    routes: list[Route] = field(default_factory=list)
    unassigned: list[Unassigned] = field(default_factory=list)
    created_at: datetime = field(default_factory=utcnow)
    status: str = "draft"
    cost_cents: int = 0
