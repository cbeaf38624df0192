"""Domain events tracking raises (past tense); they leave the process through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lastmile.domain.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class StopArrived(DomainEvent):
    """A vehicle stayed inside a stop's geofence for the dwell threshold."""

    vehicle_ref: str
    stop_ref: str
    order_refs: tuple[str, ...]
    arrived_at: datetime
    lat: float
    lon: float


@dataclass(frozen=True, kw_only=True)
class StopDeparted(DomainEvent):
    vehicle_ref: str
    stop_ref: str
    order_refs: tuple[str, ...]
    arrived_at: datetime
    departed_at: datetime
    dwell_s: int


@dataclass(frozen=True, kw_only=True)
class LongStop(DomainEvent):
    """A vehicle has been at one stop longer than the long-stop threshold."""

    vehicle_ref: str
    stop_ref: str
    dwell_s: int


@dataclass(frozen=True, kw_only=True)
class RouteDrifted(DomainEvent):
    """A vehicle has been off its planned path for longer than the drift threshold."""

    vehicle_ref: str
    route_ref: str
    since: datetime
    distance_m: int
    lat: float
    lon: float


@dataclass(frozen=True, kw_only=True)
class RouteRejoined(DomainEvent):
    vehicle_ref: str
    route_ref: str
    off_route_s: int


@dataclass(frozen=True, kw_only=True)
class EtaChanged(DomainEvent):
    """``eta.changed``: a stop's ETA moved by more than the threshold or left its window."""

    route_ref: str
    stop_ref: str
    order_refs: tuple[str, ...]
    previous_eta: datetime | None
    eta: datetime
    shift_s: int
    outside_window: bool


#: What an ``exception.opened`` can be about.
EXCEPTION_KINDS = ("route_drift", "long_stop", "late", "failed_attempt", "pod_far")


@dataclass(frozen=True, kw_only=True)
class ExceptionOpened(DomainEvent):
    """``exception.opened``: something on a route or an order needs a dispatcher's attention.

    ``order_ref`` is set when it is about one order (a failed attempt, a far POD), so it also
    lands on that order's timeline; route-wide ones (drift, a long stop, a late stop) name the
    route and the orders of the stop concerned.
    """

    kind: str
    route_ref: str = ""
    order_ref: str | None = None
    order_refs: tuple[str, ...] = ()
    stop_ref: str = ""
    vehicle_ref: str = ""
    detail: str = ""
