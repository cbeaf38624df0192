"""The JSON wire format of pings (MQTT payloads, offline uploads), parsed strictly.

One ping is an object ``{"seq": 17, "t": "2026-11-23T09:00:00Z", "lat": .., "lon": ..,
"accuracy_m": .., "speed_mps": .., "heading_deg": .., "battery": .., "event_id": ..}``; a
payload is one object, a list of them, or ``{"pings": [...]}``. The device id comes from the
MQTT topic (``lastmile/devices/<device_id>/pings``) or from a ``device_id`` field.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from lastmile.domain.errors import InvalidInput
from lastmile.tracking.model import Ping

TOPIC_PREFIX = "lastmile/devices/"
TOPIC_FILTER = "lastmile/devices/+/pings"
_OPTIONAL = ("accuracy_m", "speed_mps", "heading_deg", "battery")


def device_from_topic(topic: str) -> str:
    parts = topic.split("/")
    if len(parts) != 4 or f"{parts[0]}/{parts[1]}/" != TOPIC_PREFIX or parts[3] != "pings":
        raise InvalidInput(f"expected {TOPIC_FILTER}, got {topic!r}", field="topic")
    if not parts[2]:
        raise InvalidInput("the topic has an empty device id", field="topic")
    return parts[2]


def _time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput("time must be an ISO 8601 string", field="t", location=where)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"not an ISO 8601 time: {value!r}", field="t", location=where) from None
    if moment.tzinfo is None:
        raise InvalidInput("time must carry a timezone offset", field="t", location=where)
    return moment


def _number(item: dict[str, Any], name: str, where: str, required: bool) -> float | None:
    value = item.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{name} must be a number, got {value!r}", field=name, location=where)
    return float(value)


def ping_from_json(item: Any, device_id: str | None, where: str) -> Ping:
    """One ping from its JSON object; errors name the field and where it came from."""
    if not isinstance(item, dict):
        raise InvalidInput("a ping must be a JSON object", location=where)
    device = item.get("device_id", device_id)
    if device_id is not None and device != device_id:
        raise InvalidInput("device_id differs from the topic's", field="device_id", location=where)
    if not isinstance(device, str):
        raise InvalidInput("a ping needs a device_id", field="device_id", location=where)
    seq = item.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise InvalidInput(f"seq must be a whole number, got {seq!r}", field="seq", location=where)
    try:
        return Ping(
            device_id=device, seq=seq, recorded_at=_time(item.get("t"), where),
            lat=_number(item, "lat", where, True) or 0.0,
            lon=_number(item, "lon", where, True) or 0.0,
            **{name: _number(item, name, where, False) for name in _OPTIONAL},
            event_id=item.get("event_id"), vehicle_ref=item.get("vehicle_ref"),
        )  # fmt: skip
    except InvalidInput as exc:
        raise InvalidInput(exc.reason, field=exc.field, location=where) from None


def pings_from_payload(payload: bytes, device_id: str | None, where: str) -> list[Ping]:
    """Every ping of an MQTT payload or upload body."""
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"payload is not JSON: {exc}", location=where) from None
    if isinstance(body, dict) and "pings" in body:
        body = body["pings"]
    items = body if isinstance(body, list) else [body]
    return [ping_from_json(item, device_id, f"{where}[{i}]") for i, item in enumerate(items)]


def ping_to_json(ping: Ping) -> dict[str, Any]:
    """The wire form of a ping (what driver apps and the benchmarks publish)."""
    body: dict[str, Any] = {
        "seq": ping.seq, "t": ping.recorded_at.isoformat(), "lat": ping.lat, "lon": ping.lon,
    }  # fmt: skip
    for name in _OPTIONAL:
        if getattr(ping, name) is not None:
            body[name] = getattr(ping, name)
    if ping.event_id:
        body["event_id"] = ping.event_id
    return body
