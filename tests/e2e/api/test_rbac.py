"""Every role against every endpoint: allowed calls are never 401/403, forbidden ones are 403."""

from __future__ import annotations

import pytest

from lastmile.api.auth import Action, Role, allowed
from tests.e2e.api.conftest import DRIVER, HUB, Api, driver_key

pytestmark = pytest.mark.storage

R, W = Action.READ, Action.WRITE
#: (method, path, resource, action) for every authenticated endpoint.
ENDPOINTS = [
    *(
        entry
        for kind in ("hubs", "zones", "vehicles", "drivers", "shifts")
        for entry in (
            ("GET", f"/v1/{kind}", kind, R),
            ("GET", f"/v1/{kind}/{{ref}}", kind, R),
            ("POST", f"/v1/{kind}", kind, W),
        )
    ),
    ("GET", "/v1/orders", "orders", R),
    ("GET", "/v1/orders/{ref}", "orders", R),
    ("POST", "/v1/orders", "orders", W),
    ("POST", "/v1/orders/batch", "orders", W),
    ("POST", "/v1/orders/{ref}/cancel", "orders", W),
    ("POST", "/v1/orders/{ref}/tracking-tokens", "tracking-tokens", W),
    ("POST", "/v1/plans", "plans", W),
    ("GET", "/v1/plans", "plans", R),
    ("GET", "/v1/plans/{ref}", "plans", R),
    ("GET", "/v1/plans/jobs/{job_id}", "plans", R),
    ("POST", "/v1/dispatch/{ref}/events", "plans", W),
    ("POST", "/v1/dispatch/{ref}/observe", "plans", W),
    ("GET", "/v1/dispatch/{ref}", "plans", R),
    ("GET", "/v1/routes", "routes", R),
    ("GET", "/v1/routes/{ref}", "routes", R),
    ("GET", "/v1/stops", "stops", R),
    ("POST", "/v1/routes/{ref}/assign", "routes", W),
    ("POST", "/v1/routes/{ref}/reorder", "routes", W),
    ("POST", "/v1/routes/{ref}/move-stop", "routes", W),
    ("POST", "/v1/routes/{ref}/dispatch", "routes", W),
    ("POST", "/v1/webhooks", "webhooks", W),
    ("GET", "/v1/webhooks", "webhooks", R),
    ("DELETE", "/v1/webhooks/{ref}", "webhooks", W),
    ("GET", "/v1/webhooks/attempts", "webhooks", R),
    ("POST", "/v1/api-keys", "api-keys", W),
    ("GET", "/v1/api-keys", "api-keys", W),
    ("DELETE", "/v1/api-keys/{key_id}", "api-keys", W),
    ("GET", "/v1/audit", "audit", R),
]
#: Route changes only dispatchers and admins make; a driver may reorder its own route.
DISPATCHER_ONLY = {"/v1/routes/{ref}/assign", "/v1/routes/{ref}/move-stop",
                   "/v1/routes/{ref}/dispatch"}  # fmt: skip
PUBLIC = {("GET", "/v1/track/{token}")}
#: Drivers report their own van's delays, failed attempts and breakdowns (checked per event).
DRIVERS_TOO = {"/v1/dispatch/{ref}/events"}
#: Routers whose role checks their own tests walk (tests/e2e/tracking for /v1/tracking).
ELSEWHERE = ("/v1/tracking/",)


def test_the_table_covers_every_endpoint_of_the_app(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    served = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if not path.startswith(ELSEWHERE)
    }
    assert served == {(m, p) for m, p, _, _ in ENDPOINTS} | PUBLIC


def expected_allowed(role: Role, path: str, resource: str, action: Action) -> bool:
    if role is Role.DRIVER and path in DISPATCHER_ONLY:
        return False
    if role is Role.DRIVER and path in DRIVERS_TOO:
        return True
    return allowed(role, resource, action)


def test_every_role_is_let_through_or_refused_as_the_table_says(api: Api) -> None:
    admin = api.as_(Role.ADMIN)
    api.client.post("/v1/hubs", json=HUB, headers=admin)
    api.client.post("/v1/drivers", json=DRIVER, headers=admin)
    driver_key(api)
    wrong: list[str] = []
    for role in Role:
        for method, path, resource, action in ENDPOINTS:
            url = path.format(ref="nope", job_id="nope", key_id="nope")
            body = {} if method == "POST" else None
            response = api.client.request(method, url, json=body, headers=api.as_(role))
            should = expected_allowed(role, path, resource, action)
            if should and response.status_code in (401, 403):
                wrong.append(f"{role.value} {method} {path}: {response.status_code} (allowed)")
            if not should and response.status_code != 403:
                wrong.append(f"{role.value} {method} {path}: {response.status_code} (forbidden)")
    assert wrong == []


def test_no_key_or_a_revoked_key_is_401(api: Api) -> None:
    assert api.client.get("/v1/hubs").status_code == 401
    bad = api.client.get("/v1/hubs", headers={"X-API-Key": "lm_dead_beef"})
    assert bad.status_code == 401
    analyst = api.keys[Role.ANALYST]
    key_id = analyst.split("_")[1]
    revoked = api.client.delete(f"/v1/api-keys/{key_id}", headers=api.as_(Role.ADMIN))
    assert revoked.status_code == 204
    assert api.client.get("/v1/hubs", headers={"X-API-Key": analyst}).status_code == 401


def test_keys_are_shown_once_and_stored_only_as_a_hash(api: Api) -> None:
    created = api.client.post(
        "/v1/api-keys", json={"role": "analyst", "name": "bi"}, headers=api.as_(Role.ADMIN)
    ).json()
    plaintext = created["key"]
    listed = api.client.get("/v1/api-keys", headers=api.as_(Role.ADMIN)).json()
    assert all(k["key"] is None for k in listed)
    import sqlalchemy as sa

    engine = sa.create_engine(api.url.replace("postgresql+psycopg", "postgresql+psycopg"))
    with engine.connect() as conn:
        stored = [str(v) for row in conn.execute(sa.text("SELECT * FROM api_keys")) for v in row]
    engine.dispose()
    assert not any(plaintext.split("_", 2)[2] in v for v in stored)


def test_a_key_over_its_rate_limit_gets_429_with_retry_after(api: Api) -> None:
    services = api.client.app.state.services  # type: ignore[attr-defined]
    services.limiter.burst, services.limiter.rate_per_s = 3, 0.01
    services.limiter._buckets.clear()
    codes = [
        api.client.get("/v1/hubs", headers=api.as_(Role.ANALYST)).status_code for _ in range(5)
    ]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    limited = api.client.get("/v1/hubs", headers=api.as_(Role.ANALYST))
    assert int(limited.headers["retry-after"]) >= 1
    assert api.client.get("/v1/hubs", headers=api.as_(Role.ADMIN)).status_code == 200
