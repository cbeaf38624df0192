"""The simulated street: what each parcel and each vehicle really does, second by second.

The platform never reads this directly: it learns about the street only from pings, scans
and the events drivers report (see :mod:`lastmile.sim.platform`). Vans follow the plan the
platform dispatched — the next stop of the trip they loaded for, then back to the hub for
the next trip — with travel, doorstep and failure drawn from :mod:`lastmile.sim.people`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum

from lastmile.domain import Coordinate, Order, Vehicle
from lastmile.geo.travel import PROFILE_OF_KIND, Profile


class Phase(StrEnum):
    OFF = "off"  # shift not started
    IDLE = "idle"  # at the hub, nothing to do
    WAITING = "waiting"  # at the hub, waiting for the trip's time or its parcels
    LOADING = "loading"
    DRIVING = "driving"
    SERVING = "serving"
    RETURNING = "returning"
    BROKEN = "broken"
    DONE = "done"  # back at the hub for good


ON_ROAD = frozenset({Phase.LOADING, Phase.DRIVING, Phase.SERVING})


@dataclass
class Parcel:
    """One order's truth: where its parcel is and what happened at the door."""

    order: Order
    ready_s: float  # when the parcel is really ready at the hub
    placed_s: float | None = None  # None: placed before the day's plan
    known: bool = False  # the platform has it (placed and accepted)
    at_hub: bool = True
    van: str | None = None
    attempts: int = 0
    arrivals: list[float] = field(default_factory=list)
    completed_s: float | None = None
    dwell_s: float | None = None
    delivered: bool = False
    failure: str | None = None
    cancelled: bool = False
    vehicle_ref: str | None = None
    pod: bool = False
    #: Why the parcel did not go out today, when the platform said so.
    reason: str | None = None

    @property
    def ref(self) -> str:
        return self.order.ref

    @property
    def pickup(self) -> bool:
        return self.order.kind.value == "pickup"

    @property
    def finished(self) -> bool:
        return self.delivered or self.cancelled


@dataclass
class Leg:
    start: Coordinate
    end: Coordinate
    t0: float
    t1: float
    distance_m: float

    def at(self, t: float) -> Coordinate:
        """Where the van is at ``t`` (a straight line between the two ends)."""
        if self.t1 <= self.t0:
            return self.end
        f = min(1.0, max(0.0, (t - self.t0) / (self.t1 - self.t0)))
        return Coordinate(
            self.start.lat + f * (self.end.lat - self.start.lat),
            self.start.lon + f * (self.end.lon - self.start.lon),
        )


@dataclass
class Van:
    """One vehicle (with its driver) on the street."""

    vehicle: Vehicle
    index: int  # in the day problem's vehicles
    hub: Coordinate
    shift_start_s: float
    latest_end_s: float
    pace: float
    breakdown_after_s: float  # driving seconds before it breaks down
    noise: random.Random
    position: Coordinate = field(default_factory=lambda: Coordinate(0.0, 0.0))
    phase: Phase = Phase.OFF
    trip: int | None = None
    target: str | None = None
    leg: Leg | None = None
    on_board: set[str] = field(default_factory=set)
    served: list[str] = field(default_factory=list)
    #: Stop ref -> plan version in which it was last attempted (a failed stop is only
    #: attempted again when a newer plan asks for it).
    attempted: dict[str, int] = field(default_factory=dict)
    km: float = 0.0
    legs_m: list[float] = field(default_factory=list)
    driving_s: float = 0.0
    service_s: float = 0.0
    waiting_s: float = 0.0
    started_s: float | None = None
    ended_s: float | None = None
    stops_visited: int = 0
    peak_load: int = 0
    #: Parcels loaded at each departure from the hub with parcels (its trips, in order).
    loads: list[int] = field(default_factory=list)
    token: int = 0
    seq: int = 0
    busy_until_s: float = 0.0  # end of the current step (service or leg)
    waiting_since_s: float | None = None

    @property
    def ref(self) -> str:
        return self.vehicle.ref

    @property
    def profile(self) -> Profile:
        return PROFILE_OF_KIND[self.vehicle.kind]

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def drive(self, leg: Leg) -> None:
        self.leg = leg
        self.km += leg.distance_m / 1000.0
        self.legs_m.append(leg.distance_m)
        self.driving_s += leg.t1 - leg.t0
        self.busy_until_s = leg.t1

    def load_parcels(self) -> int:
        return len(self.on_board)
