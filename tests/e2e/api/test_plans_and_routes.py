"""Plans as background jobs, then route edits guarded by ETags and the planning checker."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lastmile.api.auth import Role
from tests.e2e.api.conftest import VEHICLE, Api, driver_key, order

pytestmark = pytest.mark.storage


def plan_day(api: Api, extra_vehicle: bool = False, seeded: bool = False) -> dict[str, Any]:
    if not seeded:
        api.seed()
    admin = api.as_(Role.ADMIN)
    if extra_vehicle:
        for ref in ("V1", "V2"):  # three parcels a van: five orders need both
            van = {**VEHICLE, "ref": ref, "capacity_parcels": 3}
            stored = api.client.post("/v1/vehicles", json=van, headers=admin)
            assert stored.status_code in (200, 201)
    body = {"hub_ref": "H1", "service_date": "2026-11-24", "time_limit_s": 0.5}
    started = api.client.post("/v1/plans", json=body, headers=api.as_(Role.DISPATCHER))
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status"] in ("queued", "running")
    assert started.headers["location"] == f"/v1/plans/jobs/{job['id']}"
    deadline = time.monotonic() + 60
    while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = api.client.get(f"/v1/plans/jobs/{job['id']}", headers=admin).json()
    assert job["status"] == "done", job
    plan: dict[str, Any] = api.client.get(f"/v1/plans/{job['plan_ref']}", headers=admin).json()
    return plan


def test_a_plan_job_ends_done_with_every_order_routed_and_planned(api: Api) -> None:
    plan = plan_day(api)
    served = sorted(s["ref"] for r in plan["routes"] for s in r["stops"])
    assert served == ["O0", "O1", "O2", "O3", "O4"] and plan["unassigned"] == []
    states = api.client.get("/v1/orders?status=planned", headers=api.as_(Role.ADMIN)).json()
    assert len(states["items"]) == 5
    listed = api.client.get("/v1/plans?date=2026-11-24", headers=api.as_(Role.ANALYST)).json()
    assert [p["ref"] for p in listed["items"]] == [plan["ref"]]


def test_a_plan_for_a_hub_without_vehicles_fails_with_the_reason(api: Api) -> None:
    admin = api.as_(Role.ADMIN)
    api.client.post("/v1/hubs", json={"ref": "H2", "name": "Empty", "lat": 52.5, "lon": 13.4},
                    headers=admin)  # fmt: skip
    body = {"hub_ref": "H2", "service_date": "2026-11-24"}
    job = api.client.post("/v1/plans", json=body, headers=admin).json()
    for _ in range(100):
        job = api.client.get(f"/v1/plans/jobs/{job['id']}", headers=admin).json()
        if job["status"] == "failed":
            break
        time.sleep(0.1)
    assert job["status"] == "failed" and "no created or ready orders" in job["error"]


def test_a_reorder_needs_the_current_etag_and_bumps_it(api: Api) -> None:
    route = plan_day(api)["routes"][0]
    admin = api.as_(Role.ADMIN)
    got = api.client.get(f"/v1/routes/{route['ref']}", headers=admin)
    tag = got.headers["etag"]
    order = [s["ref"] for s in route["stops"]][::-1]
    url = f"/v1/routes/{route['ref']}/reorder"
    missing = api.client.post(url, json={"stop_refs": order}, headers=admin)
    assert missing.status_code == 428
    done = api.client.post(url, json={"stop_refs": order}, headers={**admin, "If-Match": tag})
    assert done.status_code == 200, done.text
    assert [s["ref"] for s in done.json()["stops"]] == order
    assert done.headers["etag"] != tag and done.json()["version"] == route["version"] + 1
    stale = api.client.post(url, json={"stop_refs": order}, headers={**admin, "If-Match": tag})
    assert stale.status_code == 412


def test_two_dispatchers_on_the_same_version_cannot_both_win(api: Api) -> None:
    route = plan_day(api)["routes"][0]
    tag = api.client.get(f"/v1/routes/{route['ref']}", headers=api.as_(Role.ADMIN)).headers["etag"]
    stops = [s["ref"] for s in route["stops"]]
    results = [
        api.client.post(
            f"/v1/routes/{route['ref']}/reorder",
            json={"stop_refs": list(reversed(stops)) if n else stops},
            headers=api.as_(Role.DISPATCHER, **{"If-Match": tag}),
        ).status_code
        for n in range(2)
    ]
    assert results[0] == 200 and results[1] in (409, 412)


def test_a_reorder_that_breaks_a_time_window_is_refused_naming_the_stop(api: Api) -> None:
    api.seed()
    admin = api.as_(Role.ADMIN)
    for n in range(4):
        api.client.post("/v1/orders", json=order(f"O{n}", n, service_s=1800), headers=admin)
    tight = order("O4", 4, window_start="2026-11-24T09:00", window_end="2026-11-24T09:10")
    api.client.post("/v1/orders", json=tight, headers=admin)
    route = plan_day(api, seeded=True)["routes"][0]
    stops = [s["ref"] for s in route["stops"]]
    late = [s for s in stops if s != "O4"] + ["O4"]
    tag = api.client.get(f"/v1/routes/{route['ref']}", headers=admin).headers["etag"]
    refused = api.client.post(
        f"/v1/routes/{route['ref']}/reorder",
        json={"stop_refs": late},
        headers={**admin, "If-Match": tag},
    )
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert "time_window" in message and "'O4'" in message
    unchanged = api.client.get(f"/v1/routes/{route['ref']}", headers=admin)
    assert unchanged.headers["etag"] == tag
    wrong = api.client.post(
        f"/v1/routes/{route['ref']}/reorder",
        json={"stop_refs": stops[:2]},
        headers={**admin, "If-Match": tag},
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "stop_refs"


def _move(api: Api, source: dict[str, Any], stop: str, target: str) -> Any:
    admin = api.as_(Role.ADMIN)
    tag = api.client.get(f"/v1/routes/{source['ref']}", headers=admin).headers["etag"]
    return api.client.post(
        f"/v1/routes/{source['ref']}/move-stop",
        json={"stop_ref": stop, "to_route_ref": target, "position": 0},
        headers={**admin, "If-Match": tag},
    )


def test_moving_a_stop_retimes_both_routes_and_a_full_van_refuses_it(api: Api) -> None:
    plan = plan_day(api, extra_vehicle=True)
    full, light = sorted(plan["routes"], key=lambda r: -len(r["stops"]))
    assert (len(full["stops"]), len(light["stops"])) == (3, 2)
    refused = _move(api, light, light["stops"][0]["ref"], full["ref"])
    assert refused.status_code == 409 and "capacity" in refused.json()["error"]["message"]
    stop = full["stops"][0]["ref"]
    moved = _move(api, full, stop, light["ref"])
    assert moved.status_code == 200, moved.text
    assert stop not in [s["ref"] for s in moved.json()["stops"]]
    after = api.client.get(f"/v1/routes/{light['ref']}", headers=api.as_(Role.ADMIN)).json()
    assert after["stops"][0]["ref"] == stop and after["version"] == light["version"] + 1


def test_assigning_and_dispatching_moves_orders_and_a_driver_sees_only_its_route(
    api: Api,
) -> None:
    route = plan_day(api)["routes"][0]
    admin = api.as_(Role.ADMIN)
    tag = api.client.get(f"/v1/routes/{route['ref']}", headers=admin).headers["etag"]
    assigned = api.client.post(
        f"/v1/routes/{route['ref']}/assign",
        json={"driver_ref": "D1"},
        headers={**admin, "If-Match": tag},
    )
    assert assigned.status_code == 200 and assigned.json()["driver_ref"] == "D1"
    dispatched = api.client.post(
        f"/v1/routes/{route['ref']}/dispatch",
        headers={**admin, "If-Match": assigned.headers["etag"]},
    )
    assert dispatched.status_code == 200 and dispatched.json()["status"] == "dispatched"
    states = {o["state"] for o in api.client.get("/v1/orders", headers=admin).json()["items"]}
    assert states == {"dispatched"}
    key = driver_key(api)
    mine = api.client.get("/v1/routes", headers={"X-API-Key": key}).json()["items"]
    assert [r["ref"] for r in mine] == [route["ref"]]
    stops = api.client.get("/v1/stops", headers={"X-API-Key": key}).json()["items"]
    assert len(stops) == 5


def test_a_driver_cannot_see_or_change_a_route_that_is_not_theirs(api: Api) -> None:
    route = plan_day(api)["routes"][0]
    admin = api.as_(Role.ADMIN)
    api.client.post("/v1/drivers", json={"ref": "D2", "name": "Other"}, headers=admin)
    key = {"X-API-Key": driver_key(api, "D2")}
    assert api.client.get(f"/v1/routes/{route['ref']}", headers=key).status_code == 404
    assert api.client.get("/v1/routes", headers=key).json()["items"] == []
    assert api.client.get("/v1/stops", headers=key).json()["items"] == []
    edit = api.client.post(
        f"/v1/routes/{route['ref']}/reorder",
        json={"stop_refs": []},
        headers={**key, "If-Match": "*"},
    )
    assert edit.status_code == 404
