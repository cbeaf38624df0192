"""Each resource through HTTP: upsert by reference, read, list with cursors and filters."""

from __future__ import annotations

import pytest

from lastmile.api.auth import Role
from tests.e2e.api.conftest import DRIVER, HUB, VEHICLE, Api, order

pytestmark = pytest.mark.storage


def test_every_network_and_fleet_resource_can_be_created_read_and_listed(api: Api) -> None:
    admin = api.as_(Role.ADMIN)
    zone = {
        "ref": "Z1", "name": "Centre", "hub_ref": "H1",
        "polygon": [[[13.3, 52.5], [13.5, 52.5], [13.5, 52.6], [13.3, 52.6], [13.3, 52.5]]],
    }  # fmt: skip
    shift = {
        "ref": "S1", "driver_ref": "D1", "hub_ref": "H1", "vehicle_ref": "V1",
        "start": "2026-11-24T07:00", "end": "2026-11-24T15:00",
    }  # fmt: skip
    bodies = {"hubs": HUB, "zones": zone, "vehicles": VEHICLE, "drivers": DRIVER, "shifts": shift}
    for path, body in bodies.items():
        created = api.client.post(f"/v1/{path}", json=body, headers=admin)
        assert created.status_code == 201, created.text
        fetched = api.client.get(f"/v1/{path}/{body['ref']}", headers=admin)
        assert fetched.status_code == 200 and fetched.json() == created.json()
        listed = api.client.get(f"/v1/{path}", headers=admin).json()
        assert [item["ref"] for item in listed["items"]] == [body["ref"]]
    assert api.client.get("/v1/shifts/S1", headers=admin).json()["start"].endswith("+01:00")
    assert api.client.get("/v1/shifts?date=2026-11-25", headers=admin).json()["items"] == []


def test_posting_the_same_reference_again_updates_instead_of_duplicating(api: Api) -> None:
    api.seed()
    admin = api.as_(Role.ADMIN)
    changed = api.client.post("/v1/orders", json=order("O1", 1, priority=3), headers=admin)
    assert changed.status_code == 200 and changed.json()["priority"] == 3
    listed = api.client.get("/v1/orders?limit=100", headers=admin).json()["items"]
    assert sorted(o["ref"] for o in listed) == ["O0", "O1", "O2", "O3", "O4"]


def test_windows_without_an_offset_are_read_in_the_hubs_zone_and_returned_rfc3339(
    api: Api,
) -> None:
    api.seed()
    got = api.client.get("/v1/orders/O0", headers=api.as_(Role.ADMIN)).json()
    assert got["window_start"] == "2026-11-24T09:00:00+01:00"
    assert got["state"] == "created"


def test_cursor_pages_walk_every_order_once_in_reference_order(api: Api) -> None:
    api.seed()
    seen, cursor = [], None
    while True:
        query = "/v1/orders?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.client.get(query, headers=api.as_(Role.ANALYST)).json()
        seen += [o["ref"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["O0", "O1", "O2", "O3", "O4"]


def test_order_filters_by_date_hub_zone_and_status(api: Api) -> None:
    api.seed()
    admin = api.as_(Role.ADMIN)

    def refs(query: str) -> list[str]:
        response = api.client.get(f"/v1/orders?{query}", headers=admin)
        assert response.status_code == 200, response.text
        return [o["ref"] for o in response.json()["items"]]

    assert len(refs("date=2026-11-24&hub=H1&status=created")) == 5
    assert refs("date=2026-11-25") == []
    assert refs("hub=H9") == []
    assert refs("zone=Z9") == []
    api.client.post("/v1/orders/O2/cancel", json={"reason": "customer"}, headers=admin)
    assert refs("status=cancelled") == ["O2"]
    bad = api.client.get("/v1/orders?status=lost", headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "status"


def test_a_batch_stores_the_valid_orders_and_names_each_rejected_one(api: Api) -> None:
    api.seed()
    batch = [order(f"B{n}", n) for n in range(3)] + [order("B3", 3, lat=123)]
    response = api.client.post(
        "/v1/orders/batch", json={"orders": batch}, headers=api.as_(Role.INTEGRATOR)
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["inserted"] == ["B0", "B1", "B2"]
    assert result["rejections"] == [
        {"index": 3, "ref": "B3", "field": "lat", "reason": result["rejections"][0]["reason"]}
    ]


def test_a_batch_of_more_than_a_thousand_orders_is_refused(api: Api) -> None:
    batch = [{"ref": f"X{n}", "hub_ref": "H1"} for n in range(1001)]
    response = api.client.post(
        "/v1/orders/batch", json={"orders": batch}, headers=api.as_(Role.ADMIN)
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "orders"


def test_invalid_input_names_the_field_and_the_reason(api: Api) -> None:
    api.seed()
    response = api.client.post(
        "/v1/orders", json=order("O9", window_end="2026-11-24T08:00"), headers=api.as_(Role.ADMIN)
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "window_end" and "before it starts" in error["message"]
    unknown = api.client.post(
        "/v1/orders", json=order("O9", colour="red"), headers=api.as_(Role.ADMIN)
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "colour"


def test_a_missing_entity_is_404_and_an_illegal_transition_409(api: Api) -> None:
    api.seed()
    admin = api.as_(Role.ADMIN)
    missing = api.client.get("/v1/vehicles/nope", headers=admin)
    assert missing.status_code == 404 and missing.json()["error"]["ref"] == "nope"
    assert api.client.post("/v1/orders/O1/cancel", json={}, headers=admin).status_code == 200
    again = api.client.post("/v1/orders/O1/cancel", json={}, headers=admin)
    assert again.status_code == 409 and "cancelled" in again.json()["error"]["message"]


def test_an_order_naming_an_unknown_hub_is_refused_on_that_field(api: Api) -> None:
    body = order("O1", window_start="2026-11-24T09:00Z", window_end="2026-11-24T17:00Z")
    response = api.client.post("/v1/orders", json=body, headers=api.as_(Role.ADMIN))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "hub_ref"


def test_oversized_bodies_are_refused_before_they_are_read_whole(api: Api) -> None:
    body = b'{"ref": "' + b"x" * 3_000_000 + b'"}'
    response = api.client.post(
        "/v1/hubs",
        content=body,
        headers={**api.as_(Role.ADMIN), "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_an_unexpected_error_is_a_500_with_an_error_id_and_no_traceback(api: Api) -> None:
    services = api.client.app.state.services  # type: ignore[attr-defined]

    def broken(*_: object) -> None:
        raise RuntimeError("secret internals at /srv/app.py line 3")

    services.api_store.plan_job = broken
    response = api.client.get("/v1/plans/jobs/abc", headers=api.as_(Role.ADMIN))
    assert response.status_code == 500
    text = response.text
    assert "error_id" in response.json()["error"]
    assert "Traceback" not in text and "secret internals" not in text


def test_every_write_leaves_an_audit_entry_with_before_and_after(api: Api) -> None:
    api.seed()
    admin = api.as_(Role.ADMIN)
    api.client.post("/v1/orders", json=order("O1", 1, priority=7), headers=admin)
    entries = api.client.get("/v1/audit?limit=1", headers=admin).json()
    entry = entries[0]
    assert entry["action"] == "order.upsert" and entry["target"] == "orders/O1"
    assert entry["before"]["priority"] == 0 and entry["after"]["priority"] == 7
    assert entry["actor"].startswith("key:")
