"""Idempotency-Key on every POST of the OpenAPI spec: one real write, then replays and 409s.

The table below names a valid request for each POST operation; a new POST route without an
entry fails ``test_the_table_names_every_post_operation``, so none is left uncovered.
"""

from __future__ import annotations

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
from lastmile.domain import Driver, Load, Route, Vehicle, VehicleKind
from lastmile.store import api_tables as a
from lastmile.store.db import make_engine
from lastmile.store.tracking_journal import SqlTrackingUnitOfWork
from tests.integration.tracking.world import DAY, HUB, build

pytestmark = pytest.mark.storage
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0L5 5"/></svg>'
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Call:
    path: str
    json: Any = None
    files: Any = None
    data: Any = None
    headers: dict[str, str] | None = None


@dataclass
class World:
    client: TestClient
    admin: str
    url: str

    def etag(self, route: str) -> dict[str, str]:
        found = self.client.get(f"/v1/routes/{route}", headers={"X-API-Key": self.admin})
        return {"If-Match": found.headers["etag"]}


def _add_second_route(url: str) -> None:
    engine = make_engine(url)
    with SqlTrackingUnitOfWork(engine) as uow:
        uow.vehicles.add(Vehicle("VAN-2", VehicleKind.VAN, "HUB", Load(1000, 1000, 100)))
        uow.drivers.add(Driver("D1", "Dana Driver", hub_ref="HUB"))
        plan = uow.plans.get("P1")
        assert plan is not None
        plan.routes.append(Route("R2", "VAN-2", DAY, DAY + timedelta(hours=6), visits=[]))
        uow.plans.add(plan)
        uow.commit()
    engine.dispose()


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    built = build(database_url)
    next(built)
    _add_second_route(database_url)
    services = build_services(ApiSettings(database_url))
    admin = create_key(services, Role.ADMIN, "admin", None)[1]
    close_services(services)
    settings = ApiSettings(database_url, rate_per_s=1000, burst=1000)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield World(client, admin, database_url)
    for _ in built:  # runs the world's clean-up
        pass


def _at(minutes: float) -> str:
    return (NOW - timedelta(minutes=minutes)).isoformat()


ZONE = [[[13.3, 52.5], [13.5, 52.5], [13.5, 52.6], [13.3, 52.6], [13.3, 52.5]]]
ORDER = {
    "ref": "N1", "hub_ref": "HUB", "lat": 52.53, "lon": 13.41, "street": "Invalidenstr.",
    "house_number": "1", "postcode": "10115", "city": "Berlin", "recipient_name": "Ann Smith",
    "window_start": "2026-11-24T09:00", "window_end": "2026-11-24T17:00", "weight_kg": 2,
}  # fmt: skip

#: A valid request per POST operation id (route actions read the route's ETag first).
CALLS: dict[str, Callable[[World], Call]] = {
    "upsert_hub": lambda w: Call("/v1/hubs", {"ref": "H2", "name": "Nord", "lat": 52.6,
                                              "lon": 13.4, "timezone": "Europe/Berlin"}),
    "upsert_zone": lambda w: Call("/v1/zones", {"ref": "Z9", "name": "C", "hub_ref": "HUB",
                                                "polygon": ZONE}),
    "upsert_vehicle": lambda w: Call("/v1/vehicles", {"ref": "V9", "kind": "van",
                                                      "hub_ref": "HUB", "capacity_kg": 500,
                                                      "capacity_l": 900, "capacity_parcels": 40}),
    "upsert_driver": lambda w: Call("/v1/drivers", {"ref": "D9", "name": "Bo", "hub_ref": "HUB"}),
    "upsert_shift": lambda w: Call("/v1/shifts", {
        "ref": "S1", "driver_ref": "D1", "hub_ref": "HUB", "vehicle_ref": "VAN-1",
        "start": "2026-11-24T07:00", "end": "2026-11-24T15:00"}),
    "upsert_order": lambda w: Call("/v1/orders", ORDER),
    "batch_orders": lambda w: Call("/v1/orders/batch", {"orders": [ORDER, {**ORDER, "ref": "N2"}]}),
    "cancel_order": lambda w: Call("/v1/orders/O-2/cancel", {"reason": "customer asked"}),
    "create_tracking_token": lambda w: Call("/v1/orders/O-0/tracking-tokens", {"ttl_hours": 2}),
    "create_plan": lambda w: Call("/v1/plans", {"hub_ref": "HUB", "service_date": "2026-11-25",
                                                "time_limit_s": 0.1}),
    "assign_route": lambda w: Call("/v1/routes/R1/assign", {"driver_ref": "D1"},
                                   headers=w.etag("R1")),
    "reorder_route": lambda w: Call("/v1/routes/R1/reorder", {"stop_refs": ["O-1", "O-0", "O-2"]},
                                    headers=w.etag("R1")),
    "move_stop": lambda w: Call("/v1/routes/R1/move-stop", {"stop_ref": "O-2",
                                "to_route_ref": "R2"}, headers=w.etag("R1")),
    "dispatch_route": lambda w: Call("/v1/routes/R1/dispatch", headers=w.etag("R1")),
    "report_dispatch_event": lambda w: Call("/v1/dispatch/P1/events?budget_s=0.3", {
        "type": "replan", "at": "2026-11-24T09:30:00+00:00"}),
    "observe_dispatch_day": lambda w: Call("/v1/dispatch/P1/observe?budget_s=0.3", {
        "at": "2026-11-24T09:40:00+00:00"}),
    "create_webhook": lambda w: Call("/v1/webhooks", {"url": "http://127.0.0.1:9/hook",
                                                      "event_types": ["*"]}),
    "create_api_key": lambda w: Call("/v1/api-keys", {"role": "analyst", "name": "bi"}),
    "upload_pings": lambda w: Call("/v1/tracking/pings", {"pings": [
        {"device_id": "phone-1", "seq": 1, "t": _at(5), "lat": HUB.lat, "lon": HUB.lon}]}),
    "upload_scans": lambda w: Call("/v1/tracking/scans", {"scans": [
        {"event_id": "s1", "order_ref": "O-0", "kind": "loaded", "at": _at(5)}]}),
    "carrier_event": lambda w: Call("/v1/tracking/carrier-events", {
        "source": "karrio", "status": "delivered", "event_id": "k1", "order_ref": "O-1",
        "at": _at(4)}),
    "follow_route": lambda w: Call("/v1/tracking/devices/phone-1/follow",
                                   {"plan_ref": "P1", "route_ref": "R1"}),
    "capture_pod": lambda w: Call(
        "/v1/tracking/orders/O-0/pod",
        data={"lat": "52.53", "lon": "13.40", "captured_at": _at(3), "recipient_name": "Ann"},
        files={"signature": ("sig.svg", SVG, "image/svg+xml")}),
}  # fmt: skip


def _post(w: World, call: Call, key: str, api_key: str | None = None) -> Any:
    headers = {"X-API-Key": api_key or w.admin, "Idempotency-Key": key, **(call.headers or {})}
    return w.client.post(call.path, json=call.json, data=call.data, files=call.files,
                         headers=headers)  # fmt: skip


def _audit_rows(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(a.audit_log)).scalar_one()
    engine.dispose()
    return int(count)


def test_the_table_names_every_post_operation(world: World) -> None:
    spec = world.client.get("/openapi.json").json()
    posts = {op["operationId"] for ops in spec["paths"].values() for m, op in ops.items()
             if m == "post"}  # fmt: skip
    assert posts == set(CALLS)


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_a_repeated_post_replays_the_first_answer_and_another_body_is_409(
    world: World, operation: str
) -> None:
    call = CALLS[operation](world)
    first = _post(world, call, f"key-{operation}")
    assert 200 <= first.status_code < 300, first.text
    audited = _audit_rows(world.url)
    again = _post(world, call, f"key-{operation}")
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["idempotent-replay"] == "true"
    assert _audit_rows(world.url) == audited  # the replay wrote nothing
    other = world.client.post(
        call.path, content=b'{"other": true}',
        headers={"X-API-Key": world.admin, "Idempotency-Key": f"key-{operation}",
                 "Content-Type": "application/json", **(call.headers or {})},
    )  # fmt: skip
    assert other.status_code == 409 and other.json()["error"]["field"] == "Idempotency-Key"


def test_a_forged_key_with_a_known_key_id_cannot_read_a_stored_answer(world: World) -> None:
    call = CALLS["create_api_key"](world)
    first = _post(world, call, "secret-answer")
    assert first.status_code == 201 and first.json()["key"]
    key_id = world.admin.split("_")[1]
    forged = _post(world, call, "secret-answer", api_key=f"lm_{key_id}_not-the-secret")
    assert forged.status_code == 401 and "idempotent-replay" not in forged.headers


def test_an_answer_older_than_a_day_is_forgotten(world: World) -> None:
    call = CALLS["create_webhook"](world)
    first = _post(world, call, "old")
    assert first.status_code == 201
    engine = make_engine(world.url)
    with engine.begin() as conn:
        conn.execute(sa.update(a.idempotency_keys).values(
            created_at=datetime.now(UTC) - timedelta(hours=25)))  # fmt: skip
    engine.dispose()
    fresh = _post(world, call, "old")
    assert fresh.status_code == 201 and "idempotent-replay" not in fresh.headers
    assert fresh.json()["ref"] != first.json()["ref"]
    again = _post(world, call, "old")
    assert again.json() == fresh.json() and again.headers["idempotent-replay"] == "true"


def _owner(world: World) -> str:
    import hashlib

    return hashlib.sha256(world.admin.encode()).hexdigest()


def test_a_retry_while_the_first_request_still_runs_is_refused_not_run_twice(
    world: World,
) -> None:
    call = CALLS["create_webhook"](world)
    store = world.client.app.state.services.api_store  # type: ignore[attr-defined]
    store.claim(_owner(world), "in-flight", "whatever the first request was")  # still running
    retry = _post(world, call, "in-flight")
    assert retry.status_code == 409 and retry.json()["error"]["code"] == "in_progress"
    listed = world.client.get("/v1/webhooks", headers={"X-API-Key": world.admin}).json()
    assert listed == []


def test_a_claim_abandoned_by_a_dead_request_is_taken_over(world: World) -> None:
    call = CALLS["create_webhook"](world)
    store = world.client.app.state.services.api_store  # type: ignore[attr-defined]
    store.claim(_owner(world), "orphan", "x", now=datetime.now(UTC) - timedelta(minutes=5))
    assert _post(world, call, "orphan").status_code == 201


def test_a_server_error_releases_the_key_so_the_retry_runs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lastmile.store.webhook_repositories import SqlWebhookStore

    call = CALLS["create_webhook"](world)
    original = SqlWebhookStore.add_subscription

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(SqlWebhookStore, "add_subscription", broken)
    assert _post(world, call, "after-500").status_code == 500
    monkeypatch.setattr(SqlWebhookStore, "add_subscription", original)
    again = _post(world, call, "after-500")
    assert again.status_code == 201 and "idempotent-replay" not in again.headers
