"""Immutable value objects; each validates itself so no invalid one can exist."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lastmile.domain.enums import AddressType, GeocodePrecision
from lastmile.domain.errors import InvalidInput


def require_aware(value: datetime, name: str) -> datetime:
    """Naive datetimes are ambiguous across hubs in different zones, so they are refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput("datetime must carry a timezone offset", field=name)
    return value


def zone_info(name: str, field_name: str = "timezone") -> ZoneInfo:
    """Resolve an IANA zone name, or say which field named an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidInput(f"unknown IANA timezone {name!r}", field=field_name) from None


@dataclass(frozen=True, slots=True)
class Coordinate:
    """WGS84 position in degrees."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        for name, value, bound in (("lat", self.lat, 90.0), ("lon", self.lon, 180.0)):
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise InvalidInput(f"{name} must be a finite number, got {value!r}", field=name)
            if abs(value) > bound:
                raise InvalidInput(f"{name} {value} is outside ±{bound:g}", field=name)

    def distance_m(self, other: Coordinate) -> float:
        """Great-circle distance; good enough for geofences and sanity checks."""
        r = 6_371_008.8
        p1, p2 = math.radians(self.lat), math.radians(other.lat)
        dp, dl = p2 - p1, math.radians(other.lon - self.lon)
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * r * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A half-open interval [start, end) of aware datetimes.

    Comparisons go through UTC: Python compares two datetimes of the same zone by wall clock,
    which is wrong across a DST fold (23:30 of the repeated hour is *after* 23:59 before it).
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "window.start")
        require_aware(self.end, "window.end")
        if _utc(self.end) <= _utc(self.start):
            raise InvalidInput(
                f"window ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})",
                field="window",
            )

    @property
    def duration(self) -> timedelta:
        return _utc(self.end) - _utc(self.start)

    def contains(self, moment: datetime) -> bool:
        return _utc(self.start) <= _utc(moment) < _utc(self.end)

    def overlaps(self, other: TimeWindow) -> bool:
        return _utc(self.start) < _utc(other.end) and _utc(other.start) < _utc(self.end)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Load:
    """Multi-dimensional quantity: what a parcel weighs and fills, and what a vehicle holds."""

    weight_g: int = 0
    volume_cm3: int = 0
    parcels: int = 0

    def __post_init__(self) -> None:
        for name in ("weight_g", "volume_cm3", "parcels"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidInput(f"{name} must be a whole number, got {value!r}", field=name)
            if value < 0:
                raise InvalidInput(f"{name} must not be negative, got {value}", field=name)

    def __add__(self, other: Load) -> Load:
        return Load(
            self.weight_g + other.weight_g,
            self.volume_cm3 + other.volume_cm3,
            self.parcels + other.parcels,
        )

    def fits_in(self, capacity: Load) -> bool:
        return (
            self.weight_g <= capacity.weight_g
            and self.volume_cm3 <= capacity.volume_cm3
            and self.parcels <= capacity.parcels
        )

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.weight_g, self.volume_cm3, self.parcels)


@dataclass(frozen=True, slots=True)
class Item:
    """A line of an order: ``count`` identical parcels of the given unit weight and volume."""

    sku: str
    count: int = 1
    weight_g: int = 0
    volume_cm3: int = 0
    description: str = ""

    def __post_init__(self) -> None:
        if self.count < 1:
            raise InvalidInput(f"item count must be at least 1, got {self.count}", field="count")
        if self.weight_g < 0:
            raise InvalidInput(f"weight must not be negative, got {self.weight_g}", field="weight")
        if self.volume_cm3 < 0:
            raise InvalidInput(
                f"volume must not be negative, got {self.volume_cm3}", field="volume"
            )

    @property
    def load(self) -> Load:
        return Load(self.weight_g * self.count, self.volume_cm3 * self.count, self.count)


@dataclass(frozen=True, slots=True)
class Contact:
    name: str = ""
    phone: str = ""
    email: str = ""

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""


@dataclass(frozen=True, slots=True)
class Address:
    """Where a stop is: the text as given, its parts, and how much to trust its coordinate."""

    raw: str
    coordinate: Coordinate
    street: str = ""
    house_number: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    unit: str = ""
    address_type: AddressType = AddressType.UNKNOWN
    precision: GeocodePrecision = GeocodePrecision.UNKNOWN
    confidence: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise InvalidInput(
                f"geocode confidence must be within 0..1, got {self.confidence}",
                field="confidence",
            )


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Weekly opening hours in the hub's local time; a missing day means closed."""

    hours: dict[str, tuple[time, time]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for day, (opens, closes) in self.hours.items():
            if day not in WEEKDAYS:
                raise InvalidInput(f"unknown weekday {day!r}", field="opening_hours")
            if closes <= opens:
                raise InvalidInput(f"{day}: closes before it opens", field="opening_hours")

    @classmethod
    def every_day(cls, opens: time, closes: time) -> OpeningHours:
        return cls({d: (opens, closes) for d in WEEKDAYS})

    def is_open(self, local: datetime) -> bool:
        span = self.hours.get(WEEKDAYS[local.weekday()])
        return span is not None and span[0] <= local.time() < span[1]
