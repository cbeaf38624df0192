from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from lastmile.api.app import create_app
from lastmile.api.auth import Role
from lastmile.api.routers.keys import create_key
from lastmile.api.services import ApiSettings, build_services, close_services
from tests.integration.tracking.world import DAY, HUB, build, spot

pytestmark = pytest.mark.storage
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0L5 5"/></svg>'
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Api:
    client: TestClient
    keys: dict[Role, str]

    def as_(self, role: Role) -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    world = build(database_url)
    next(world)
    services = build_services(ApiSettings(database_url))
    roles = (Role.ADMIN, Role.DISPATCHER, Role.INTEGRATOR, Role.ANALYST)
    keys = {r: create_key(services, r, r.value, None)[1] for r in roles}
    close_services(services)
    settings = ApiSettings(database_url, rate_per_s=1000, burst=1000)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Api(client, keys)
    world.close()


def ping(seq: int, seconds: float, lat: float = HUB.lat, lon: float = HUB.lon) -> dict[str, object]:
    t = (NOW - timedelta(minutes=30) + timedelta(seconds=seconds)).isoformat()
    return {"device_id": "phone-1", "seq": seq, "t": t, "lat": lat, "lon": lon}


def test_a_ping_batch_is_stored_once_and_impossible_pings_are_named(api: Api) -> None:
    body = {"pings": [ping(i, 10 * i) for i in range(5)] + [ping(9, 60, lat=95.0)]}
    first = api.client.post("/v1/tracking/pings", json=body, headers=api.as_(Role.DISPATCHER))
    assert first.status_code == 200, first.text
    assert first.json()["stored"] == 5
    assert "lat_out_of_range" in first.json()["rejected"]["phone-1:9"]
    again = api.client.post("/v1/tracking/pings", json=body, headers=api.as_(Role.DISPATCHER))
    assert again.json()["stored"] == 0


def test_a_ping_without_timezone_is_a_422_naming_the_field(api: Api) -> None:
    body = {"pings": [{**ping(1, 0), "t": "2026-11-23T09:00:00"}]}
    response = api.client.post("/v1/tracking/pings", json=body, headers=api.as_(Role.DISPATCHER))
    assert response.status_code == 422 and "pings.0.t" in response.json()["error"]["field"]


def test_an_analyst_may_not_upload_pings(api: Api) -> None:
    body = {"pings": [ping(1, 0)]}
    response = api.client.post("/v1/tracking/pings", json=body, headers=api.as_(Role.ANALYST))
    assert response.status_code == 403


def test_scans_and_carrier_events_build_the_order_timeline(api: Api) -> None:
    scans = {"scans": [
        {"event_id": "s1", "order_ref": "O-0", "kind": "loaded", "at": DAY.isoformat()},
        {"event_id": "s2", "order_ref": "O-0", "kind": "attempted", "reason": "not_home",
         "at": (DAY + timedelta(minutes=30)).isoformat(), "lat": 52.53, "lon": 13.40},
    ]}  # fmt: skip
    response = api.client.post("/v1/tracking/scans", json=scans, headers=api.as_(Role.DISPATCHER))
    assert [r["result"] for r in response.json()["results"]] == ["applied", "applied"]
    carrier = {"source": "karrio", "status": "delivered", "event_id": "k1", "order_ref": "O-0",
               "at": (DAY + timedelta(hours=2)).isoformat()}  # fmt: skip
    response = api.client.post(
        "/v1/tracking/carrier-events", json=carrier, headers=api.as_(Role.INTEGRATOR)
    )
    assert response.status_code == 200 and response.json()["state"] == "completed"
    steps = api.client.get("/v1/tracking/orders/O-0/timeline", headers=api.as_(Role.ANALYST))
    body = steps.json()
    assert [(s["event_type"], s["to_state"]) for s in body["steps"]] == [
        ("OrderStateChanged", "loaded"),
        ("OrderStateChanged", "out_for_delivery"),
        ("OrderStateChanged", "completed"),
        ("ExceptionOpened", None),  # the failed attempt needs a dispatcher's attention
        ("OrderStateChanged", "out_for_delivery"),
        ("OrderStateChanged", "completed"),
    ]
    assert body["steps"][2]["lat"] == 52.53 and body["steps"][-1]["actor"] == "carrier:karrio"
    assert [s["kind"] for s in body["scans"]] == ["loaded", "attempted", "delivered"]


def test_an_unmapped_carrier_status_is_a_422(api: Api) -> None:
    carrier = {"source": "karrio", "status": "lost_in_space", "event_id": "k9",
               "order_ref": "O-0", "at": DAY.isoformat()}  # fmt: skip
    response = api.client.post(
        "/v1/tracking/carrier-events", json=carrier, headers=api.as_(Role.INTEGRATOR)
    )
    assert response.status_code == 422 and "not mapped" in response.json()["error"]["message"]


def test_a_pod_is_captured_and_retrieved_for_a_dispute(api: Api) -> None:
    far = spot(0)
    form = {"lat": str(far.lat + 0.003), "lon": str(far.lon), "captured_at": DAY.isoformat(),
            "recipient_name": "Grace"}  # fmt: skip
    files = {"signature": ("sig.svg", SVG, "image/svg+xml")}
    response = api.client.post("/v1/tracking/orders/O-0/pod", data=form, files=files,
                               headers=api.as_(Role.DISPATCHER))  # fmt: skip
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["flagged"] and created["distance_m"] > 300
    listed = api.client.get("/v1/tracking/orders/O-0/pod", headers=api.as_(Role.ANALYST)).json()
    assert (
        listed["pods"][0]["verified"]
        and listed["pods"][0]["content_hash"] == created["content_hash"]
    )
    file = api.client.get(f"/v1/tracking/orders/O-0/pod/{created['content_hash']}/files/signature",
                          headers=api.as_(Role.ANALYST))  # fmt: skip
    assert file.content == SVG and file.headers["content-type"].startswith("image/svg+xml")


def test_a_pod_upload_of_the_wrong_type_is_refused(api: Api) -> None:
    form = {"lat": "52.53", "lon": "13.40", "captured_at": DAY.isoformat()}
    files = {"signature": ("sig.png", b"%PDF-1.7 not an image", "image/png")}
    response = api.client.post("/v1/tracking/orders/O-0/pod", data=form, files=files,
                               headers=api.as_(Role.DISPATCHER))  # fmt: skip
    assert response.status_code == 422 and response.json()["error"]["field"] == "signature"


def test_following_a_route_refreshes_its_etas_on_each_ping(api: Api) -> None:
    follow = api.client.post("/v1/tracking/devices/phone-1/follow",
                             json={"plan_ref": "P1", "route_ref": "R1"},
                             headers=api.as_(Role.DISPATCHER))  # fmt: skip
    assert follow.status_code == 200 and follow.json()["stops"] == 3
    api.client.post("/v1/tracking/pings", json={"pings": [ping(1, 0)]},
                    headers=api.as_(Role.DISPATCHER))  # fmt: skip
    etas = api.client.get("/v1/tracking/routes/R1/etas", headers=api.as_(Role.ANALYST)).json()
    assert [s["stop_ref"] for s in etas["stops"]] == ["O-0", "O-1", "O-2"]


def test_a_scan_on_a_followed_route_refreshes_the_remaining_etas(api: Api) -> None:
    api.client.post("/v1/tracking/devices/phone-1/follow",
                    json={"plan_ref": "P1", "route_ref": "R1"},
                    headers=api.as_(Role.DISPATCHER))  # fmt: skip
    api.client.post("/v1/tracking/pings", json={"pings": [ping(1, 0)]},
                    headers=api.as_(Role.DISPATCHER))  # fmt: skip
    scan = {"event_id": "d0", "order_ref": "O-0", "kind": "delivered", "at": NOW.isoformat()}
    api.client.post("/v1/tracking/scans", json={"scans": [scan]}, headers=api.as_(Role.DISPATCHER))
    etas = api.client.get("/v1/tracking/routes/R1/etas", headers=api.as_(Role.ANALYST)).json()
    assert [s["stop_ref"] for s in etas["stops"]] == ["O-1", "O-2"]


def test_a_driver_may_scan_only_the_orders_of_their_own_route(api: Api, database_url: str) -> None:
    from lastmile.domain import Driver
    from lastmile.store.db import make_engine
    from lastmile.store.tracking_journal import SqlTrackingUnitOfWork

    engine = make_engine(database_url)
    with SqlTrackingUnitOfWork(engine) as uow:
        uow.drivers.add(Driver("D1", "Dana"))
        uow.commit()
    services = build_services(ApiSettings(database_url))
    key = create_key(services, Role.DRIVER, "dana", "D1")[1]
    close_services(services)
    scan = {"event_id": "x1", "order_ref": "O-0", "kind": "loaded", "at": DAY.isoformat()}
    refused = api.client.post("/v1/tracking/scans", json={"scans": [scan]},
                              headers={"X-API-Key": key})  # fmt: skip
    assert refused.status_code == 404
    with SqlTrackingUnitOfWork(engine) as uow:
        plan = uow.plans.get("P1")
        assert plan is not None
        plan.routes[0].driver_ref = "D1"
        uow.plans.add(plan)
        uow.commit()
    engine.dispose()
    allowed = api.client.post("/v1/tracking/scans", json={"scans": [scan]},
                              headers={"X-API-Key": key})  # fmt: skip
    assert allowed.status_code == 200 and allowed.json()["results"][0]["result"] == "applied"
    timeline = api.client.get("/v1/tracking/orders/O-0/timeline", headers=api.as_(Role.ANALYST))
    assert timeline.json()["scans"][0]["actor"] == "driver:D1"
