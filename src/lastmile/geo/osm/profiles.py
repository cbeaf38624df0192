"""Which OpenStreetMap ways each vehicle profile may use, in which direction, how fast.

Rules follow the OSM wiki's access hierarchy (``access`` < ``vehicle`` < ``motor_vehicle`` <
``motorcar``/``hgv``; ``bicycle`` and ``foot`` under ``access``): the most specific tag wins.
Speeds are typical urban averages per highway class, or 80 % of a posted ``maxspeed`` because
vans rarely hold the limit between junctions. Routing is turn-free.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from lastmile.geo.travel import Profile

Tags = Mapping[str, str]

# km/h per highway class when no maxspeed is posted; absent classes are not usable.
_MOTOR_SPEEDS: dict[str, float] = {
    "motorway": 90, "motorway_link": 45, "trunk": 80, "trunk_link": 40,
    "primary": 55, "primary_link": 30, "secondary": 45, "secondary_link": 25,
    "tertiary": 35, "tertiary_link": 20, "unclassified": 25, "residential": 22,
    "living_street": 10, "service": 12, "road": 20,
}  # fmt: skip
_BICYCLE_SPEEDS: dict[str, float] = {
    "trunk": 16, "trunk_link": 16, "primary": 16, "primary_link": 16, "secondary": 16,
    "secondary_link": 16, "tertiary": 16, "tertiary_link": 16, "unclassified": 16,
    "residential": 16, "living_street": 12, "service": 14, "road": 14, "cycleway": 18,
    "track": 12, "path": 12, "bridleway": 8,
}  # fmt: skip
_FOOT_SPEEDS: dict[str, float] = {
    name: 5.0
    for name in (
        "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
        "unclassified", "residential", "living_street", "service", "road", "cycleway", "track",
        "path", "bridleway", "pedestrian", "footway", "platform", "corridor", "crossing", "trail",
    )
} | {"steps": 2.5, "elevator": 1.0, "trunk": 5.0, "trunk_link": 5.0}  # fmt: skip

# Classes a profile may use only where its own tag grants it (``bicycle=yes`` on a footway).
_CONDITIONAL_KMH: Mapping[Profile, Mapping[str, float]] = MappingProxyType(
    {
        Profile.CAR: MappingProxyType({"track": 15.0}),
        Profile.TRUCK: MappingProxyType({"track": 10.0}),
        Profile.BICYCLE: MappingProxyType({"footway": 8.0, "pedestrian": 8.0, "platform": 5.0}),
        Profile.FOOT: MappingProxyType({"motorway": 4.0, "motorway_link": 4.0}),
    }
)

SPEEDS_KMH: Mapping[Profile, Mapping[str, float]] = MappingProxyType(
    {
        Profile.CAR: MappingProxyType(_MOTOR_SPEEDS),
        Profile.TRUCK: MappingProxyType({k: min(v, 80.0) for k, v in _MOTOR_SPEEDS.items()}),
        Profile.BICYCLE: MappingProxyType(_BICYCLE_SPEEDS),
        Profile.FOOT: MappingProxyType(_FOOT_SPEEDS),
    }
)

# Most general first; the last tag present decides.
_HIERARCHY: Mapping[Profile, tuple[str, ...]] = MappingProxyType(
    {
        Profile.CAR: ("access", "vehicle", "motor_vehicle", "motorcar"),
        Profile.TRUCK: ("access", "vehicle", "motor_vehicle", "hgv"),
        Profile.BICYCLE: ("access", "vehicle", "bicycle"),
        Profile.FOOT: ("access", "foot"),
    }
)
_FORBIDDING = frozenset(
    {"no", "private", "agricultural", "forestry", "emergency", "military", "psv", "bus",
     "use_sidepath", "disabled", "permit"}
)  # fmt: skip
_GRANTING = frozenset({"yes", "designated", "permissive", "destination", "delivery", "customers"})
_TRUE = frozenset({"yes", "true", "1"})
_REVERSE = frozenset({"-1", "reverse"})
_MPH = 1.609344
# A truck is taken as 3.5 m high and 7.5 t: lower or lighter limits close the way to it.
_TRUCK_HEIGHT_M = 3.5
_TRUCK_WEIGHT_T = 7.5


@dataclass(frozen=True, slots=True)
class WayRule:
    """Whether a way may be used along (forward) and against (backward) its node order."""

    forward: bool
    backward: bool
    speed_forward_kmh: float
    speed_backward_kmh: float


def _access(profile: Profile, tags: Tags) -> bool | None:
    """True/False when a tag decides, None to fall back to the highway class."""
    decision: bool | None = None
    for key in _HIERARCHY[profile]:
        value = tags.get(key)
        if value in _FORBIDDING:
            decision = False
        elif value in _GRANTING:
            decision = True
    if profile == Profile.BICYCLE and tags.get("bicycle") == "dismount":
        decision = True
    if profile == Profile.TRUCK and _too_small_for_truck(tags):
        decision = False
    return decision


def _specific_grant(profile: Profile, tags: Tags) -> bool:
    """The profile's own tags (not plain ``access``) open the way to it."""
    return any(tags.get(key) in _GRANTING for key in _HIERARCHY[profile][1:])


def _first_number(value: str | None) -> float | None:
    match = re.match(r"\s*([0-9]+(?:\.[0-9]+)?)", value or "")
    return float(match.group(1)) if match else None


def _too_small_for_truck(tags: Tags) -> bool:
    height = _first_number(tags.get("maxheight"))
    weight = _first_number(tags.get("maxweight"))
    return (height is not None and height < _TRUCK_HEIGHT_M) or (
        weight is not None and weight < _TRUCK_WEIGHT_T
    )


def parse_maxspeed(value: str | None) -> float | None:
    """km/h from ``50``, ``30 mph``, ``50;70`` (the lower), or None for ``none``/``walk``/text."""
    if value is None:
        return None
    speeds = []
    for part in value.split(";"):
        number = _first_number(part)
        if number is not None and number > 0:
            speeds.append(number * _MPH if "mph" in part else number)
    return min(speeds) if speeds else None


def _direction(profile: Profile, tags: Tags, highway: str) -> tuple[bool, bool]:
    """(forward, backward) allowed; walkers ignore one-ways, cyclists honour contraflow tags."""
    if profile == Profile.FOOT:
        oneway = tags.get("oneway:foot", "no")
    elif profile == Profile.BICYCLE and (
        tags.get("oneway:bicycle") == "no" or tags.get("cycleway", "").startswith("opposite")
    ):
        oneway = "no"
    else:
        oneway = tags.get("oneway", "")
        if profile == Profile.BICYCLE:
            oneway = tags.get("oneway:bicycle", oneway)
        if not oneway and (
            highway in ("motorway", "motorway_link")
            or tags.get("junction") in ("roundabout", "circular")
        ):
            oneway = "yes"
    if oneway in _TRUE:
        return True, False
    if oneway in _REVERSE:
        return False, True
    return True, True


def _speeds(profile: Profile, tags: Tags, base: float) -> tuple[float, float]:
    if profile not in (Profile.CAR, Profile.TRUCK):
        return base, base
    cap = 80.0 if profile == Profile.TRUCK else float("inf")
    result = []
    for suffix in (":forward", ":backward"):
        posted = parse_maxspeed(tags.get("maxspeed" + suffix) or tags.get("maxspeed"))
        speed = 0.8 * posted if posted is not None else base
        result.append(max(3.0, min(speed, cap)))
    return result[0], result[1]


def way_rule(profile: Profile, tags: Tags) -> WayRule | None:
    """How ``profile`` may use a way with these tags, or None when it may not at all."""
    highway = tags.get("highway", "")
    decision = _access(profile, tags)
    base = SPEEDS_KMH[profile].get(highway)
    if base is None and _specific_grant(profile, tags):
        base = _CONDITIONAL_KMH[profile].get(highway)
    if decision is False or base is None:
        return None
    if tags.get("area") == "yes" and profile != Profile.FOOT:
        return None
    if profile == Profile.BICYCLE and tags.get("bicycle") == "dismount":
        base = 5.0
    forward, backward = _direction(profile, tags, highway)
    speed_fwd, speed_bwd = _speeds(profile, tags, base)
    return WayRule(forward, backward, speed_fwd, speed_bwd)
