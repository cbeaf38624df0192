"""Webhooks through the API: subscribe, change an order, the in-process worker delivers it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lastmile.api.app import create_app
from lastmile.api.auth import Role
from lastmile.api.services import ApiSettings
from lastmile.bootstrap import init_database
from tests.e2e.api.conftest import HUB, make_keys, order
from tests.integration.notify.receiver import Received, Receiver

pytestmark = pytest.mark.storage


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[TestClient, dict[Role, str]]]:
    url = init_database(database_url)
    keys = make_keys(url)
    settings = ApiSettings(url, run_worker=True, worker_interval_s=0.05)
    with TestClient(create_app(settings)) as client:
        yield client, keys


def test_a_subscriber_gets_created_and_cancelled_orders_signed_once_each(
    served: tuple[TestClient, dict[Role, str]],
) -> None:
    client, keys = served
    integrator = {"X-API-Key": keys[Role.INTEGRATOR]}
    received = Received()
    with Receiver(received) as receiver:
        sub = client.post(
            "/v1/webhooks",
            json={"url": receiver.url, "event_types": ["order.created", "order.cancelled"]},
            headers=integrator,
        )
        assert sub.status_code == 201, sub.text
        received.secret = sub.json()["secret"]
        listed = client.get("/v1/webhooks", headers=integrator).json()
        assert listed[0]["secret"] is None
        client.post("/v1/hubs", json=HUB, headers={"X-API-Key": keys[Role.ADMIN]})
        assert client.post("/v1/orders", json=order("W1"), headers=integrator).status_code == 201
        client.post("/v1/orders/W1/cancel", json={"reason": "moved"}, headers=integrator)
        deadline = time.monotonic() + 30
        while len(received.bodies) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert received.bad_signatures == 0
    assert [b["type"] for b in received.bodies] == ["order.created", "order.cancelled"]
    assert received.bodies[1]["data"]["object"]["state"] == "cancelled"
    attempts = client.get("/v1/webhooks/attempts", headers=integrator).json()
    assert sorted(a["event_id"] for a in attempts) == sorted(received.ids)
    assert {a["status_code"] for a in attempts} == {204}
