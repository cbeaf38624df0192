"""Orders as rows: one row per order, items nested (JSON) or as simple columns (one line)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from lastmile.domain import (
    Address,
    AddressType,
    Channel,
    Contact,
    Coordinate,
    GeocodePrecision,
    InvalidInput,
    Item,
    Order,
    Preference,
    ServiceLevel,
    Skill,
    TimeWindow,
)
from lastmile.exchange import cells
from lastmile.exchange.cells import Row
from lastmile.exchange.records import Context

ORDER_COLUMNS = (
    "ref",
    "hub_ref",
    "channel",
    "service_level",
    "window_start",
    "window_end",
    "timezone",
    "lat",
    "lon",
    "address",
    "street",
    "house_number",
    "postcode",
    "city",
    "country",
    "unit",
    "address_type",
    "geocode_precision",
    "geocode_confidence",
    "recipient_name",
    "recipient_phone",
    "recipient_email",
    "instructions",
    "access_notes",
    "skills",
    "preferences",
    "service_s",
    "priority",
    "ready_at",
    "zone_ref",
    "sku",
    "parcels",
    "weight_kg",
    "volume_l",
    "items",
)
SIMPLE_ITEM_COLUMNS = ("sku", "parcels", "weight_kg", "volume_l")
DEFAULT_SKU = "parcel"


def parse_order(row: Row, context: Context) -> Order:
    hub_ref = cells.text(row, "hub_ref", required=True)
    tz = cells.timezone(row, "timezone", context.timezone_of(hub_ref))
    return Order(
        ref=cells.text(row, "ref", required=True),
        hub_ref=hub_ref,
        address=_address(row),
        channel=cells.choice(row, "channel", Channel, Channel.CHECKOUT),
        service_level=cells.choice(row, "service_level", ServiceLevel, ServiceLevel.NEXT_DAY),
        window=_window(row, tz),
        items=_items(row),
        skills=cells.members(row, "skills", Skill),
        preferences=cells.members(row, "preferences", Preference),
        recipient=Contact(
            cells.text(row, "recipient_name"),
            cells.text(row, "recipient_phone"),
            cells.text(row, "recipient_email"),
        ),
        instructions=cells.text(row, "instructions"),
        access_notes=cells.text(row, "access_notes"),
        service_s=cells.integer(row, "service_s"),
        priority=cells.integer(row, "priority", default=0, minimum=None) or 0,
        ready_at=cells.moment(row, "ready_at", tz),
        zone_ref=cells.text(row, "zone_ref") or None,
    )


def _window(row: Row, tz: ZoneInfo | None) -> TimeWindow | None:
    start, end = cells.moment(row, "window_start", tz), cells.moment(row, "window_end", tz)
    if start is None and end is None:
        return None
    if start is None or end is None:
        missing = "window_start" if start is None else "window_end"
        raise InvalidInput("a window needs both a start and an end", field=missing)
    if end <= start:
        raise InvalidInput(
            f"window ends ({end.isoformat()}) before it starts ({start.isoformat()})",
            field="window_end",
        )
    return TimeWindow(start, end)


def _address(row: Row) -> Address:
    parts = {k: cells.text(row, k) for k in ("street", "house_number", "postcode", "city")}
    composed = " ".join(p for p in (parts["street"], parts["house_number"]) if p)
    composed = ", ".join(p for p in (composed, f"{parts['postcode']} {parts['city']}".strip()) if p)
    confidence = cells.number(row, "geocode_confidence", default=1.0)
    if confidence is None or not 0.0 <= confidence <= 1.0:
        raise InvalidInput(f"must be within 0..1, got {confidence}", field="geocode_confidence")
    return Address(
        raw=cells.text(row, "address") or composed,
        coordinate=Coordinate(cells.degrees(row, "lat", 90.0), cells.degrees(row, "lon", 180.0)),
        country=cells.text(row, "country"),
        unit=cells.text(row, "unit"),
        address_type=cells.choice(row, "address_type", AddressType, AddressType.UNKNOWN),
        precision=cells.choice(
            row, "geocode_precision", GeocodePrecision, GeocodePrecision.UNKNOWN
        ),
        confidence=confidence,
        **parts,
    )


def _items(row: Row) -> tuple[Item, ...]:
    data = cells.structure(row, "items")
    simple = [c for c in SIMPLE_ITEM_COLUMNS if not cells.blank(row.get(c))]
    if data is None:
        if "weight_kg" not in simple:
            raise InvalidInput("is required when no 'items' are given", field="weight_kg")
        return (_item(row, "", cells.text(row, "sku") or DEFAULT_SKU),)
    if simple:
        raise InvalidInput(
            f"give either 'items' or the one-line columns ({', '.join(simple)}), not both",
            field="items",
        )
    if not isinstance(data, list):
        raise InvalidInput("must be a list of items", field="items")
    result = []
    for index, entry in enumerate(data):
        prefix = f"items[{index}]."
        if not isinstance(entry, dict):
            raise InvalidInput("must be an object", field=f"items[{index}]")
        sku = cells.text(entry, "sku", default=DEFAULT_SKU)
        result.append(_item(entry, prefix, sku, count_column="count"))
    return tuple(result)


def _item(row: Row, prefix: str, sku: str, *, count_column: str = "parcels") -> Item:
    def named(error: InvalidInput) -> InvalidInput:
        return InvalidInput(error.reason, field=f"{prefix}{error.field}")

    try:
        weight = cells.scaled(row, "weight_kg", 1000, unit="gram")
        if weight is None:
            raise InvalidInput("is required", field="weight_kg")
        return Item(
            sku=sku,
            count=cells.integer(row, count_column, default=1, minimum=1) or 1,
            weight_g=weight,
            volume_cm3=cells.scaled(row, "volume_l", 1000, unit="cm³", default=0) or 0,
            description=cells.text(row, "description"),
        )
    except InvalidInput as error:
        raise named(error) from None


def order_row(order: Order, context: Context) -> dict[str, Any]:
    tz = context.timezone_of(order.hub_ref)
    address, window = order.address, order.window
    row: dict[str, Any] = {
        "ref": order.ref,
        "hub_ref": order.hub_ref,
        "channel": order.channel.value,
        "service_level": order.service_level.value,
        "window_start": cells.write_moment(window.start if window else None, tz),
        "window_end": cells.write_moment(window.end if window else None, tz),
        "timezone": None,
        "lat": address.coordinate.lat,
        "lon": address.coordinate.lon,
        "address": address.raw,
        "street": address.street,
        "house_number": address.house_number,
        "postcode": address.postcode,
        "city": address.city,
        "country": address.country,
        "unit": address.unit,
        "address_type": address.address_type.value,
        "geocode_precision": address.precision.value,
        "geocode_confidence": address.confidence,
        "recipient_name": order.recipient.name,
        "recipient_phone": order.recipient.phone,
        "recipient_email": order.recipient.email,
        "instructions": order.instructions,
        "access_notes": order.access_notes,
        "skills": cells.sorted_values(order.skills),
        "preferences": cells.sorted_values(order.preferences),
        "service_s": order.service_s,
        "priority": order.priority,
        "ready_at": cells.write_moment(order.ready_at, tz),
        "zone_ref": order.zone_ref,
    }
    row.update(_item_columns(order.items))
    return row


def _item_columns(items: tuple[Item, ...]) -> dict[str, Any]:
    """One plain line goes in the simple columns; anything richer in ``items``.

    No lines at all (a pickup whose contents are unknown) is written ``[]``, which reads back
    as no items, where an empty cell would ask for a weight.
    """
    if not items:
        return {"sku": None, "parcels": None, "weight_kg": None, "volume_l": None, "items": "[]"}
    if len(items) == 1 and not items[0].description:
        item = items[0]
        return {
            "sku": item.sku,
            "parcels": item.count,
            "weight_kg": cells.plain(item.weight_g, 1000),
            "volume_l": cells.plain(item.volume_cm3, 1000),
            "items": None,
        }
    listed = [
        {
            "sku": i.sku,
            "count": i.count,
            "weight_kg": cells.plain(i.weight_g, 1000),
            "volume_l": cells.plain(i.volume_cm3, 1000),
            **({"description": i.description} if i.description else {}),
        }
        for i in items
    ]
    return {"sku": None, "parcels": None, "weight_kg": None, "volume_l": None, "items": listed}
