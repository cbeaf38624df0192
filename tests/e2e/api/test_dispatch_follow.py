"""What tracking saw re-plans a dispatched day without waiting for a dispatcher's event:
on asking (``POST /v1/dispatch/{plan}/observe``, ``lastmile dispatch observe``) and on its
own in ``serve`` (the follower)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lastmile.api.auth import Role
from lastmile.api.dispatch_follow import follow_once, start_following
from lastmile.api.services import Services
from lastmile.bootstrap import uow_factory
from lastmile.cli import build_app
from lastmile.store.tracking_repositories import SqlTrackingStore
from lastmile.tracking.dwell import Dwell
from tests.e2e.api.conftest import Api
from tests.e2e.api.test_dispatch_api import deliver, event, get
from tests.e2e.api.test_plans_and_routes import plan_day

pytestmark = pytest.mark.storage


def late_first_stop(api: Api) -> tuple[dict[str, Any], dict[str, Any], datetime]:
    """A planned day, dispatched (a re-plan request at 08:00), whose van then delivers its
    first stop 40 minutes after the plan's time for it."""
    plan = plan_day(api, extra_vehicle=True)
    started = event(api, plan["ref"], {"type": "replan", "at": "2026-11-24T08:00:00+01:00"})
    assert started.status_code == 200, started.text
    now = get(api, f"/v1/plans/{started.json()['current_plan_ref']}")
    route = next(r for r in now["routes"] if len(r["stops"]) >= 2)
    seen = datetime.fromisoformat(route["stops"][0]["departure"]) + timedelta(minutes=40)
    deliver(api.url, route["stops"][0]["ref"], seen)
    return plan, route, seen


def services(api: Api) -> Services:
    svc: Services = api.client.app.state.services  # type: ignore[attr-defined]
    return svc


def test_asking_records_the_late_scan_and_re_plans_the_van_from_it(api: Api) -> None:
    plan, route, seen = late_first_stop(api)
    at = {"at": (seen + timedelta(minutes=1)).isoformat()}
    looked = api.client.post(
        f"/v1/dispatch/{plan['ref']}/observe?budget_s=0.5", json=at,
        headers=api.as_(Role.DISPATCHER),
    )  # fmt: skip
    assert looked.status_code == 200, looked.text
    [step] = looked.json()["tracked_steps"]
    assert step["command"] == "ObserveProgress" and step["actor"] == "tracking"
    assert step["replans"][0]["trigger"] == "ProgressObserved"
    assert looked.json()["current_plan_ref"] == step["current_plan_ref"] != route["plan_ref"]
    now = get(api, f"/v1/plans/{step['current_plan_ref']}")
    van = next(r for r in now["routes"] if r["vehicle_ref"] == route["vehicle_ref"])
    assert datetime.fromisoformat(van["stops"][0]["departure"]) == seen
    assert all(datetime.fromisoformat(s["arrival"]) > seen for s in van["stops"][1:])

    # Nothing new: nothing stored, and the day's steps are as they were.
    again = api.client.post(
        f"/v1/dispatch/{plan['ref']}/observe", json=at, headers=api.as_(Role.DISPATCHER)
    )
    assert again.status_code == 200 and again.json()["tracked_steps"] == []
    assert len(get(api, f"/v1/dispatch/{plan['ref']}")["steps"]) == 2

    # Only those who may write plans ask; a time outside the day is named.
    viewer = api.client.post(
        f"/v1/dispatch/{plan['ref']}/observe", json=at, headers=api.as_(Role.ANALYST)
    )
    assert viewer.status_code == 403
    outside = api.client.post(
        f"/v1/dispatch/{plan['ref']}/observe", json={"at": "2026-11-25T12:00:00+01:00"},
        headers=api.as_(Role.DISPATCHER),
    )  # fmt: skip
    assert outside.status_code == 422 and "outside the plan's day" in outside.text


def test_the_follower_looks_at_dispatched_days_whose_hours_hold_now(api: Api) -> None:
    plan, _route, seen = late_first_stop(api)
    svc = services(api)
    # The next morning the day is over: it is passed over without a word.
    assert follow_once(svc, seen + timedelta(days=1)) == []
    [look] = follow_once(svc, seen + timedelta(minutes=1))
    assert look["plan_ref"] == plan["ref"]
    assert [s["command"] for s in look["tracked_steps"]] == ["ObserveProgress"]
    assert follow_once(svc, seen + timedelta(minutes=2)) == []
    steps = get(api, f"/v1/dispatch/{plan['ref']}")["steps"]
    assert [(s["command"], s["actor"]) for s in steps][-1] == ("ObserveProgress", "tracking")


def test_serve_follows_the_days_on_its_own(api: Api) -> None:
    plan, _route, seen = late_first_stop(api)
    stop = start_following(services(api), 0.05, clock=lambda: seen + timedelta(minutes=1))
    try:
        deadline = time.monotonic() + 30
        steps: list[dict[str, Any]] = []
        while time.monotonic() < deadline and len(steps) < 2:
            time.sleep(0.1)
            steps = get(api, f"/v1/dispatch/{plan['ref']}")["steps"]
    finally:
        stop()
    assert [s["command"] for s in steps] == ["Replan", "ObserveProgress"]
    assert steps[1]["replans"][0]["trigger"] == "ProgressObserved"


def test_a_restarted_server_rebuilds_the_days_at_once_not_at_the_first_event(api: Api) -> None:
    from lastmile.api.services import ApiSettings, build_services, close_services

    plan, _route, seen = late_first_stop(api)
    restarted = build_services(ApiSettings(api.url))  # a new process: it keeps no day
    stop = start_following(restarted, 3600, clock=lambda: seen + timedelta(minutes=1))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and plan["ref"] not in restarted.dispatch_days:
            time.sleep(0.05)
        # Kept long before the hour between looks is up.
        assert plan["ref"] in restarted.dispatch_days
    finally:
        stop()
        close_services(restarted)


def test_the_cli_records_what_tracking_saw(api: Api) -> None:
    plan, _route, seen = late_first_stop(api)
    at = (seen + timedelta(minutes=1)).isoformat()
    args = ["dispatch", "observe", plan["ref"], "--at", at, "--budget-s", "0.5",
            "--database", api.url]  # fmt: skip
    cli = CliRunner(env={"COLUMNS": "200"})
    first = cli.invoke(build_app(), args)
    assert first.exit_code == 0, first.output
    assert "ObserveProgress" in first.output and f"{plan['ref']}.2" in first.output
    second = cli.invoke(build_app(), args)
    assert second.exit_code == 0 and "nothing new from tracking" in second.output
    naive = cli.invoke(build_app(), [*args[:3], "--at", "2026-11-24T09:00", "--database", api.url])
    assert naive.exit_code == 2 and "offset" in naive.output


def arrive(url: str, order_ref: str, at: datetime, delivered: datetime | None = None) -> None:
    """The order's journey up to "arrived" at ``at``, as a geofenced arrival records it
    (and on to delivered at ``delivered``, as the driver's scan records it)."""
    from lastmile.bootstrap import uow_factory
    from lastmile.domain import LifecycleState, Outcome

    factory = uow_factory(url)
    try:
        with factory() as uow:
            order = uow.orders.get(order_ref)
            assert order is not None
            if delivered is not None:
                order.complete(Outcome.DELIVERED, at=delivered, actor="driver:D1")
            else:
                for state, minutes in ((LifecycleState.DISPATCHED, 90),
                                       (LifecycleState.LOADED, 80),
                                       (LifecycleState.OUT_FOR_DELIVERY, 70),
                                       (LifecycleState.ARRIVED, 0)):  # fmt: skip
                    order.advance(state, at=at - timedelta(minutes=minutes), actor="geofence:V1")
            uow.orders.add(order)
            uow.publish(order.pull_events())
            uow.commit()
    finally:
        factory.dispose()


def test_a_van_its_geofence_saw_arrive_late_is_re_planned_from_that_stop(api: Api) -> None:
    plan = plan_day(api, extra_vehicle=True)
    started = event(api, plan["ref"], {"type": "replan", "at": "2026-11-24T08:00:00+01:00"})
    assert started.status_code == 200, started.text
    now = get(api, f"/v1/plans/{started.json()['current_plan_ref']}")
    route = next(r for r in now["routes"] if len(r["stops"]) >= 2)
    first = route["stops"][0]
    came = datetime.fromisoformat(first["arrival"]) + timedelta(minutes=30)
    arrive(api.url, first["ref"], came)

    [look] = follow_once(services(api), came + timedelta(minutes=1))
    [step] = look["tracked_steps"]
    assert step["payload"]["done"] == [] and step["payload"]["arrived"][0][0] == first["ref"]
    assert step["replans"][0]["trigger"] == "ProgressObserved"
    van = next(
        r for r in get(api, f"/v1/plans/{step['current_plan_ref']}")["routes"]
        if r["vehicle_ref"] == route["vehicle_ref"]
    )  # fmt: skip
    assert van["stops"][0]["ref"] == first["ref"]
    assert datetime.fromisoformat(van["stops"][0]["arrival"]) == came
    assert all(datetime.fromisoformat(s["arrival"]) > came for s in van["stops"][1:])
    # Seen once.
    assert follow_once(services(api), came + timedelta(minutes=2)) == []
    # The geofence sees the van leave before any scan: the stop is done then, and the van
    # heads for its next stop (the follower keeps it for later: the van is on its new
    # plan; asking records it).
    left = came + timedelta(minutes=5)
    factory = uow_factory(api.url)
    try:
        dwell = Dwell(first["ref"], came, left)
        SqlTrackingStore(factory.engine).add_dwells(route["vehicle_ref"], [dwell])
    finally:
        factory.dispose()
    assert follow_once(services(api), came + timedelta(minutes=6)) == []
    at = {"at": (came + timedelta(minutes=6)).isoformat()}
    looked = api.client.post(
        f"/v1/dispatch/{plan['ref']}/observe", json=at, headers=api.as_(Role.DISPATCHER)
    )
    [step] = looked.json()["tracked_steps"]
    [(ref, when)] = step["payload"]["done"]
    assert ref == first["ref"] and datetime.fromisoformat(when) == left
    day = services(api).dispatch_days[plan["ref"]].ctx.state
    van = day.vehicles[route["vehicle_ref"]]
    assert first["ref"] in van.done and van.in_progress != first["ref"]

    # The delivery scan that follows is what the journey says from then on.
    arrive(api.url, first["ref"], came, delivered=came + timedelta(minutes=4))
    at = {"at": (came + timedelta(minutes=7)).isoformat()}
    looked = api.client.post(
        f"/v1/dispatch/{plan['ref']}/observe", json=at, headers=api.as_(Role.DISPATCHER)
    )
    assert looked.json()["tracked_steps"][0]["payload"]["done"][0][0] == first["ref"]


def test_the_follower_stores_scans_only_when_they_change_the_day(api: Api) -> None:
    """A van on its plan: the follower keeps its scans for later (a day of steady scans is
    not a step every 30 s); the next event records them, before itself."""
    plan = plan_day(api, extra_vehicle=True)
    started = event(api, plan["ref"], {"type": "replan", "at": "2026-11-24T08:00:00+01:00"})
    now = get(api, f"/v1/plans/{started.json()['current_plan_ref']}")
    route = next(r for r in now["routes"] if len(r["stops"]) >= 2)
    on_time = datetime.fromisoformat(route["stops"][0]["departure"])
    deliver(api.url, route["stops"][0]["ref"], on_time)

    assert follow_once(services(api), on_time + timedelta(minutes=1)) == []
    assert follow_once(services(api), on_time + timedelta(minutes=2)) == []
    assert len(get(api, f"/v1/dispatch/{plan['ref']}")["steps"]) == 1
    at = (on_time + timedelta(minutes=3)).isoformat()
    sent = event(api, plan["ref"], {"type": "replan", "at": at})
    assert sent.status_code == 200, sent.text
    [observed] = sent.json()["tracked_steps"]
    assert observed["payload"]["done"][0][0] == route["stops"][0]["ref"]


def test_an_idle_day_is_searched_once_more_after_a_re_plan(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lastmile.api import dispatch_follow
    from lastmile.api.services import ApiSettings, build_services, close_services

    monkeypatch.setattr(dispatch_follow, "IMPROVE_S", 0.3)
    plan = plan_day(api, extra_vehicle=True)
    late = {"type": "vehicle_delayed", "vehicle_ref": "V1", "delay_s": 2400,
            "at": "2026-11-24T08:30:00+01:00"}  # fmt: skip
    sent = event(api, plan["ref"], late)
    assert sent.json()["replans"], sent.text
    now = datetime.fromisoformat("2026-11-24T08:31:00+01:00")
    svc = build_services(ApiSettings(api.url, improve_idle_s=0.001))
    try:
        [look] = follow_once(svc, now)
        [step] = look["tracked_steps"]
        assert step["command"] == "ImprovePlan" and step["actor"] == "follower"
        # Once per re-plan: the improvement is the day's last step now.
        assert follow_once(svc, now + timedelta(minutes=1)) == []
        # Off unless asked for: the API's own services never improve.
        assert follow_once(services(api), now + timedelta(minutes=2)) == []
    finally:
        close_services(svc)


def test_an_event_waits_for_the_day_another_request_has_out(api: Api) -> None:
    """One request at a time per day in a process: the second waits for the first (here
    the follower's search) instead of rebuilding the day and losing the race to store."""
    import threading

    from lastmile.api import dispatch_day

    plan = plan_day(api, extra_vehicle=True)
    first = event(api, plan["ref"], {"type": "replan", "at": "2026-11-24T08:00:00+01:00"})
    assert first.status_code == 200
    svc = services(api)
    kept = dispatch_day.take(svc, plan["ref"])
    assert kept is not None
    threading.Timer(0.5, dispatch_day.keep, (svc, kept)).start()
    began = time.monotonic()
    sent = event(api, plan["ref"], {"type": "replan", "at": "2026-11-24T08:10:00+01:00"})
    assert sent.status_code == 200, sent.text
    assert time.monotonic() - began >= 0.45  # it waited for the day to come back
    assert plan["ref"] not in svc.dispatch_out


def test_the_app_runs_the_follower_only_when_asked_and_stops_it(api: Api) -> None:
    import threading

    from lastmile.api.app import create_app
    from lastmile.api.services import ApiSettings

    def following() -> bool:
        return any(t.name == "dispatch-follow" for t in threading.enumerate())

    plan = plan_day(api, extra_vehicle=True)
    event(api, plan["ref"], {"type": "replan", "at": "2026-11-24T08:00:00+01:00"})
    assert not following()  # the fixture's app: off by default
    settings = ApiSettings(api.url, follow_tracking_s=0.05)
    with TestClient(create_app(settings)):
        assert following()
        time.sleep(0.3)  # a few looks: the day is long over, so nothing is stored
    assert not following()
    assert len(get(api, f"/v1/dispatch/{plan['ref']}")["steps"]) == 1


def test_the_follower_passes_over_a_day_another_request_has_without_waiting(api: Api) -> None:
    from lastmile.api import dispatch_day
    from tests.e2e.api.test_dispatch_processes import other_process, services_of

    plan, _, seen = late_first_stop(api)
    svc, ref = services(api), plan["ref"]
    look = seen + timedelta(minutes=1)
    # A request of this process has the day (its search, say): the look passes it over.
    kept = dispatch_day.take(svc, ref)
    began = time.monotonic()
    assert follow_once(svc, look) == []
    assert time.monotonic() - began < dispatch_day.WAIT_S / 10
    assert kept is not None
    dispatch_day.keep(svc, kept)
    # A request of another process has it: the same.
    with other_process(api) as other:
        busy = services_of(other)
        dispatch_day.take(busy, ref)
        began = time.monotonic()
        assert follow_once(svc, look) == []
        assert time.monotonic() - began < dispatch_day.WAIT_S / 10
        dispatch_day.release(busy, ref)
    # Free again: the next look records the late scan and re-plans the van.
    [view] = follow_once(svc, look)
    assert [s["command"] for s in view["tracked_steps"]] == ["ObserveProgress"]
    assert len(get(api, f"/v1/dispatch/{ref}")["steps"]) == 2
