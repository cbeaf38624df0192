"""List filters (date, hub, zone, status) on every list: they narrow, combine, page and refuse.

The world: hub H1 plans two days, every order of the first in zone Z1 and of the second in Z2;
hub H2 plans the first day in Z3. Expected answers are computed from the stored plans, so they
hold whatever routes the solver makes.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from lastmile.api.auth import Role
from tests.e2e.api.conftest import HUB, VEHICLE, Api, order

pytestmark = pytest.mark.storage

DAY1, DAY2, DAY3 = "2026-11-24", "2026-11-25", "2026-11-26"
#: (hub, zone, day) of each group of orders; a van takes three parcels, so H1 needs two a day.
GROUPS = {"a": ("H1", "Z1", DAY1), "b": ("H1", "Z2", DAY2), "c": ("H2", "Z3", DAY1)}


def get(api: Api, path: str, role: Role = Role.ADMIN) -> Any:
    response = api.client.get(path, headers=api.as_(role))
    assert response.status_code == 200, f"{path}: {response.text}"
    return response.json()


def every_page(api: Api, path: str, limit: int) -> list[dict[str, Any]]:
    """Follow ``next_cursor`` to the end; the pages must not overlap."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    join = "&" if "?" in path else "?"
    for _ in range(100):
        query = f"{path}{join}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = get(api, query)
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError(f"{path}: more than 100 pages")


def seed_network(api: Api) -> None:
    admin = api.as_(Role.ADMIN)
    hubs = [HUB, {**HUB, "ref": "H2", "name": "Spandau", "lat": 52.53, "lon": 13.20}]
    bodies: list[tuple[str, dict[str, Any]]] = [("hubs", h) for h in hubs]
    square = [[[13.0, 52.0], [14.0, 52.0], [14.0, 53.0], [13.0, 53.0], [13.0, 52.0]]]
    bodies += [("zones", {"ref": f"Z{n}", "name": f"Z{n}", "hub_ref": hub, "polygon": square})
               for n, hub in ((1, "H1"), (2, "H1"), (3, "H2"))]  # fmt: skip
    bodies += [("vehicles", {**VEHICLE, "ref": ref, "hub_ref": hub, "capacity_parcels": 3})
               for ref, hub in (("V1", "H1"), ("V2", "H1"), ("V3", "H2"))]  # fmt: skip
    bodies += [("drivers", {"ref": ref, "name": ref, "hub_ref": hub})
               for ref, hub in (("D1", "H1"), ("D2", "H2"))]  # fmt: skip
    # shifts only on days H1 does not plan, and one van at H2 is enough for its orders
    shift = {"ref": "S1", "driver_ref": "D1", "hub_ref": "H1", "vehicle_ref": "V1",
             "start": f"{DAY3}T07:00", "end": f"{DAY3}T19:00"}  # fmt: skip
    bodies += [("shifts", shift), ("shifts", {**shift, "ref": "S2", "driver_ref": "D2",
               "hub_ref": "H2", "vehicle_ref": "V3", "start": f"{DAY1}T07:00",
               "end": f"{DAY1}T19:00"})]  # fmt: skip
    for path, body in bodies:
        response = api.client.post(f"/v1/{path}", json=body, headers=admin)
        assert response.status_code == 201, f"{path}: {response.text}"


def seed_orders(api: Api) -> dict[str, tuple[str, str, str]]:
    """Five orders for H1 each day, two for H2; returns ref → (hub, zone, day)."""
    made = {}
    for group, (hub, zone, day) in GROUPS.items():
        for n in range(5 if hub == "H1" else 2):
            ref = f"{group}{n}"
            lon = 13.41 if hub == "H1" else 13.21
            body = order(ref, n, hub_ref=hub, zone_ref=zone, lon=lon,
                         window_start=f"{day}T09:00", window_end=f"{day}T17:00")  # fmt: skip
            response = api.client.post("/v1/orders", json=body, headers=api.as_(Role.ADMIN))
            assert response.status_code == 201, response.text
            made[ref] = (hub, zone, day)
    return made


def plan(api: Api, hub: str, day: str) -> dict[str, Any]:
    body = {"hub_ref": hub, "service_date": day, "time_limit_s": 0.2}
    started = api.client.post("/v1/plans", json=body, headers=api.as_(Role.DISPATCHER))
    assert started.status_code == 202, started.text
    job = started.json()
    deadline = time.monotonic() + 60
    while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = get(api, f"/v1/plans/jobs/{job['id']}")
    assert job["status"] == "done", job
    planned: dict[str, Any] = get(api, f"/v1/plans/{job['plan_ref']}")
    assert planned["unassigned"] == []
    return planned


def dispatch(api: Api, route: dict[str, Any]) -> None:
    headers = {**api.as_(Role.ADMIN), "If-Match": f'"{route["ref"]}.{route["version"]}"'}
    response = api.client.post(f"/v1/routes/{route['ref']}/dispatch", headers=headers)
    assert response.status_code == 200, response.text


def world(api: Api) -> tuple[dict[str, tuple[str, str, str]], list[dict[str, Any]]]:
    """The orders and every route after planning the three groups and dispatching one route."""
    seed_network(api)
    orders = seed_orders(api)
    days = (("H1", DAY1), ("H1", DAY2), ("H2", DAY1))
    routes = [r for hub, day in days for r in plan(api, hub, day)["routes"]]
    assert len(routes) >= 3
    dispatch(api, routes[0])
    routes[0]["status"] = "dispatched"
    return orders, routes


def refs(items: list[dict[str, Any]]) -> list[str]:
    return [i["ref"] for i in items]


def test_route_filters_narrow_combine_and_page_over_every_match_once(api: Api) -> None:
    orders, routes = world(api)

    def zones(route: dict[str, Any]) -> set[str]:
        return {orders[o][1] for s in route["stops"] for o in s["order_refs"]}

    def expected(keep: Any) -> list[str]:
        return sorted(r["ref"] for r in routes if keep(r))

    cases = {
        "": lambda r: True,
        f"date={DAY2}": lambda r: r["service_date"] == DAY2,
        "hub=H2": lambda r: "H2" in r["hub_refs"],
        "zone=Z1": lambda r: "Z1" in zones(r),
        "zone=Z3": lambda r: "Z3" in zones(r),
        "status=dispatched": lambda r: r["status"] == "dispatched",
        "status=planned": lambda r: r["status"] == "planned",
        "status=planned,dispatched": lambda r: True,
        f"hub=H1&date={DAY1}": lambda r: "H1" in r["hub_refs"] and r["service_date"] == DAY1,
        f"zone=Z1&date={DAY2}": lambda r: False,
        "zone=Z2&status=planned": lambda r: "Z2" in zones(r) and r["status"] == "planned",
        "zone=Z9": lambda r: False,
    }
    for query, keep in cases.items():
        want = expected(keep)
        assert refs(get(api, f"/v1/routes?{query}")["items"]) == want, query
        for limit in (1, 2):
            assert refs(every_page(api, f"/v1/routes?{query}", limit)) == want, (query, limit)
    # every filter narrows: none of these keeps every route, none keeps nothing
    for query in (f"date={DAY2}", "hub=H2", "zone=Z1", "status=dispatched"):
        assert 0 < len(expected(cases[query])) < len(routes), query


def test_stop_filters_narrow_combine_and_page_over_every_match_once(api: Api) -> None:
    orders, routes = world(api)
    dispatched = {o for s in routes[0]["stops"] for o in s["order_refs"]}
    stops = [
        s | {"day": r["service_date"], "hubs": r["hub_refs"]} for r in routes for s in r["stops"]
    ]

    def expected(keep: Any) -> list[tuple[str, int]]:
        return sorted((s["route_ref"], s["position"]) for s in stops if keep(s))

    def zone(s: dict[str, Any]) -> set[str]:
        return {orders[o][1] for o in s["order_refs"]}

    def states(s: dict[str, Any]) -> set[str]:
        return {"dispatched" if o in dispatched else "planned" for o in s["order_refs"]}

    cases = {
        "": lambda s: True,
        f"date={DAY1}": lambda s: s["day"] == DAY1,
        "hub=H1": lambda s: "H1" in s["hubs"],
        "zone=Z2": lambda s: "Z2" in zone(s),
        "status=dispatched": lambda s: "dispatched" in states(s),
        "status=planned,created": lambda s: "planned" in states(s),
        f"hub=H1&date={DAY1}&status=planned": (
            lambda s: "H1" in s["hubs"] and s["day"] == DAY1 and "planned" in states(s)
        ),
        f"zone=Z3&date={DAY1}": lambda s: "Z3" in zone(s),
        f"zone=Z3&date={DAY2}": lambda s: False,
        f"route={routes[1]['ref']}&zone={zone(routes[1]['stops'][0]).pop()}": (
            lambda s: s["route_ref"] == routes[1]["ref"]
        ),
    }
    for query, keep in cases.items():
        want = expected(keep)
        got = get(api, f"/v1/stops?{query}")["items"]
        assert [(s["route_ref"], s["position"]) for s in got] == want, query
        for limit in (1, 3):
            paged = every_page(api, f"/v1/stops?{query}", limit)
            assert [(s["route_ref"], s["position"]) for s in paged] == want, (query, limit)
    for query in (f"date={DAY1}", "hub=H1", "zone=Z2", "status=dispatched"):
        assert 0 < len(expected(cases[query])) < len(stops), query


def test_fleet_network_and_plan_lists_filter_by_hub_and_date(api: Api) -> None:
    seed_network(api)
    assert refs(get(api, "/v1/vehicles?hub=H1")["items"]) == ["V1", "V2"]
    assert refs(get(api, "/v1/zones?hub=H2")["items"]) == ["Z3"]
    assert refs(get(api, "/v1/drivers?hub=H2")["items"]) == ["D2"]
    assert refs(get(api, f"/v1/shifts?date={DAY1}")["items"]) == ["S2"]
    assert refs(get(api, f"/v1/shifts?date={DAY3}&hub=H1")["items"]) == ["S1"]
    assert refs(get(api, f"/v1/shifts?date={DAY3}&hub=H2")["items"]) == []
    assert refs(every_page(api, "/v1/vehicles?hub=H1", 1)) == ["V1", "V2"]
    assert refs(every_page(api, "/v1/zones?hub=H1", 1)) == ["Z1", "Z2"]
    seed_orders(api)
    first = plan(api, "H2", DAY1)["ref"]
    second = plan(api, "H1", DAY2)["ref"]
    assert refs(get(api, "/v1/plans?hub=H2")["items"]) == [first]
    assert refs(get(api, f"/v1/plans?date={DAY2}")["items"]) == [second]
    assert refs(get(api, f"/v1/plans?date={DAY2}&hub=H2")["items"]) == []
    assert refs(every_page(api, "/v1/plans", 1)) == sorted([first, second])


def test_order_filters_combine_and_page_over_every_match_once(api: Api) -> None:
    seed_network(api)
    orders = seed_orders(api)
    cases = {
        f"hub=H1&date={DAY1}": ("H1", None, DAY1),
        "zone=Z2&status=created": (None, "Z2", None),
        f"hub=H2&zone=Z3&date={DAY1}": ("H2", "Z3", DAY1),
    }
    for query, (hub, zone, day) in cases.items():
        want = sorted(
            ref for ref, (h, z, d) in orders.items()
            if hub in (None, h) and zone in (None, z) and day in (None, d)
        )  # fmt: skip
        assert 0 < len(want) < len(orders)
        assert refs(every_page(api, f"/v1/orders?{query}", 2)) == want, query


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/orders?status=lost", "status"),
        ("/v1/orders?status=created,", "status"),
        ("/v1/orders?date=24.11.2026", "date"),
        ("/v1/orders?date=2026-02-30", "date"),
        ("/v1/routes?status=created", "status"),
        ("/v1/routes?date=20261124", "date"),
        ("/v1/stops?status=lost", "status"),
        ("/v1/stops?date=2026-W48-2", "date"),
        ("/v1/stops?cursor=bm9wZQ", "cursor"),
        ("/v1/plans?date=tomorrow", "date"),
        ("/v1/shifts?date=2026-13-01", "date"),
        ("/v1/vehicles?date=2026-11-24", "date"),
        ("/v1/hubs?hub=H1", "hub"),
        ("/v1/plans?status=draft", "status"),
        ("/v1/orders?zones=Z1", "zones"),
    ],
)
def test_a_bad_or_unknown_filter_is_a_422_naming_the_parameter(
    api: Api, path: str, field: str
) -> None:
    response = api.client.get(path, headers=api.as_(Role.ADMIN))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field and error["location"] == "query", error
