from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lastmile.domain.errors import InvalidInput
from lastmile.tracking.model import Ping
from lastmile.tracking.wire import device_from_topic, ping_to_json, pings_from_payload

PING = Ping("van-7", 3, datetime(2026, 11, 23, 9, tzinfo=UTC), 52.5, 13.4, accuracy_m=5.0)


def test_a_ping_survives_the_wire() -> None:
    payload = json.dumps(ping_to_json(PING)).encode()
    assert pings_from_payload(payload, "van-7", "mqtt") == [PING]


def test_a_payload_may_hold_a_list_or_a_pings_field() -> None:
    body = [ping_to_json(PING), {**ping_to_json(PING), "seq": 4}]
    assert len(pings_from_payload(json.dumps(body).encode(), "van-7", "x")) == 2
    wrapped = json.dumps({"pings": body}).encode()
    assert len(pings_from_payload(wrapped, "van-7", "x")) == 2


def test_the_device_comes_from_the_topic() -> None:
    assert device_from_topic("lastmile/devices/van-7/pings") == "van-7"
    with pytest.raises(InvalidInput, match="topic"):
        device_from_topic("lastmile/devices/van-7")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"t": "yesterday"}, r"mqtt\[0\].*ISO 8601"),
        ({"t": "2026-11-23T09:00:00"}, "timezone"),
        ({"lat": "52.5"}, "lat must be a number"),
        ({"seq": 1.5}, "seq must be a whole number"),
        ({"device_id": "other"}, "differs from the topic"),
        ({"battery": True}, "battery must be a number"),
    ],
)
def test_a_bad_ping_names_the_field_and_its_place(change: dict[str, object], message: str) -> None:
    body = json.dumps([{**ping_to_json(PING), **change}]).encode()
    with pytest.raises(InvalidInput, match=message):
        pings_from_payload(body, "van-7", "mqtt")


def test_a_payload_that_is_not_json_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not JSON"):
        pings_from_payload(b"\xff{", "van-7", "mqtt")
