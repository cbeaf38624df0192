"""A zone whose slots fill fast starts its wave early: reported by the booking system
(``slots_filling`` events) or counted by ``lastmile serve``'s follower from the orders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lastmile.api.app import create_app
from lastmile.api.auth import Role
from lastmile.api.dispatch_follow import follow_once
from lastmile.api.services import ApiSettings, Services
from lastmile.dispatch.rules import parse_rules
from lastmile.store import tables as t
from tests.e2e.api.conftest import Api, order
from tests.e2e.api.test_dispatch_api import QUICK, get
from tests.e2e.api.test_plans_and_routes import plan_day

pytestmark = pytest.mark.storage

ZONE = {
    "ref": "Z1", "name": "Mitte", "hub_ref": "H1",
    "polygon": [[[13.3, 52.5], [13.5, 52.5], [13.5, 52.6], [13.3, 52.6], [13.3, 52.5]]],
}  # fmt: skip
RULES = parse_rules({"rules": [
    {"name": "early wave", "event": "slots_filling", "zones": ["Z1"], "above": 3,
     "then": "dispatch_wave_early", "by_min": 30},
    {"name": "re-plan after it", "event": "wave_dispatched_early", "then": "replan"},
]})  # fmt: skip
MORNING = datetime.fromisoformat("2026-11-24T07:00:00+01:00")


@pytest.fixture
def zoned(api: Api) -> Iterator[tuple[Api, str, TestClient]]:
    """The planned day with its orders in zone Z1, and an app running the early-wave rule."""
    api.seed()
    admin = api.as_(Role.ADMIN)
    assert api.client.post("/v1/zones", json=ZONE, headers=admin).status_code == 201
    for n in range(5):
        body = order(f"O{n}", n, zone_ref="Z1")
        assert api.client.post("/v1/orders", json=body, headers=admin).status_code in (200, 201)
    plan = plan_day(api, extra_vehicle=True, seeded=True)
    settings = ApiSettings(api.url, rate_per_s=1000, burst=1000, dispatch_rules=RULES)
    with TestClient(create_app(settings)) as client:
        yield api, plan["ref"], client


def test_slots_filling_fast_start_the_zones_wave_early(zoned: tuple[Api, str, TestClient]) -> None:
    api, first, client = zoned
    h = api.as_(Role.DISPATCHER)

    def report(rate: float, zone: str = "Z1", minutes: int = 0) -> Any:
        body = {"type": "slots_filling", "zone_ref": zone, "filled_per_hour": rate,
                "at": (MORNING + timedelta(minutes=minutes)).isoformat()}  # fmt: skip
        return client.post(f"/v1/dispatch/{first}/events{QUICK}", json=body, headers=h)

    slow = report(2)
    assert slow.status_code == 200, slow.text
    assert slow.json()["replans"] == []
    fast = report(5, minutes=5)
    assert fast.status_code == 200, fast.text
    [replan] = fast.json()["replans"]
    assert replan["trigger"] == "WaveDispatchedEarly"
    assert fast.json()["payload"]["zone_ref"] == "Z1"
    assert set(fast.json()["payload"]["stop_refs"]) == {f"O{n}" for n in range(5)}
    missing = report(5, zone="NOPE", minutes=6)
    assert missing.status_code == 404 and "NOPE" in missing.text
    # Only who may write plans reports bookings.
    assert api.client.post(
        f"/v1/dispatch/{first}/events", headers=api.as_(Role.ANALYST),
        json={"type": "slots_filling", "zone_ref": "Z1", "filled_per_hour": 9},
    ).status_code == 403  # fmt: skip


def test_the_follower_counts_the_zones_new_orders(zoned: tuple[Api, str, TestClient]) -> None:
    api, first, client = zoned
    admin = api.as_(Role.ADMIN)
    for n in range(5, 9):  # four orders for the day, booked in the last hour
        body = order(f"O{n}", n, zone_ref="Z1")
        assert api.client.post("/v1/orders", json=body, headers=admin).status_code == 201
    start = {"type": "replan", "at": (MORNING - timedelta(minutes=10)).isoformat()}
    started = client.post(f"/v1/dispatch/{first}/events{QUICK}", json=start, headers=admin)
    assert started.status_code == 200, started.text  # the follower follows dispatched days
    svc: Services = client.app.state.services  # type: ignore[attr-defined]
    booked = MORNING - timedelta(minutes=20)
    refs = [f"O{n}" for n in range(5, 9)]
    with svc.uow() as uow:
        stmt = sa.update(t.orders).where(t.orders.c.ref.in_(refs)).values(created_at=booked)
        uow.connection.execute(stmt)
        uow.commit()

    [look] = follow_once(svc, MORNING)
    [step] = look["tracked_steps"]
    assert step["command"] == "ObserveSlots" and step["actor"] == "follower"
    assert step["payload"]["filled_per_hour"] == 4.0
    assert step["replans"][0]["trigger"] == "WaveDispatchedEarly"
    # Once an hour per zone.
    assert follow_once(svc, MORNING + timedelta(minutes=10)) == []
    # Without a slots rule nothing is counted.
    plain: Services = api.client.app.state.services  # type: ignore[attr-defined]
    assert follow_once(plain, MORNING + timedelta(minutes=70)) == []
    assert len(get(api, f"/v1/dispatch/{first}")["steps"]) == 2
