"""Idempotency-Key on POST: same body replays the first response, another body is 409."""

from __future__ import annotations

import pytest

from lastmile.api.auth import Role
from tests.e2e.api.conftest import HUB, Api

pytestmark = pytest.mark.storage


def test_the_same_key_and_body_returns_the_first_response_without_a_second_write(
    api: Api,
) -> None:
    headers = api.as_(Role.ADMIN, **{"Idempotency-Key": "k-1"})
    first = api.client.post("/v1/hubs", json=HUB, headers=headers)
    second = api.client.post("/v1/hubs", json=HUB, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replay"] == "true"
    audit = api.client.get("/v1/audit", headers=api.as_(Role.ADMIN)).json()
    assert [e["action"] for e in audit] == ["hub.upsert"]


def test_the_same_key_with_another_body_is_a_conflict(api: Api) -> None:
    headers = api.as_(Role.ADMIN, **{"Idempotency-Key": "k-2"})
    assert api.client.post("/v1/hubs", json=HUB, headers=headers).status_code == 201
    other = api.client.post("/v1/hubs", json={**HUB, "name": "Other"}, headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["field"] == "Idempotency-Key"


def test_keys_are_scoped_to_the_api_key_that_used_them(api: Api) -> None:
    key = {"Idempotency-Key": "shared"}
    admin = api.client.post("/v1/hubs", json=HUB, headers=api.as_(Role.ADMIN, **key))
    dispatcher = api.client.post(
        "/v1/hubs", json={**HUB, "ref": "H2"}, headers=api.as_(Role.DISPATCHER, **key)
    )
    assert admin.status_code == dispatcher.status_code == 201
    assert dispatcher.json()["ref"] == "H2"


def test_a_refused_request_is_not_remembered(api: Api) -> None:
    key = {"Idempotency-Key": "k-3"}
    denied = api.client.post("/v1/hubs", json=HUB, headers=api.as_(Role.ANALYST, **key))
    assert denied.status_code == 403
    again = api.client.post("/v1/hubs", json=HUB, headers=api.as_(Role.ANALYST, **key))
    assert again.status_code == 403 and "idempotent-replay" not in again.headers
