"""What happened during the day, as dispatch saw it (past tense).

Stops are named ``stop_ref`` (not ``order_ref``): these events describe the plan, and the
journey timeline of an order is written by tracking from its own events.
"""

from __future__ import annotations

from dataclasses import dataclass

from lastmile.domain.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class StopAddedToDay(DomainEvent):
    stop_ref: str
    hub_ref: str


@dataclass(frozen=True, kw_only=True)
class StopCancelled(DomainEvent):
    stop_ref: str
    reason: str
    #: The van the parcel stays on until it is back at the hub, if it was loaded.
    on_vehicle_ref: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReadinessSlipped(DomainEvent):
    stop_refs: tuple[str, ...]
    slip_s: int


@dataclass(frozen=True, kw_only=True)
class ProgressObserved(DomainEvent):
    """Tracking saw these vans complete these stops, each ``lags_s`` after (negative:
    before) the plan's time for it. One event for all, so the rules re-plan once."""

    vehicle_refs: tuple[str, ...]
    stop_refs: tuple[str, ...]
    lags_s: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class VehicleDelayed(DomainEvent):
    vehicle_ref: str
    delay_s: int


@dataclass(frozen=True, kw_only=True)
class AttemptFailed(DomainEvent):
    stop_ref: str
    vehicle_ref: str
    reason: str
    #: Earliest re-attempt (seconds since the day's origin), or None when none is left today.
    retry_from_s: int | None


@dataclass(frozen=True, kw_only=True)
class VehicleBrokeDown(DomainEvent):
    vehicle_ref: str
    parcels: tuple[str, ...]
    #: Where the parcels go: a rescue van's ref, or None for back to the hub.
    rescue_vehicle_ref: str | None = None


@dataclass(frozen=True, kw_only=True)
class ZoneSlowed(DomainEvent):
    zone_ref: str
    factor: float


@dataclass(frozen=True, kw_only=True)
class ZoneSlotsFilling(DomainEvent):
    """An observation from the promise engine: how fast a zone's slots before a cutoff fill."""

    zone_ref: str
    filled_per_hour: float
    stop_refs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class WaveDispatchedEarly(DomainEvent):
    zone_ref: str
    vehicle_refs: tuple[str, ...]
    by_s: int


@dataclass(frozen=True, kw_only=True)
class StopDeferred(DomainEvent):
    """Moved to tomorrow, with the reason kept for the customer and the planner."""

    stop_ref: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Replanned(DomainEvent):
    """One re-plan: why, what triggered it, and what changed (kind, ref, detail)."""

    replan_id: str
    reason: str
    trigger: str
    now_s: int
    cost_before_cents: int
    cost_after_cents: int
    runtime_s: float
    changes: tuple[tuple[str, str, str], ...]
    unassigned: tuple[str, ...] = ()
    deferred: tuple[str, ...] = ()
