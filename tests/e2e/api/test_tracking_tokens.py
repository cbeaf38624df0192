"""Customer tracking tokens: unguessable, per order, expiring, masked, read-only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lastmile.api.auth import Role, hash_secret
from tests.e2e.api.conftest import Api

pytestmark = pytest.mark.storage


def token_for(api: Api, ref: str, role: Role = Role.INTEGRATOR) -> str:
    response = api.client.post(
        f"/v1/orders/{ref}/tracking-tokens", json={"ttl_hours": 1}, headers=api.as_(role)
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def test_a_token_shows_a_masked_view_of_its_order_only(api: Api) -> None:
    api.seed()
    token = token_for(api, "O1")
    view = api.client.get(f"/v1/track/{token}")
    assert view.status_code == 200
    body = view.json()
    assert body["order_ref"] == "O1" and body["first_name"] == "Ann"
    text = view.text
    for secret in ("Smith", "+49 170 555", "Invalidenstr", "52.522"):
        assert secret not in text
    assert body["area"] == {"postcode": "10115", "city": "Berlin", "lat": 52.52, "lon": 13.41}


def test_a_token_cannot_reach_another_order_nor_write(api: Api) -> None:
    api.seed()
    token = token_for(api, "O1")
    assert api.client.get(f"/v1/track/{token}").json()["order_ref"] == "O1"
    assert api.client.get(f"/v1/track/{token}/../O2").status_code in (404, 422)
    assert api.client.get("/v1/orders/O2", headers={"X-API-Key": token}).status_code == 401
    assert api.client.post(f"/v1/track/{token}", json={}).status_code == 405
    other = token_for(api, "O2")
    assert other != token and api.client.get(f"/v1/track/{other}").json()["order_ref"] == "O2"


def test_unknown_and_expired_tokens_are_not_found(api: Api) -> None:
    api.seed()
    assert api.client.get("/v1/track/" + "x" * 32).status_code == 404
    services = api.client.app.state.services  # type: ignore[attr-defined]
    services.api_store.add_token(hash_secret("y" * 32), "O3", datetime.now(UTC) - timedelta(1))
    assert api.client.get("/v1/track/" + "y" * 32).status_code == 404


def test_an_analyst_cannot_issue_tracking_tokens(api: Api) -> None:
    api.seed()
    response = api.client.post(
        "/v1/orders/O1/tracking-tokens", json={}, headers=api.as_(Role.ANALYST)
    )
    assert response.status_code == 403


def test_once_planned_the_customer_sees_the_planned_arrival(api: Api) -> None:
    from tests.e2e.api.test_plans_and_routes import plan_day

    plan = plan_day(api)
    arrival = next(s["arrival"] for r in plan["routes"] for s in r["stops"] if s["ref"] == "O2")
    view = api.client.get(f"/v1/track/{token_for(api, 'O2')}").json()
    assert view["state"] == "planned" and view["eta"] == arrival
