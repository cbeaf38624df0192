"""A day of orders: who orders, where, through which channel, for when, and how big.

The mix follows what city parcel carriers report in broad strokes: most orders come from web
checkouts and marketplaces for next-day delivery with evening-heavy windows, a fifth are
same-day or express, a few are groceries that need a cold chain, bulky goods that need two
people, or returns to be picked up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from lastmile.domain import (
    Address,
    AddressType,
    Channel,
    Contact,
    Coordinate,
    GeocodePrecision,
    Item,
    Order,
    Preference,
    ServiceLevel,
    Skill,
    TimeWindow,
)
from lastmile.sim.city import City
from lastmile.sim.names import FIRST_NAMES, LAST_NAMES

K = TypeVar("K")
CHANNELS = {
    Channel.CHECKOUT: 0.56,
    Channel.MARKETPLACE: 0.22,
    Channel.SCHEDULED: 0.10,
    Channel.RETURN: 0.08,
    Channel.STORE_PICKUP: 0.04,
}
#: Next-day two-hour slots by start hour; evenings are what people at work choose.
SLOTS = {8: 0.08, 10: 0.11, 12: 0.10, 14: 0.12, 16: 0.18, 18: 0.24, 19: 0.17}
ADDRESS_MIX = {
    "Z-CORE": {"apartment": 0.74, "business": 0.16, "locker": 0.06, "house": 0.04},
    "INNER": {"apartment": 0.62, "house": 0.18, "business": 0.14, "locker": 0.06},
    "OUTER": {"house": 0.50, "apartment": 0.38, "business": 0.08, "locker": 0.04},
}
BULKY_GOODS = ("washing machine", "sofa", "fridge", "bicycle", "wardrobe", "television")
INSTRUCTIONS = (
    "Leave at the back door",
    "Call on arrival",
    "Ring the bell twice",
    "Deliver to reception",
    "Dog in the yard, please knock",
)


@dataclass(frozen=True)
class Placement:
    """Where one customer is: position, zone, hub and the street it is on."""

    coordinate: Coordinate
    zone_ref: str
    hub_ref: str
    street: str
    #: Synthetic points are exact; points snapped to a street node are only street-accurate.
    precision: GeocodePrecision = GeocodePrecision.ROOFTOP


def orders_for_day(
    city: City, places: list[Placement], day: date, rng: random.Random
) -> list[Order]:
    """One order per placement, numbered O-20261124-000001... so days never share a ref."""
    tz = ZoneInfo(city.timezone)
    width = max(6, len(str(len(places))))
    return [
        _order(city, f"O-{day:%Y%m%d}-{i:0{width}d}", p, day, tz, rng)
        for i, p in enumerate(places, start=1)
    ]


def _order(
    city: City, ref: str, place: Placement, day: date, tz: ZoneInfo, rng: random.Random
) -> Order:
    channel = _pick(rng, CHANNELS)
    level = _service_level(channel, rng)
    items, skills = _items(channel, level, rng)
    address_type = AddressType(_pick(rng, ADDRESS_MIX[_ring(place.zone_ref)]))
    window, ready_at = _window(channel, level, day, tz, rng)
    return Order(
        ref=ref,
        hub_ref=place.hub_ref,
        address=_address(city, place, address_type, rng),
        channel=channel,
        service_level=level,
        window=window,
        items=items,
        skills=skills,
        preferences=_preferences(address_type, rng),
        recipient=_recipient(address_type, rng),
        instructions=rng.choice(INSTRUCTIONS) if rng.random() < 0.08 else "",
        access_notes=f"door code {rng.randint(1000, 9999)}"
        if address_type is AddressType.APARTMENT and rng.random() < 0.3
        else "",
        service_s=600 if Skill.BULKY in skills else None,
        priority={ServiceLevel.EXPRESS: 2, ServiceLevel.SAME_DAY: 1}.get(level, 0),
        ready_at=ready_at,
        zone_ref=place.zone_ref,
    )


def _pick(rng: random.Random, weights: dict[K, float]) -> K:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _ring(zone_ref: str) -> str:
    return "Z-CORE" if zone_ref == "Z-CORE" else zone_ref.split("-")[1]


def _service_level(channel: str, rng: random.Random) -> ServiceLevel:
    if channel == Channel.SCHEDULED:
        return ServiceLevel.SCHEDULED
    if channel in (Channel.RETURN, Channel.STORE_PICKUP):
        return ServiceLevel.NEXT_DAY
    u = rng.random()
    return (
        ServiceLevel.EXPRESS
        if u < 0.04
        else ServiceLevel.SAME_DAY
        if u < 0.24
        else ServiceLevel.NEXT_DAY
    )


def _at(day: date, tz: ZoneInfo, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def _window(
    channel: str, level: ServiceLevel, day: date, tz: ZoneInfo, rng: random.Random
) -> tuple[TimeWindow | None, datetime | None]:
    """The promised window and, for orders placed today, when the parcel is ready at the hub."""
    if level is ServiceLevel.EXPRESS:
        ready = _at(day, tz, rng.randint(9, 18), rng.choice((0, 15, 30, 45)))
        return TimeWindow(ready + timedelta(minutes=30), ready + timedelta(hours=2)), ready
    if level is ServiceLevel.SAME_DAY:
        ready = _at(day, tz, rng.randint(11, 14), rng.choice((0, 30)))
        start = rng.choice((16, 17, 18))
        return TimeWindow(_at(day, tz, start), _at(day, tz, min(start + 4, 22))), ready
    if level is ServiceLevel.SCHEDULED:
        start = rng.randint(8, 20)
        return TimeWindow(_at(day, tz, start), _at(day, tz, start + 1)), None
    if channel == Channel.RETURN:
        start = rng.choice((9, 12, 15, 18))
        return TimeWindow(_at(day, tz, start), _at(day, tz, start + 3)), None
    if rng.random() < 0.3:
        return None, None  # "any time tomorrow"
    start = _pick(rng, SLOTS)
    return TimeWindow(_at(day, tz, start), _at(day, tz, start + 2)), None


def _items(
    channel: str, level: ServiceLevel, rng: random.Random
) -> tuple[tuple[Item, ...], frozenset[Skill]]:
    u = rng.random()
    if u < 0.025 and channel != Channel.RETURN:
        return _bulky(rng)
    if u < 0.065 and level in (ServiceLevel.SAME_DAY, ServiceLevel.SCHEDULED, ServiceLevel.EXPRESS):
        lines = [("chilled", 0.8, 4.0), ("frozen", 0.6, 3.0), ("ambient", 1.2, 6.0)]
        items = tuple(
            Item(sku, rng.randint(1, 4), _grams(rng, kg), _cm3(rng, litres), f"{sku} groceries")
            for sku, kg, litres in lines[: rng.randint(2, 3)]
        )
        return items, frozenset({Skill.REFRIGERATED})
    count = rng.choices((1, 2, 3, 4, 5), weights=(72, 18, 6, 2.5, 1.5))[0]
    weight = min(25_000, max(50, _grams(rng, 1.2)))
    volume = min(120_000, max(200, int(weight * rng.lognormvariate(1.4, 0.5)) // 100 * 100))
    skills = frozenset({Skill.AGE_CHECK}) if rng.random() < 0.03 else frozenset()
    return (Item("parcel", count, weight, volume),), skills


def _bulky(rng: random.Random) -> tuple[tuple[Item, ...], frozenset[Skill]]:
    weight = rng.randint(25, 60) * 1000
    item = Item("bulky", 1, weight, rng.randint(15, 60) * 10_000, rng.choice(BULKY_GOODS))
    skills = {Skill.BULKY} | ({Skill.TWO_PERSON} if weight > 40_000 else set())
    return (item,), frozenset(skills)


def _grams(rng: random.Random, median_kg: float) -> int:
    return max(10, round(rng.lognormvariate(0, 0.9) * median_kg * 100) * 10)


def _cm3(rng: random.Random, median_l: float) -> int:
    return max(100, round(rng.lognormvariate(0, 0.5) * median_l * 10) * 100)


def _address(city: City, place: Placement, kind: AddressType, rng: random.Random) -> Address:
    number = str(rng.randint(1, 120))
    unit = f"{rng.choice('ABCDE')} {rng.randint(1, 60)}" if kind is AddressType.APARTMENT else ""
    postcode = f"00{100 + 10 * (int(place.coordinate.lat * 1000) % 90):03d}"
    raw = f"{place.street} {number}" + (f" {unit}" if unit else "") + f", {postcode} {city.name}"
    return Address(
        raw=raw,
        coordinate=place.coordinate,
        street=place.street,
        house_number=number,
        postcode=postcode,
        city=city.name,
        country=city.country,
        unit=unit,
        address_type=kind,
        precision=place.precision,
    )


def _preferences(kind: AddressType, rng: random.Random) -> frozenset[Preference]:
    if kind is AddressType.LOCKER:
        return frozenset({Preference.LOCKER})
    if kind is AddressType.HOUSE and rng.random() < 0.25:
        return frozenset({Preference.SAFE_DROP})
    if kind is AddressType.APARTMENT and rng.random() < 0.1:
        return frozenset({Preference.NO_CONTACT})
    return frozenset()


def _recipient(kind: AddressType, rng: random.Random) -> Contact:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    phone = f"+35840{rng.randint(1_000_000, 9_999_999)}"
    email = f"{first}.{last}@example.com".lower().replace("ä", "a").replace("ö", "o")
    return Contact(f"{first} {last}", phone, email)
