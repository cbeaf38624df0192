"""A plan made for several hubs at once (as ``lastmile plan --date`` makes one) is dispatched
as one day: events re-plan it, each hub's parcels stay with that hub's vans, and no hub is
dispatched twice on a date."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lastmile.api.auth import Role
from tests.e2e.api.conftest import HUB, VEHICLE, Api, order
from tests.e2e.api.test_dispatch_api import event, get

pytestmark = pytest.mark.storage

EAST = {**HUB, "ref": "H2", "name": "Friedrichshain", "lon": 13.45}


def two_hubs_planned(api: Api) -> dict[str, Any]:
    """Hubs H1 and H2 with two vans of five parcels and five orders each, planned together."""
    from lastmile.api.planner import problem_for
    from lastmile.bootstrap import uow_factory
    from lastmile.planning.pyvrp_solver import PyVRPSolver
    from lastmile.planning.solver import SolveOptions

    api.seed()
    admin = api.as_(Role.ADMIN)
    assert api.client.post("/v1/hubs", json=EAST, headers=admin).status_code == 201
    for ref, hub in (("V1", "H1"), ("V2", "H1"), ("E1", "H2"), ("E2", "H2")):
        van = {**VEHICLE, "ref": ref, "hub_ref": hub, "capacity_parcels": 5}
        assert api.client.post("/v1/vehicles", json=van, headers=admin).status_code in (200, 201)
    for n in range(5):
        east = order(f"E{n}", n, hub_ref="H2", lon=13.46)
        assert api.client.post("/v1/orders", json=east, headers=admin).status_code == 201
    factory = uow_factory(api.url)
    try:
        with factory() as uow:
            orders = uow.orders.list_by(service_date="2026-11-24")
            problem = problem_for(uow, ["H1", "H2"], "2026-11-24", orders)
            result = PyVRPSolver().solve(problem, SolveOptions(time_limit_s=0.5, seed=1))
            uow.plans.add(result.to_domain(problem, "both-hubs", "2026-11-24"))
            uow.commit()
    finally:
        factory.dispose()
    plan: dict[str, Any] = get(api, "/v1/plans/both-hubs")
    assert sorted(plan["hub_refs"]) == ["H1", "H2"] and plan["unassigned"] == []
    return plan


def hub_of_stops(plan: dict[str, Any]) -> dict[str, str]:
    van_hub = {"V1": "H1", "V2": "H1", "E1": "H2", "E2": "H2"}
    return {s["ref"]: van_hub[r["vehicle_ref"]] for r in plan["routes"] for s in r["stops"]}


def test_a_plan_of_two_hubs_is_dispatched_as_one_day(api: Api) -> None:
    plan = two_hubs_planned(api)
    east = next(r for r in plan["routes"] if r["vehicle_ref"].startswith("E"))
    # Before any van leaves (windows open at 09:00): nothing is on board yet.
    broke = {"type": "vehicle_broke_down", "vehicle_ref": east["vehicle_ref"],
             "at": "2026-11-24T07:00:00+01:00"}  # fmt: skip
    sent = event(api, plan["ref"], broke)
    assert sent.status_code == 200, sent.text
    assert sent.json()["replans"][0]["trigger"] == "VehicleBrokeDown"
    now = get(api, f"/v1/plans/{sent.json()['current_plan_ref']}")
    assert east["vehicle_ref"] not in {r["vehicle_ref"] for r in now["routes"]}
    # Every stop is still served from its own hub: H2's orders by H2's other van.
    served = hub_of_stops(now)
    assert sorted(served) == sorted(hub_of_stops(plan))
    assert all(served[ref] == ("H2" if ref.startswith("E") else "H1") for ref in served)

    day = get(api, f"/v1/dispatch/{plan['ref']}")
    assert day["hub_ref"] == "H1,H2" and day["dispatched"]


def test_a_hub_is_dispatched_from_one_plan_a_date(api: Api) -> None:
    plan = two_hubs_planned(api)
    assert event(api, plan["ref"], {"type": "replan", "at": "2026-11-24T08:30:00+01:00"}
                 ).status_code == 200  # fmt: skip
    # H1's own plan for that date cannot start a second day for H1.
    body = {"hub_ref": "H1", "service_date": "2026-11-24", "time_limit_s": 0.3}
    job = api.client.post("/v1/plans", json=body, headers=api.as_(Role.DISPATCHER)).json()
    for _ in range(100):
        job = get(api, f"/v1/plans/jobs/{job['id']}")
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "done", job
    other = event(api, job["plan_ref"], {"type": "replan", "at": "2026-11-24T08:40:00+01:00"})
    assert other.status_code == 409
    assert "hub 'H1' on 2026-11-24 is dispatched from plan 'both-hubs'" in other.text
