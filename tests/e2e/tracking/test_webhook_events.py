"""Every documented webhook event type, caused through the HTTP API and received for real.

Each case subscribes to one type through ``POST /v1/webhooks``, causes it the way a user
would (an order, a plan, a dispatch, scans, pings of a followed device, a proof of delivery),
runs the webhook worker against a receiver on loopback that verifies the signature, and checks
the payload: event id (also in the header and the outbox), type, time and the current entity.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lastmile.api.app import create_app
from lastmile.api.auth import Role
from lastmile.api.routers.keys import create_key
from lastmile.api.services import ApiSettings, build_services, close_services
from lastmile.api.worker import build_worker
from lastmile.domain.values import Coordinate
from lastmile.store.db import make_engine
from tests.integration.notify.receiver import Received, Receiver
from tests.integration.tracking.world import HUB, build, spot

pytestmark = pytest.mark.storage
NOW = datetime.now(UTC).replace(microsecond=0)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0L5 5"/></svg>'


@dataclass
class Api:
    client: TestClient
    headers: dict[str, str]
    url: str

    def post(self, path: str, **kwargs: Any) -> Any:
        response = self.client.post(path, headers=self.headers, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

    def pings(self, fixes: list[tuple[float, Coordinate]], first_seq: int = 0) -> None:
        """Pings of ``phone-1`` at (minutes before now, where), uploaded as one batch."""
        pings = [
            {"device_id": "phone-1", "seq": first_seq + n, "lat": c.lat, "lon": c.lon,
             "t": (NOW - timedelta(minutes=ago)).isoformat()}
            for n, (ago, c) in enumerate(fixes)
        ]  # fmt: skip
        self.post("/v1/tracking/pings", json={"pings": pings})

    def follow(self) -> None:
        self.post("/v1/tracking/devices/phone-1/follow", json={"plan_ref": "P1", "route_ref": "R1"})

    def scan(self, order_ref: str, kind: str, **extra: Any) -> None:
        scan = {"event_id": f"{order_ref}-{kind}", "order_ref": order_ref, "kind": kind,
                "at": (NOW - timedelta(minutes=5)).isoformat(), **extra}  # fmt: skip
        self.post("/v1/tracking/scans", json={"scans": [scan]})


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    world = build(database_url)
    next(world)
    services = build_services(ApiSettings(database_url))
    admin = create_key(services, Role.ADMIN, "admin", None)[1]
    close_services(services)
    settings = ApiSettings(database_url, rate_per_s=1000, burst=1000)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Api(client, {"X-API-Key": admin}, database_url)
    for _ in world:  # the world's clean-up
        pass


# -- causes -------------------------------------------------------------------------------------

ORDER = {
    "ref": "N1", "hub_ref": "HUB", "lat": 52.53, "lon": 13.41, "street": "Invalidenstr.",
    "house_number": "1", "postcode": "10115", "city": "Berlin", "recipient_name": "Ann Smith",
    "window_start": "2026-11-25T09:00", "window_end": "2026-11-25T17:00", "weight_kg": 0.5,
}  # fmt: skip


def create_order(api: Api) -> None:
    api.post("/v1/orders", json=ORDER)


def plan_order(api: Api) -> None:
    api.post("/v1/orders", json=ORDER)
    job = api.post("/v1/plans", json={"hub_ref": "HUB", "service_date": "2026-11-25",
                                      "time_limit_s": 0.1})  # fmt: skip
    deadline = time.monotonic() + 60
    while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = api.client.get(f"/v1/plans/jobs/{job['id']}", headers=api.headers).json()
    assert job["status"] == "done", job


def replan_day(api: Api) -> None:
    response = api.client.post(
        "/v1/dispatch/P1/events?budget_s=0.3",
        json={"type": "replan", "reason": "new traffic", "at": "2026-11-24T09:30:00+00:00"},
        headers=api.headers,
    )
    assert response.status_code == 200, response.text


def update_order(api: Api) -> None:
    api.post("/v1/orders", json=ORDER)
    api.post("/v1/orders", json={**ORDER, "priority": 3})


def cancel_order(api: Api) -> None:
    api.post("/v1/orders", json=ORDER)
    api.post("/v1/orders/N1/cancel", json={"reason": "customer asked"})


def dispatch_route(api: Api) -> None:
    etag = api.client.get("/v1/routes/R1", headers=api.headers).headers["etag"]
    response = api.client.post("/v1/routes/R1/dispatch", headers={**api.headers, "If-Match": etag})
    assert response.status_code == 200, response.text


def geofence_arrival(api: Api) -> None:
    api.follow()
    at_stop = spot(0)
    api.pings([(30, HUB)] + [(28 - k / 3, at_stop) for k in range(6)])


def deliver(api: Api) -> None:
    api.scan("O-1", "delivered")


def fail_attempt(api: Api) -> None:
    api.scan("O-1", "attempted", reason="not_home")


def eta_moves(api: Api) -> None:
    """Two fixes at the hub 20 minutes apart: every remaining ETA moves by 20 minutes."""
    api.follow()
    api.pings([(40, HUB)])
    api.pings([(20, HUB)], first_seq=1)


def drift(api: Api) -> None:
    api.follow()
    away = Coordinate(HUB.lat + 0.01, HUB.lon + 0.08)  # about 5 km east of the path north
    api.pings([(30, HUB)] + [(20 - k, away) for k in range(6)])


def long_stop(api: Api) -> None:
    api.follow()
    api.pings([(40, HUB)] + [(38 - k, spot(0)) for k in range(18)])


def far_pod(api: Api) -> None:
    data = {"lat": str(HUB.lat), "lon": str(HUB.lon), "recipient_name": "Ann",
            "captured_at": (NOW - timedelta(minutes=2)).isoformat()}  # fmt: skip
    files = {"signature": ("sig.svg", SVG, "image/svg+xml")}
    api.post("/v1/tracking/orders/O-2/pod", data=data, files=files)


@dataclass(frozen=True)
class Case:
    type: str
    cause: Callable[[Api], None]
    #: The entity ``data.object`` must be: an order ref, a route ref or a plan.
    entity: str
    #: What the event itself must say (a subset of ``event``).
    event: dict[str, Any]


CASES = {
    "order.created": Case("order.created", create_order, "N1", {"type": "OrderPlaced"}),
    "order.planned": Case("order.planned", plan_order, "N1", {"to_state": "planned"}),
    "order.updated": Case("order.updated", update_order, "N1", {"type": "OrderUpdated"}),
    "order.cancelled": Case("order.cancelled", cancel_order, "N1", {"to_state": "cancelled"}),
    "plan.created": Case("plan.created", plan_order, "", {"type": "PlanCreated", "routes": 1}),
    "plan.replanned": Case("plan.replanned", replan_day, "P1.1",
                           {"type": "PlanReplanned", "replaces": "P1", "reason": "new traffic"}),
    "vehicle.arrived": Case("vehicle.arrived", geofence_arrival, "VAN-1",
                            {"type": "StopArrived", "stop_ref": "O-0"}),
    "route.drifted": Case("route.drifted", drift, "R1", {"type": "RouteDrifted"}),
    "route.dispatched": Case("route.dispatched", dispatch_route, "R1",
                             {"type": "RouteDispatched", "route_ref": "R1", "stops": 3}),
    "stop.arrived": Case("stop.arrived", geofence_arrival, "O-0",
                         {"to_state": "arrived", "actor": "geofence:VAN-1"}),
    "order.delivered": Case("order.delivered", deliver, "O-1", {"outcome": "delivered"}),
    "order.failed": Case("order.failed", fail_attempt, "O-1",
                         {"outcome": "failed", "reason": "not_home"}),
    "eta.changed": Case("eta.changed", eta_moves, "R1", {"type": "EtaChanged", "shift_s": 1200}),
    "exception.opened/late": Case("exception.opened", eta_moves, "", {"kind": "late"}),
    "exception.opened/failed_attempt": Case("exception.opened", fail_attempt, "O-1",
                                            {"kind": "failed_attempt"}),
    "exception.opened/pod_far": Case("exception.opened", far_pod, "O-2", {"kind": "pod_far"}),
    "exception.opened/route_drift": Case("exception.opened", drift, "R1",
                                         {"kind": "route_drift"}),
    "exception.opened/long_stop": Case("exception.opened", long_stop, "R1",
                                       {"kind": "long_stop", "stop_ref": "O-0"}),
}  # fmt: skip


def _outbox_ids(url: str) -> set[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        ids = {r[0] for r in conn.execute(sa.text("SELECT event_id FROM outbox"))}
    engine.dispose()
    return ids


def _drain(url: str) -> None:
    worker, dispose = build_worker(url)
    try:
        deadline = time.monotonic() + 20
        while worker.run_once() and time.monotonic() < deadline:
            pass
    finally:
        dispose()


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_documented_event_type_reaches_its_subscriber_signed_with_the_entity(
    api: Api, name: str
) -> None:
    case = CASES[name]
    received = Received()
    with Receiver(received) as receiver:
        hook = api.post("/v1/webhooks", json={"url": receiver.url, "event_types": [case.type]})
        received.secret = hook["secret"]
        case.cause(api)
        _drain(api.url)
    assert received.bad_signatures == 0
    assert received.bodies, f"no {case.type} arrived"
    assert {b["type"] for b in received.bodies} == {case.type}
    assert received.header_ids == [b["id"] for b in received.bodies]
    assert received.ids <= _outbox_ids(api.url)
    matching = [b for b in received.bodies if case.event.items() <= _loose(b["event"]).items()]
    assert matching, [b["event"] for b in received.bodies]
    body = matching[0]
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    entity = body["data"]["object"]
    assert entity is not None
    if case.entity:
        assert entity["ref"] == case.entity


def _loose(event: dict[str, Any]) -> dict[str, Any]:
    """The event with ``shift_s`` rounded to 5 minutes. Travel is slower or faster by hour of
    day, so when the two fixes fall in different hours the legs after them take a minute or
    two more or less, on top of the 20 minutes lost at the hub."""
    if "shift_s" in event:
        return {**event, "shift_s": round(event["shift_s"] / 300) * 300}
    return event


def test_a_late_stop_is_announced_once_when_it_leaves_its_window(api: Api) -> None:
    received = Received()
    with Receiver(received) as receiver:
        hook = api.post("/v1/webhooks", json={"url": receiver.url,
                                              "event_types": ["exception.opened"]})  # fmt: skip
        received.secret = hook["secret"]
        eta_moves(api)  # two refreshes, both late
        _drain(api.url)
    late = sorted(b["event"]["stop_ref"] for b in received.bodies if b["event"]["kind"] == "late")
    assert late == ["O-0", "O-1", "O-2"]
