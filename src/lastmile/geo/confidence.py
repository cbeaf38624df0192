"""Geocode confidence: a score in 0..1 and named flags saying why a stop looks wrong.

A wrong coordinate costs a failed delivery and a driver's detour, so stops below a threshold
are listed for a person to check before dispatch. Every check runs vectorised over the whole
day's addresses; the ones that compare addresses with each other (shared coordinate,
postcode mismatch) need the whole set anyway.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol

import numpy as np

from lastmile.domain import Address, Coordinate, GeocodePrecision, Zone
from lastmile.geo.addresses import address_problems, effective_postcode, parse_address
from lastmile.geo.points import FloatArray, as_lat_lon, haversine_pairs_m
from lastmile.geo.zones import outside_every_zone


class AddressFlag(StrEnum):
    FAR_FROM_ROAD = "far_from_road"
    OUTSIDE_SERVICE_AREA = "outside_service_area"
    POSTCODE_PRECISION = "postcode_precision"
    SHARED_COORDINATE = "shared_coordinate"
    POSTCODE_MISMATCH = "postcode_mismatch"
    INCOMPLETE = "incomplete"


# How much each flag takes off the score; chosen so that any one serious flag (outside the
# area, wrong postcode, far from roads) drops a rooftop geocode below the default 0.6.
PENALTY: Mapping[AddressFlag, float] = MappingProxyType(
    {
        AddressFlag.FAR_FROM_ROAD: 0.45,
        AddressFlag.OUTSIDE_SERVICE_AREA: 0.5,
        AddressFlag.POSTCODE_PRECISION: 0.0,  # already in the precision base below
        AddressFlag.SHARED_COORDINATE: 0.3,
        AddressFlag.POSTCODE_MISMATCH: 0.45,
        AddressFlag.INCOMPLETE: 0.15,
    }
)
PRECISION_BASE: Mapping[GeocodePrecision, float] = MappingProxyType(
    {
        GeocodePrecision.ROOFTOP: 1.0,
        GeocodePrecision.STREET: 0.85,
        GeocodePrecision.UNKNOWN: 0.8,
        GeocodePrecision.POSTCODE: 0.5,
        GeocodePrecision.CITY: 0.2,
    }
)


class RoadDistance(Protocol):
    """Anything that knows how far points are from the nearest road (the OSM provider)."""

    def road_distance_m(self, points: Sequence[Coordinate]) -> FloatArray: ...


@dataclass(frozen=True)
class CheckSettings:
    far_from_road_m: float = 150.0
    shared_min_addresses: int = 3  # distinct addresses on one coordinate before it is odd
    shared_precision_deg: float = 1e-5  # ~1 m: coordinates this close count as the same
    postcode_min_addresses: int = 3  # a postcode needs this many to have a trusted centre
    postcode_mismatch_m: float = 3000.0
    postcode_spread_factor: float = 4.0  # ... or this many times the postcode's median spread


@dataclass(frozen=True)
class AddressCheck:
    """The verdict on one address: score, flags, and a sentence per flag."""

    ref: str
    address: Address
    confidence: float
    flags: frozenset[AddressFlag]
    reasons: dict[AddressFlag, str] = field(default_factory=dict)


def _identity(address: Address) -> tuple[str, str, str]:
    """Street, number and postcode, normalised: units of one building are the same address."""
    parsed = parse_address(address.raw) if address.raw.strip() else None
    street = address.street or (parsed.street if parsed else "")
    number = address.house_number or (parsed.house_number if parsed else "")
    return (street.strip().lower(), number.strip().lower(), effective_postcode(address))


def _shared(addresses: Sequence[Address], lat_lon: FloatArray, s: CheckSettings) -> list[int]:
    """How many distinct addresses share each address's coordinate."""
    keys = np.round(lat_lon / s.shared_precision_deg).astype(np.int64)
    groups: dict[tuple[int, int], set[tuple[str, str, str]]] = defaultdict(set)
    for (a, b), address in zip(keys.tolist(), addresses, strict=True):
        groups[(a, b)].add(_identity(address))
    return [len(groups[(a, b)]) for a, b in keys.tolist()]


def _postcode_distance(
    addresses: Sequence[Address], lat_lon: FloatArray, s: CheckSettings
) -> list[tuple[float, float] | None]:
    """(metres from the postcode's median point, allowed metres), or None without a centre."""
    members: dict[str, list[int]] = defaultdict(list)
    for i, address in enumerate(addresses):
        code = effective_postcode(address)
        if code and address.precision not in (GeocodePrecision.POSTCODE, GeocodePrecision.CITY):
            members[code].append(i)
    result: list[tuple[float, float] | None] = [None] * len(addresses)
    for indices in members.values():
        if len(indices) < s.postcode_min_addresses:
            continue
        centre = np.median(lat_lon[indices], axis=0)
        distance = haversine_pairs_m(lat_lon[indices], np.tile(centre, (len(indices), 1)))
        allowed = max(s.postcode_mismatch_m, s.postcode_spread_factor * float(np.median(distance)))
        for i, d in zip(indices, distance.tolist(), strict=True):
            result[i] = (d, allowed)
    return result


def check_addresses(
    items: Sequence[tuple[str, Address]],
    *,
    zones: Sequence[Zone] = (),
    roads: RoadDistance | None = None,
    settings: CheckSettings | None = None,
) -> list[AddressCheck]:
    """Score every (ref, address); flags need zones (service area) and roads (far from road)."""
    s = settings or CheckSettings()
    addresses = [a for _, a in items]
    points = [a.coordinate for a in addresses]
    lat_lon = as_lat_lon(points)
    road_m = roads.road_distance_m(points) if roads is not None and points else None
    outside = outside_every_zone(points, zones) if zones else np.zeros(len(points), dtype=bool)
    shared = _shared(addresses, lat_lon, s)
    postcode = _postcode_distance(addresses, lat_lon, s)
    checks = []
    for i, (ref, address) in enumerate(items):
        reasons: dict[AddressFlag, str] = {}
        if road_m is not None and road_m[i] > s.far_from_road_m:
            reasons[AddressFlag.FAR_FROM_ROAD] = f"{road_m[i]:.0f} m from the nearest road"
        if outside[i]:
            reasons[AddressFlag.OUTSIDE_SERVICE_AREA] = "outside every service area"
        if address.precision in (GeocodePrecision.POSTCODE, GeocodePrecision.CITY):
            reasons[AddressFlag.POSTCODE_PRECISION] = f"geocoded to {address.precision} only"
        if shared[i] >= s.shared_min_addresses:
            reasons[AddressFlag.SHARED_COORDINATE] = (
                f"same coordinate as {shared[i] - 1} other distinct address(es)"
            )
        spread = postcode[i]
        if spread is not None and spread[0] > spread[1]:
            reasons[AddressFlag.POSTCODE_MISMATCH] = (
                f"{spread[0] / 1000:.1f} km from the other addresses in "
                f"{effective_postcode(address)}"
            )
        problems = address_problems(address)
        if problems:
            reasons[AddressFlag.INCOMPLETE] = "; ".join(problems)
        checks.append(_verdict(ref, address, reasons))
    return checks


def _verdict(ref: str, address: Address, reasons: dict[AddressFlag, str]) -> AddressCheck:
    score = PRECISION_BASE[address.precision] * address.confidence
    score -= sum(PENALTY[flag] for flag in reasons)
    return AddressCheck(ref, address, round(min(1.0, max(0.0, score)), 3), frozenset(reasons),
                        reasons)  # fmt: skip


def needs_review(checks: Sequence[AddressCheck], min_confidence: float = 0.6) -> list[AddressCheck]:
    """Checks below the threshold, worst first: the list a dispatcher goes through."""
    low = [c for c in checks if c.confidence < min_confidence]
    return sorted(low, key=lambda c: (c.confidence, c.ref))
