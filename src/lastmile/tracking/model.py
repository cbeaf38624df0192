"""What devices send: GPS pings and parcel scans, as validated immutable values."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from lastmile.domain.enums import FailureReason
from lastmile.domain.errors import InvalidInput
from lastmile.domain.values import require_aware

#: The ``source`` of scans from lastmile's own driver apps (anything else is a carrier).
LASTMILE = "lastmile"


class ScanKind(StrEnum):
    """lastmile's own scan taxonomy; carrier vocabularies map onto it (see ``carriers``)."""

    LOADED = "loaded"
    DEPARTED = "departed"
    ARRIVED = "arrived"
    DELIVERED = "delivered"
    ATTEMPTED = "attempted"
    PICKED_UP = "picked_up"
    RETURNED = "returned"


def _finite(value: float | None, name: str) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
    ):
        raise InvalidInput(f"{name} must be a finite number, got {value!r}", field=name)


#: Sequences are stored as signed 64-bit integers (SQLite and PostgreSQL BIGINT).
MAX_SEQ = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Ping:
    """One GPS fix from a device.

    ``key`` is the idempotency key: the client's event id when it gives one, otherwise
    ``device:sequence``; a replayed ping has the same key and is stored once. Latitude and
    longitude are *not* range-checked here: an impossible fix is data (a rejected ping with a
    reason), not an error that would lose the rest of a batch.
    """

    device_id: str
    seq: int
    recorded_at: datetime
    lat: float
    lon: float
    accuracy_m: float | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None
    battery: float | None = None
    event_id: str | None = None
    vehicle_ref: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.device_id, str) or not self.device_id.strip():
            raise InvalidInput("device id must be a non-empty string", field="device_id")
        if len(self.device_id) > 128:
            raise InvalidInput("device id is longer than 128 characters", field="device_id")
        if (
            isinstance(self.seq, bool)
            or not isinstance(self.seq, int)
            or not 0 <= self.seq <= MAX_SEQ
        ):
            raise InvalidInput(
                f"sequence must be a whole number from 0 to {MAX_SEQ}, got {self.seq!r}",
                field="seq",
            )
        require_aware(self.recorded_at, "recorded_at")
        for name in ("lat", "lon", "accuracy_m", "speed_mps", "heading_deg", "battery"):
            _finite(getattr(self, name), name)

    @property
    def key(self) -> str:
        return self.event_id or f"{self.device_id}:{self.seq}"


@dataclass(frozen=True, slots=True)
class Scan:
    """A parcel scan by a driver app or a carrier feed; ``event_id`` makes replays harmless."""

    event_id: str
    order_ref: str
    kind: ScanKind
    at: datetime
    actor: str = "driver"
    lat: float | None = None
    lon: float | None = None
    reason: FailureReason | None = None
    source: str = LASTMILE
    device_id: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.event_id, str) or not self.event_id.strip():
            raise InvalidInput("scan needs a non-empty event id", field="event_id")
        if not isinstance(self.order_ref, str) or not self.order_ref.strip():
            raise InvalidInput("scan needs an order reference", field="order_ref")
        require_aware(self.at, "at")
        if (self.lat is None) != (self.lon is None):
            raise InvalidInput("give both lat and lon or neither", field="lat")
        for name, bound in (("lat", 90.0), ("lon", 180.0)):
            value = getattr(self, name)
            _finite(value, name)
            if value is not None and abs(value) > bound:
                raise InvalidInput(f"{name} {value} is outside ±{bound:g}", field=name)
        if self.kind is ScanKind.ATTEMPTED and self.reason is None:
            raise InvalidInput("an attempted scan needs a failure reason", field="reason")
        if self.kind is not ScanKind.ATTEMPTED and self.reason is not None:
            raise InvalidInput(f"a {self.kind.value} scan has no failure reason", field="reason")
