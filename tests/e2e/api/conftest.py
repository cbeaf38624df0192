"""An app over a fresh, migrated database and one API key per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from lastmile.api.app import create_app
from lastmile.api.auth import Role
from lastmile.api.routers.keys import create_key
from lastmile.api.services import ApiSettings, build_services, close_services
from lastmile.bootstrap import init_database

HUB = {"ref": "H1", "name": "Mitte", "lat": 52.52, "lon": 13.40, "timezone": "Europe/Berlin"}
VEHICLE = {
    "ref": "V1", "kind": "van", "hub_ref": "H1",
    "capacity_kg": 500, "capacity_l": 2000, "capacity_parcels": 60,
}  # fmt: skip
DRIVER = {"ref": "D1", "name": "Dana Driver", "hub_ref": "H1", "phone": "+49 30 1"}


def order(ref: str, n: int = 0, **extra: object) -> dict[str, object]:
    return {
        "ref": ref, "hub_ref": "H1", "lat": 52.52 + n * 0.002, "lon": 13.41,
        "street": "Invalidenstr.", "house_number": str(n + 1), "postcode": "10115",
        "city": "Berlin", "recipient_name": "Ann Smith", "recipient_phone": "+49 170 555",
        "window_start": "2026-11-24T09:00", "window_end": "2026-11-24T17:00", "weight_kg": 2,
        **extra,
    }  # fmt: skip


@dataclass
class Api:
    client: TestClient
    keys: dict[Role, str]
    url: str

    def as_(self, role: Role, **headers: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[role], **headers}

    def seed(self) -> None:
        """A hub with a van, a driver and five orders for 2026-11-24."""
        admin = self.as_(Role.ADMIN)
        for path, body in (("hubs", HUB), ("vehicles", VEHICLE), ("drivers", DRIVER)):
            assert self.client.post(f"/v1/{path}", json=body, headers=admin).status_code == 201
        for n in range(5):
            response = self.client.post("/v1/orders", json=order(f"O{n}", n), headers=admin)
            assert response.status_code == 201, response.text


def make_keys(url: str, driver_ref: str | None = None) -> dict[Role, str]:
    services = build_services(ApiSettings(url))
    try:
        return {
            role: create_key(services, role, role.value, None)[1]
            for role in Role
            if role is not Role.DRIVER
        }
    finally:
        close_services(services)


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    url = init_database(database_url)
    keys = make_keys(url)
    settings = ApiSettings(url, rate_per_s=1000, burst=1000)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Api(client, keys, url)


def driver_key(api: Api, driver_ref: str = "D1") -> str:
    """A driver key for a stored driver (drivers need the driver to exist first)."""
    response = api.client.post(
        "/v1/api-keys",
        json={"role": "driver", "driver_ref": driver_ref},
        headers=api.as_(Role.ADMIN),
    )
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    api.keys[Role.DRIVER] = key
    return key
