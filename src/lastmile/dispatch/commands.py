"""Requests to change the day in progress; each is handled by exactly one handler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lastmile.domain import Coordinate, InvalidInput, Skill, Zone
from lastmile.domain.events import Command


@dataclass(frozen=True, kw_only=True)
class AddStopToDay(Command):
    """A new order for today: where, when (aware datetimes), how big."""

    stop_ref: str
    hub_ref: str
    location: Coordinate
    windows: tuple[tuple[datetime, datetime], ...] = ()
    service_s: int = 120
    weight_g: int = 0
    volume_cm3: int = 0
    parcels: int = 1
    #: When the parcel is ready at the hub (a same-day order is picked and packed first).
    ready_at: datetime | None = None
    #: What the vehicle and driver must bring (a cold box, an age check ...).
    skills: frozenset[Skill] = frozenset()


@dataclass(frozen=True, kw_only=True)
class CancelStop(Command):
    stop_ref: str
    reason: str = "cancelled by the customer"


@dataclass(frozen=True, kw_only=True)
class SlipReadiness(Command):
    """Parcels at the hub will be ready later than planned."""

    stop_refs: tuple[str, ...]
    ready_at: datetime


@dataclass(frozen=True, kw_only=True)
class ReportDelay(Command):
    vehicle_ref: str
    delay_s: int


@dataclass(frozen=True, kw_only=True)
class ObserveProgress(Command):
    """What tracking saw: stops completed (delivered or attempted) and when, stops a van
    arrived at (its geofence, an "arrived" scan) and when, and stops a van is on its way
    to by its GPS track, with when it will be there (``heading``: a van late between
    stops, :mod:`lastmile.dispatch.fixes`). The day is then where the vans really are, not
    where the plan would have them."""

    done: tuple[tuple[str, datetime], ...]
    arrived: tuple[tuple[str, datetime], ...] = ()
    heading: tuple[tuple[str, datetime], ...] = ()


@dataclass(frozen=True, kw_only=True)
class RecordFailedAttempt(Command):
    """The driver could not deliver; try again no sooner than ``retry_after_s`` from now."""

    stop_ref: str
    reason: str
    retry_after_s: int = 1800


@dataclass(frozen=True, kw_only=True)
class ReportBreakdown(Command):
    """A van cannot go on; its parcels go to ``rescue_vehicle_ref`` or back to the hub."""

    vehicle_ref: str
    rescue_vehicle_ref: str | None = None
    transfer_s: int = 600
    back_to_hub_s: int = 3600


@dataclass(frozen=True, kw_only=True)
class ReportSlowdown(Command):
    """Weather or traffic: travel into ``zone`` takes ``factor`` times as long."""

    zone: Zone
    factor: float


@dataclass(frozen=True, kw_only=True)
class DispatchWaveEarly(Command):
    zone_ref: str
    stop_refs: tuple[str, ...]
    by_s: int


@dataclass(frozen=True, kw_only=True)
class ObserveSlots(Command):
    """Report how fast a zone's slots before the cutoff are filling (for the rules)."""

    zone_ref: str
    filled_per_hour: float
    stop_refs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Replan(Command):
    reason: str
    trigger: str = "manual"


@dataclass(frozen=True, kw_only=True)
class ImprovePlan(Command):
    """Search the day's plan again while no event is waiting; the new plan is adopted only
    when it beats the current one. ``budget_s``: seconds for this step (None: the re-plan
    policy's), so an event that arrives meanwhile waits that long at most."""

    budget_s: float | None = None
    trigger: str = "idle"

    def __post_init__(self) -> None:
        if self.budget_s is not None and not self.budget_s > 0:
            raise InvalidInput(
                f"budget_s must be a positive number of seconds, got {self.budget_s}",
                field="budget_s",
            )
