"""Every role against every /v1/tracking endpoint: allowed calls are never 401/403,
forbidden ones are 403 (the API's own role walk leaves this router to these tests)."""

from __future__ import annotations

import pytest

from lastmile.api.auth import Action, Role, allowed
from lastmile.api.routers.keys import create_key
from lastmile.api.services import ApiSettings, build_services, close_services
from lastmile.domain import Driver
from lastmile.store.db import make_engine
from lastmile.store.tracking_journal import SqlTrackingUnitOfWork

from .test_tracking_api import Api, api  # noqa: F401  (the fixture)

pytestmark = pytest.mark.storage
R, W = Action.READ, Action.WRITE
ENDPOINTS = [
    ("POST", "/v1/tracking/pings", "routes", W),
    ("POST", "/v1/tracking/scans", "routes", W),
    ("POST", "/v1/tracking/carrier-events", "orders", W),
    ("POST", "/v1/tracking/devices/{ref}/follow", "routes", W),
    ("GET", "/v1/tracking/routes/{ref}/etas", "routes", R),
    ("GET", "/v1/tracking/orders/{ref}/timeline", "orders", R),
    ("POST", "/v1/tracking/orders/{ref}/pod", "routes", W),
    ("GET", "/v1/tracking/orders/{ref}/pod", "orders", R),
    ("GET", "/v1/tracking/orders/{ref}/pod/{ref}/files/{ref}", "orders", R),
]


def test_the_table_covers_every_tracking_endpoint(api: Api) -> None:  # noqa: F811
    spec = api.client.get("/openapi.json").json()
    served = {
        (method.upper(), path.replace("{order_ref}", "{ref}").replace("{route_ref}", "{ref}")
         .replace("{device_id}", "{ref}").replace("{content_hash}", "{ref}")
         .replace("{role}", "{ref}"))
        for path, ops in spec["paths"].items()
        if path.startswith("/v1/tracking/")
        for method in ops
    }  # fmt: skip
    assert served == {(m, p) for m, p, _, _ in ENDPOINTS}


def test_every_role_is_let_through_or_refused_as_the_table_says(
    api: Api,  # noqa: F811
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    with SqlTrackingUnitOfWork(engine) as uow:
        uow.drivers.add(Driver("D1", "Dana"))
        uow.commit()
    engine.dispose()
    services = build_services(ApiSettings(database_url))
    api.keys[Role.DRIVER] = create_key(services, Role.DRIVER, "dana", "D1")[1]
    close_services(services)
    wrong = []
    for role in Role:
        for method, path, resource, action in ENDPOINTS:
            url = path.replace("{ref}", "nope")
            body = {} if method == "POST" else None
            response = api.client.request(method, url, json=body, headers=api.as_(role))
            should = allowed(role, resource, action)
            if should == (response.status_code in (401, 403)) or (
                not should and response.status_code != 403
            ):
                wrong.append(f"{role.value} {method} {path}: {response.status_code}")
    assert not wrong


def test_a_call_without_a_key_is_401(api: Api) -> None:  # noqa: F811
    assert api.client.post("/v1/tracking/pings", json={"pings": []}).status_code == 401


def test_a_driver_follows_and_sees_the_etas_of_its_own_route_only(
    api: Api,  # noqa: F811
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    with SqlTrackingUnitOfWork(engine) as uow:
        uow.drivers.add(Driver("D1", "Dana"))
        uow.drivers.add(Driver("D2", "Dave"))
        uow.commit()
    engine.dispose()
    services = build_services(ApiSettings(database_url))
    dana = {"X-API-Key": create_key(services, Role.DRIVER, "dana", "D1")[1]}
    dave = {"X-API-Key": create_key(services, Role.DRIVER, "dave", "D2")[1]}
    close_services(services)
    admin = api.as_(Role.ADMIN)
    etag = api.client.get("/v1/routes/R1", headers=admin).headers["etag"]
    assigned = api.client.post("/v1/routes/R1/assign", json={"driver_ref": "D1"},
                               headers={**admin, "If-Match": etag})  # fmt: skip
    assert assigned.status_code == 200, assigned.text
    follow = {"plan_ref": "P1", "route_ref": "R1"}
    for headers, expected in ((dave, 404), (dana, 200)):
        followed = api.client.post(
            "/v1/tracking/devices/phone-1/follow", json=follow, headers=headers
        )
        etas = api.client.get("/v1/tracking/routes/R1/etas", headers=headers)
        assert (followed.status_code, etas.status_code) == (expected, expected)
