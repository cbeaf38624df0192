"""Dispatching a stored plan through the API: events re-plan the day, each step is kept, and
the day a later request rebuilds is the day the earlier ones left."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lastmile.api.auth import Role
from lastmile.domain.errors import Conflict
from tests.e2e.api.conftest import VEHICLE, Api, order
from tests.e2e.api.test_plans_and_routes import plan_day

pytestmark = pytest.mark.storage

QUICK = "?budget_s=0.5"


def event(api: Api, plan_ref: str, body: dict[str, Any], role: Role = Role.DISPATCHER) -> Any:
    return api.client.post(
        f"/v1/dispatch/{plan_ref}/events{QUICK}", json=body, headers=api.as_(role)
    )


def stops_of(plan: dict[str, Any]) -> dict[str, str]:
    return {s["ref"]: r["vehicle_ref"] for r in plan["routes"] for s in r["stops"]}


def get(api: Api, path: str) -> Any:
    response = api.client.get(path, headers=api.as_(Role.ADMIN))
    assert response.status_code == 200, response.text
    return response.json()


def test_events_re_plan_the_day_and_every_step_is_kept(api: Api) -> None:
    plan = plan_day(api, extra_vehicle=True)
    first = plan["ref"]
    assert min(s["arrival"] for r in plan["routes"] for s in r["stops"]) >= "2026-11-24T08:00"
    delayed = event(
        api, first, {"type": "vehicle_delayed", "vehicle_ref": "V1", "delay_s": 2400,
                     "at": "2026-11-24T08:30:00+01:00"},
    )  # fmt: skip
    assert delayed.status_code == 200, delayed.text
    step = delayed.json()
    assert step["seq"] == 1 and step["command"] == "ReportDelay"
    assert step["current_plan_ref"] == f"{first}.1" == step["plan_refs"][0]
    assert step["replans"][0]["trigger"] == "VehicleDelayed"
    assert "over 15 min" in step["replans"][0]["reason"]

    # The plan it replaces is history; the new one is the day's plan.
    assert get(api, f"/v1/plans/{first}")["status"] == "superseded"
    listed = get(api, "/v1/routes?date=2026-11-24")["items"]
    assert {r["plan_ref"] for r in listed} == {f"{first}.1"}

    # A new order joins the day and is planned.
    admin = api.as_(Role.ADMIN)
    assert api.client.post("/v1/orders", json=order("O9", 9), headers=admin).status_code == 201
    added = event(api, first, {"type": "order_added", "order_ref": "O9",
                               "at": "2026-11-24T08:40:00+01:00"})  # fmt: skip
    assert added.status_code == 200, added.text
    now = get(api, f"/v1/plans/{added.json()['current_plan_ref']}")
    assert "O9" in stops_of(now)
    assert get(api, "/v1/orders/O9")["state"] == "planned"

    # A cancelled stop leaves the plan, and its order is cancelled. The request names the
    # day by its plan in force this time.
    late = max(
        (s for r in now["routes"] for s in r["stops"] if s["ref"] != "O9"),
        key=lambda s: s["arrival"],
    )
    cancelled = event(api, now["ref"], {"type": "stop_cancelled", "stop_ref": late["ref"],
                                        "at": "2026-11-24T08:45:00+01:00"})  # fmt: skip
    assert cancelled.status_code == 200, cancelled.text
    after = get(api, f"/v1/plans/{cancelled.json()['current_plan_ref']}")
    assert late["ref"] not in stops_of(after) and "O9" in stops_of(after)
    assert get(api, f"/v1/orders/{late['ref']}")["state"] == "cancelled"

    day = get(api, f"/v1/dispatch/{first}")
    assert day["dispatched"] and day["current_plan_ref"] == after["ref"]
    assert [s["command"] for s in day["steps"]] == ["ReportDelay", "AddStopToDay", "CancelStop"]
    assert [s["actor"] for s in day["steps"]] == [day["steps"][0]["actor"]] * 3

    # The next request rebuilds the day from those steps: the day is at 08:45 already.
    early = event(api, first, {"type": "vehicle_delayed", "vehicle_ref": "V2", "delay_s": 60,
                               "at": "2026-11-24T08:40:00+01:00"})  # fmt: skip
    assert early.status_code == 422
    assert early.json()["error"]["field"] == "at"
    assert len(get(api, f"/v1/dispatch/{first}")["steps"]) == 3
    # The refused event left the day the process keeps as it was.
    kept = api.client.app.state.services.dispatch_days[first]  # type: ignore[attr-defined]
    assert kept.steps == 3 and kept.ctx.state.now_s == 2 * 3600 + 45 * 60


def test_a_new_order_no_van_can_take_is_left_out_with_the_reason(api: Api) -> None:
    first = plan_day(api, extra_vehicle=True)["ref"]  # two vans, full, out from 09:00
    admin = api.as_(Role.ADMIN)
    assert api.client.post("/v1/orders", json=order("O9", 9), headers=admin).status_code == 201
    added = event(api, first, {"type": "order_added", "order_ref": "O9",
                               "at": "2026-11-24T10:00:00+01:00"})  # fmt: skip
    assert added.status_code == 200, added.text
    change = added.json()["replans"][0]["changes"]
    assert change[-1][:2] == ["unassigned", "O9"] and "V1, V2" in change[-1][2]
    assert get(api, "/v1/orders/O9")["state"] == "created"

    # A spare van at the hub: the same order is served on the next re-plan.
    spare = {**VEHICLE, "ref": "V3"}
    assert api.client.post("/v1/vehicles", json=spare, headers=admin).status_code == 201
    again = event(api, first, {"type": "replan", "at": "2026-11-24T10:05:00+01:00"})
    assert again.status_code == 200, again.text
    now = get(api, f"/v1/plans/{again.json()['current_plan_ref']}")
    assert stops_of(now)["O9"] == "V3"
    assert get(api, "/v1/orders/O9")["state"] == "planned"


def test_a_driver_reports_its_own_van_and_stops_only(api: Api) -> None:
    from tests.e2e.api.conftest import driver_key

    plan = plan_day(api, extra_vehicle=True)
    first = plan["ref"]
    admin = api.as_(Role.ADMIN)
    mine = next(r for r in plan["routes"] if r["vehicle_ref"] == "V1")
    other = next(r for r in plan["routes"] if r["vehicle_ref"] == "V2")
    tag = api.client.get(f"/v1/routes/{mine['ref']}", headers=admin).headers["etag"]
    assigned = api.client.post(f"/v1/routes/{mine['ref']}/assign", json={"driver_ref": "D1"},
                               headers={**admin, "If-Match": tag})  # fmt: skip
    assert assigned.status_code == 200, assigned.text
    driver_key(api)
    at = {"at": "2026-11-24T08:30:00+01:00"}
    late = event(api, first, {"type": "vehicle_delayed", "vehicle_ref": "V1", "delay_s": 1800,
                              **at}, Role.DRIVER)  # fmt: skip
    assert late.status_code == 200, late.text
    assert late.json()["replans"] and late.json()["actor"].startswith("key:")
    # The re-plan keeps the driver on the van's route, so the driver goes on reporting.
    now = get(api, f"/v1/plans/{late.json()['current_plan_ref']}")
    assert next(r for r in now["routes"] if r["vehicle_ref"] == "V1")["driver_ref"] == "D1"
    again = event(api, first, {"type": "vehicle_delayed", "vehicle_ref": "V1", "delay_s": 60,
                               **at}, Role.DRIVER)  # fmt: skip
    assert again.status_code == 200, again.text

    someone_else: list[dict[str, Any]] = [
        {"type": "vehicle_delayed", "vehicle_ref": "V2", "delay_s": 600, **at},
        {"type": "vehicle_broke_down", "vehicle_ref": "V2", **at},
        {"type": "attempt_failed", "stop_ref": other["stops"][0]["ref"], "reason": "x", **at},
    ]
    for body in someone_else:
        assert event(api, first, body, Role.DRIVER).status_code == 404, body
    cancel = {"type": "stop_cancelled", "stop_ref": mine["stops"][0]["ref"], **at}
    assert event(api, first, cancel, Role.DRIVER).status_code == 403
    rescue = {"type": "vehicle_broke_down", "vehicle_ref": "V1", "rescue_vehicle_ref": "V2", **at}
    refused = event(api, first, rescue, Role.DRIVER)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "rescue_vehicle_ref"
    assert len(get(api, f"/v1/dispatch/{first}")["steps"]) == 2


def test_a_small_delay_is_kept_without_a_re_plan(api: Api) -> None:
    first = plan_day(api, extra_vehicle=True)["ref"]
    small = event(api, first, {"type": "vehicle_delayed", "vehicle_ref": "V1", "delay_s": 120,
                               "at": "2026-11-24T09:30:00+01:00"})  # fmt: skip
    assert small.status_code == 200, small.text
    assert small.json()["replans"] == [] and small.json()["current_plan_ref"] == first
    assert get(api, f"/v1/plans/{first}")["status"] != "superseded"


def test_bad_events_are_refused_naming_what_is_wrong_and_nothing_is_kept(api: Api) -> None:
    first = plan_day(api, extra_vehicle=True)["ref"]
    at = "2026-11-24T09:30:00+01:00"
    cases: list[tuple[dict[str, Any], int, str | None]] = [
        ({"type": "vehicle_delayed", "vehicle_ref": "V7", "delay_s": 600, "at": at}, 422,
         "vehicle_ref"),
        ({"type": "vehicle_delayed", "vehicle_ref": "V1", "delay_s": -5, "at": at}, 422, None),
        ({"type": "vehicle_delayed", "vehicle_ref": "V1", "delay_s": 60,
          "at": "2026-11-24T09:30:00"}, 422, None),
        ({"type": "vehicle_delayed", "vehicle_ref": "V1", "delay_s": 60,
          "at": "2026-11-25T12:00:00+01:00"}, 422, "at"),
        ({"type": "teleport", "vehicle_ref": "V1"}, 422, None),
        ({"type": "order_added", "order_ref": "NOPE", "at": at}, 404, None),
        ({"type": "zone_slowed", "zone_ref": "NOPE", "factor": 2, "at": at}, 404, None),
        ({"type": "attempt_failed", "stop_ref": "O1", "reason": "", "at": at}, 422, None),
    ]  # fmt: skip
    for body, status, field in cases:
        refused = event(api, first, body)
        assert refused.status_code == status, (body, refused.text)
        if field is not None:
            assert refused.json()["error"]["field"] == field, refused.text
    assert event(api, "NO-SUCH-PLAN", {"type": "replan"}).status_code == 404
    assert get(api, f"/v1/dispatch/{first}")["steps"] == []
    assert get(api, f"/v1/plans/{first}")["status"] != "superseded"


def test_only_dispatchers_report_events_and_replaced_plans_are_not_edited(api: Api) -> None:
    plan = plan_day(api, extra_vehicle=True)
    first = plan["ref"]
    body = {"type": "replan", "at": "2026-11-24T09:30:00+01:00"}
    assert event(api, first, body, Role.ANALYST).status_code == 403
    assert event(api, first, body, Role.INTEGRATOR).status_code == 403
    replanned = event(api, first, body)
    assert replanned.status_code == 200, replanned.text
    assert replanned.json()["replans"][0]["trigger"] == "manual"

    # The first plan is history: its routes cannot be edited, and events go to the day.
    route = plan["routes"][0]
    admin = api.as_(Role.ADMIN)
    tag = api.client.get(f"/v1/routes/{route['ref']}", headers=admin).headers["etag"]
    stops = [s["ref"] for s in route["stops"]]
    edit = api.client.post(f"/v1/routes/{route['ref']}/reorder", json={"stop_refs": stops},
                           headers={**admin, "If-Match": tag})  # fmt: skip
    assert edit.status_code == 409 and "replaced by a re-plan" in edit.text
    # The plan in force moves its stops through events, not by hand.
    current = get(api, f"/v1/plans/{replanned.json()['current_plan_ref']}")
    live = next(r for r in current["routes"] if r["stops"])
    tag = api.client.get(f"/v1/routes/{live['ref']}", headers=admin).headers["etag"]
    again = api.client.post(
        f"/v1/routes/{live['ref']}/reorder",
        json={"stop_refs": [s["ref"] for s in live["stops"]]},
        headers={**admin, "If-Match": tag},
    )
    assert again.status_code == 409 and "/v1/dispatch/" in again.text

    # An event sent to an older plan of the day names the plan in force.
    older = event(api, first + ".1", body)
    assert older.status_code == 200, older.text  # .1 is the plan in force
    stale = event(api, first + ".1", {**body, "at": "2026-11-24T09:40:00+01:00"})
    assert stale.status_code == 409 and first + ".2" in stale.text


def test_a_step_written_on_a_day_that_moved_on_is_a_conflict(api: Api) -> None:
    from datetime import UTC, datetime

    from lastmile.api.services import ApiSettings, build_services, close_services

    first = plan_day(api, extra_vehicle=True)["ref"]
    assert (
        event(api, first, {"type": "replan", "at": "2026-11-24T09:30:00+01:00"}).status_code == 200
    )
    services = build_services(ApiSettings(api.url))
    try:
        now = datetime.now(UTC)
        head = {
            "plan_ref": first,
            "hub_ref": "H1",
            "service_date": "2026-11-24",
            "current_plan_ref": first,
            "steps": 1,
            "created_at": now,
            "updated_at": now,
        }
        step = {
            "plan_ref": first,
            "seq": 1,
            "at": now,
            "command": "Replan",
            "payload": {},
            "plan_refs": [],
            "facts": {},
            "replans": [],
            "actor": "test",
            "created_at": now,
        }
        with services.api_store.begin() as conn, pytest.raises(Conflict, match="meanwhile"):
            services.api_store.add_dispatch_step(head, step, conn)
    finally:
        close_services(services)
    assert len(get(api, f"/v1/dispatch/{first}")["steps"]) == 1


def test_the_rules_the_api_runs_with_decide_when_the_day_re_plans(api: Api) -> None:
    from fastapi.testclient import TestClient

    from lastmile.api.app import create_app
    from lastmile.api.services import ApiSettings
    from lastmile.dispatch.rules import parse_rules

    first = plan_day(api, extra_vehicle=True)["ref"]
    only = {"rules": [{"name": "breakdowns", "event": "vehicle_broke_down", "then": "replan"}]}
    settings = ApiSettings(api.url, rate_per_s=1000, burst=1000, dispatch_rules=parse_rules(only))
    body = {"type": "vehicle_delayed", "vehicle_ref": "V1", "delay_s": 2400,
            "at": "2026-11-24T08:30:00+01:00"}  # fmt: skip
    with TestClient(create_app(settings)) as client:
        sent = client.post(
            f"/v1/dispatch/{first}/events{QUICK}", json=body, headers=api.as_(Role.DISPATCHER)
        )
    assert sent.status_code == 200, sent.text
    assert sent.json()["replans"] == [] and sent.json()["current_plan_ref"] == first


def test_serve_refuses_a_rules_file_naming_it_and_the_rule(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lastmile.cli import build_app

    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - name: late\n    event: vehicle_late\n    then: replan\n")
    result = CliRunner().invoke(build_app(), ["serve", "--dispatch-rules", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.output and "vehicle_late" in result.output


def test_the_day_a_process_keeps_is_the_day_a_rebuild_reads_back(api: Api) -> None:
    from lastmile.api import dispatch_day
    from lastmile.dispatch import commands as c
    from lastmile.dispatch.rules import default_rules
    from tests.unit.dispatch.test_replay import snapshot

    first = plan_day(api, extra_vehicle=True)["ref"]
    for body in (
        {"type": "vehicle_delayed", "vehicle_ref": "V1", "delay_s": 2400},
        {"type": "vehicle_broke_down", "vehicle_ref": "V2"},
        {"type": "replan"},
    ):
        at = {"at": "2026-11-24T09:10:00+01:00"}
        assert event(api, first, {**body, **at}).status_code == 200
    services = api.client.app.state.services  # type: ignore[attr-defined]
    kept = services.dispatch_days[first]
    assert kept.steps == 3

    def build(uow: Any) -> Any:
        return c.Replan(reason="read back")

    services.dispatch_days.clear()
    rebuilt = dispatch_day.read(services, first, build, default_rules())
    assert rebuilt.steps == 3 and rebuilt.fleet == kept.fleet
    assert snapshot(rebuilt.ctx.state) == snapshot(kept.ctx.state)
    assert rebuilt.taken  # out of the process until given back
    dispatch_day.release(services, first)


def deliver(url: str, order_ref: str, at: datetime, failed: bool = False) -> None:
    """The order's journey up to delivered (or a failed attempt: nobody home) at ``at``, as
    the driver's scans record it."""
    from lastmile.bootstrap import uow_factory
    from lastmile.domain import FailureReason, LifecycleState, Outcome

    factory = uow_factory(url)
    try:
        with factory() as uow:
            order = uow.orders.get(order_ref)
            assert order is not None
            for state, minutes in ((LifecycleState.DISPATCHED, 90), (LifecycleState.LOADED, 80),
                                   (LifecycleState.OUT_FOR_DELIVERY, 70)):  # fmt: skip
                order.advance(state, at=at - timedelta(minutes=minutes), actor="driver:D1")
            if failed:
                order.complete(Outcome.FAILED, reason=FailureReason.NOT_HOME, at=at,
                               actor="driver:D1")  # fmt: skip
            else:
                order.complete(Outcome.DELIVERED, at=at, actor="driver:D1")
            uow.orders.add(order)
            uow.publish(order.pull_events())
            uow.commit()
    finally:
        factory.dispose()


def test_a_van_late_on_its_scans_is_re_planned_from_where_it_was_scanned(api: Api) -> None:
    plan = plan_day(api, extra_vehicle=True)
    first = plan["ref"]
    route = next(r for r in plan["routes"] if len(r["stops"]) >= 2)
    stop, after = route["stops"][0], route["stops"][1:]
    # Tracking saw the first stop delivered 40 minutes after the plan's time for it. (The
    # journey is written as the scans would write it; scans through the API are dated
    # now, and this day is in the past.)
    planned = datetime.fromisoformat(stop["departure"])
    seen = planned + timedelta(minutes=40)
    deliver(api.url, stop["ref"], seen)
    assert get(api, f"/v1/orders/{stop['ref']}")["state"] == "completed"

    # The next event finds the van where its scan put it: the day records what tracking
    # saw as a step of its own, re-plans (40 min off the plan), then runs the event.
    at = (seen + timedelta(minutes=1)).isoformat()
    sent = event(api, first, {"type": "vehicle_delayed", "vehicle_ref": "V2", "delay_s": 60,
                              "at": at})  # fmt: skip
    assert sent.status_code == 200, sent.text
    [observed] = sent.json()["tracked_steps"]
    assert observed["command"] == "ObserveProgress" and observed["actor"] == "tracking"
    assert observed["replans"][0]["trigger"] == "ProgressObserved"
    assert sent.json()["seq"] == observed["seq"] + 1
    now = get(api, f"/v1/plans/{sent.json()['current_plan_ref']}")
    van = next(r for r in now["routes"] if r["vehicle_ref"] == route["vehicle_ref"])
    assert van["stops"][0]["ref"] == stop["ref"]
    assert datetime.fromisoformat(van["stops"][0]["departure"]) == seen
    # Its other stops come after the scan, not at the plan's earlier times.
    later = [s for s in van["stops"] if s["ref"] in {x["ref"] for x in after}]
    assert later and all(datetime.fromisoformat(s["arrival"]) > seen for s in later)

    # Seen once, the scan is not recorded again.
    again = event(api, first, {"type": "replan", "at": at})
    assert again.status_code == 200 and "tracked_steps" not in again.json()


def test_a_failed_attempt_tracking_saw_is_tried_again_later_today(api: Api) -> None:
    plan = plan_day(api, extra_vehicle=True)
    first = plan["ref"]
    route = next(r for r in plan["routes"] if len(r["stops"]) >= 2)
    stop = route["stops"][0]
    seen = datetime.fromisoformat(stop["departure"])  # on time, but nobody was home
    deliver(api.url, stop["ref"], seen, failed=True)

    at = (seen + timedelta(minutes=2)).isoformat()
    sent = event(api, first, {"type": "replan", "at": at})
    assert sent.status_code == 200, sent.text
    observed, attempt = sent.json()["tracked_steps"]
    assert observed["command"] == "ObserveProgress" and observed["replans"] == []
    assert attempt["command"] == "RecordFailedAttempt" and attempt["actor"] == "tracking"
    assert "not_home" in attempt["payload"]["reason"]
    now = get(api, f"/v1/plans/{sent.json()['current_plan_ref']}")
    van = next(r for r in now["routes"] if r["vehicle_ref"] == route["vehicle_ref"])
    refs = [s["ref"] for s in van["stops"]]
    # Tried again on the same van (the parcel is on board), after the other stops' turn.
    assert refs.count(stop["ref"]) == 1 and refs.index(stop["ref"]) > 0
    retry = next(s for s in van["stops"] if s["ref"] == stop["ref"])
    assert datetime.fromisoformat(retry["arrival"]) >= seen + timedelta(minutes=30)

    # The attempt is recorded once, however many events come after it.
    again = event(api, first, {"type": "replan", "at": at})
    assert again.status_code == 200 and "tracked_steps" not in again.json()


def test_the_rules_file_sets_what_a_re_plan_weighs(api: Api) -> None:
    """A rules file's policy section reaches the re-plans: when leaving a stop for tomorrow
    costs a cent, the re-plan leaves for tomorrow the stops that cost more to serve; with
    the default policy the same re-plan serves them all."""
    from fastapi.testclient import TestClient

    from lastmile.api.app import create_app
    from lastmile.api.services import ApiSettings
    from lastmile.dispatch.rules import default_rules, parse_rules

    first = plan_day(api, extra_vehicle=True)["ref"]
    rules = parse_rules({"rules": [], "policy": {"defer_value_cents": 1}})
    rules = type(rules)(default_rules().rules, rules.policy)
    settings = ApiSettings(api.url, rate_per_s=1000, burst=1000, dispatch_rules=rules)
    body = {"type": "replan", "at": "2026-11-24T07:00:00+01:00"}
    with TestClient(create_app(settings)) as client:
        sent = client.post(
            f"/v1/dispatch/{first}/events{QUICK}", json=body, headers=api.as_(Role.DISPATCHER)
        )
    assert sent.status_code == 200, sent.text
    [replan] = sent.json()["replans"]
    deferred = [c for c in replan["changes"] if "costs more than it is worth" in c[2]]
    assert deferred and replan["unassigned"] == [c[1] for c in deferred]

    default = event(api, first, body)
    assert default.status_code == 200, default.text
    assert default.json()["replans"][0]["unassigned"] == []


def dispatched_day(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """A planned day (two vans), dispatched by a re-plan at 08:00: the first plan and the
    plan in force."""
    plan = plan_day(api, extra_vehicle=True)
    started = event(api, plan["ref"], {"type": "replan", "at": "2026-11-24T08:00:00+01:00"})
    assert started.status_code == 200, started.text
    return plan, get(api, f"/v1/plans/{started.json()['current_plan_ref']}")


def test_a_dispatched_route_keeps_its_status_and_hand_assigned_driver_through_re_plans(
    api: Api,
) -> None:
    plan, now = dispatched_day(api)
    in_force = now["ref"]
    route = next(r for r in now["routes"] if r["stops"])
    admin = api.as_(Role.ADMIN)
    tag = api.client.get(f"/v1/routes/{route['ref']}", headers=admin).headers["etag"]
    assigned = api.client.post(f"/v1/routes/{route['ref']}/assign", json={"driver_ref": "D1"},
                               headers={**admin, "If-Match": tag})  # fmt: skip
    assert assigned.status_code == 200, assigned.text
    sent = api.client.post(f"/v1/routes/{route['ref']}/dispatch",
                           headers={**admin, "If-Match": assigned.headers["etag"]})  # fmt: skip
    assert sent.status_code == 200, sent.text

    later = event(api, plan["ref"], {"type": "replan", "at": "2026-11-24T08:10:00+01:00"})
    assert later.status_code == 200, later.text
    replaced = get(api, f"/v1/plans/{in_force}")
    assert replaced["status"] == "superseded"
    # The replaced plan is marked, not rewritten: its routes are as they were.
    assert [r["status"] for r in replaced["routes"] if r["ref"] == route["ref"]] == ["dispatched"]
    now = get(api, f"/v1/plans/{later.json()['current_plan_ref']}")
    van = next(r for r in now["routes"] if r["vehicle_ref"] == route["vehicle_ref"])
    assert van["status"] == "dispatched" and van["driver_ref"] == "D1"
    others = [r for r in now["routes"] if r["vehicle_ref"] != route["vehicle_ref"]]
    assert all(r["status"] == "planned" for r in others)
