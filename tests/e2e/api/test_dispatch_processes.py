"""Several API processes over one database dispatch the same day (``uvicorn --workers``,
several replicas): they take turns on it by a lease on the day's row, and each moves the
day it kept through the steps the others stored instead of rebuilding it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lastmile.api import dispatch_day, dispatcher
from lastmile.api.app import create_app
from lastmile.api.auth import Role
from lastmile.api.dispatch_day import Kept
from lastmile.api.services import ApiSettings, Services, build_services, close_services
from lastmile.dispatch.handlers import DispatchContext
from lastmile.dispatch.replay import facts_of
from lastmile.dispatch.rules import default_rules
from lastmile.domain.errors import Conflict
from tests.e2e.api.conftest import Api
from tests.e2e.api.test_dispatch_api import QUICK, deliver, dispatched_day, get

pytestmark = pytest.mark.storage


@contextmanager
def other_process(api: Api) -> Iterator[TestClient]:
    """A second app over the same database: its own kept days, its own lease name."""
    settings = ApiSettings(api.url, rate_per_s=1000, burst=1000)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def services_of(client: TestClient) -> Services:
    svc: Services = client.app.state.services  # type: ignore[attr-defined]
    return svc


def send(api: Api, client: TestClient, plan_ref: str, body: dict[str, Any]) -> dict[str, Any]:
    sent = client.post(
        f"/v1/dispatch/{plan_ref}/events{QUICK}", json=body, headers=api.as_(Role.DISPATCHER)
    )
    assert sent.status_code == 200, sent.text
    view: dict[str, Any] = sent.json()
    return view


def at(clock: str) -> str:
    return f"2026-11-24T{clock}:00+01:00"


def snapshot(ctx: DispatchContext) -> tuple[Any, ...]:
    routes = [(r.vehicle_ref, [v.ref for v in r.visits]) for r in ctx.state.plan.routes]
    return ctx.state.now_s, facts_of(ctx.state), sorted(routes)


def rebuilt(api: Api, plan_ref: str) -> tuple[Any, ...]:
    """The day as a process that never saw it reads it: from the stored steps alone."""
    svc = build_services(ApiSettings(api.url))
    try:
        day = dispatch_day.read(svc, plan_ref, None, default_rules())
        dispatch_day.release(svc, day.base.ref)
        return snapshot(day.ctx)
    finally:
        close_services(svc)


def counting_rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A 1 for each day rebuilt from all its steps from now on (not kept, or not kept as
    stored)."""
    rebuilds: list[int] = []
    rebuild = dispatch_day._rebuild

    def counted(*args: Any) -> DispatchContext:
        rebuilds.append(1)
        return rebuild(*args)

    monkeypatch.setattr(dispatch_day, "_rebuild", counted)
    return rebuilds


def kept_day(client: TestClient, plan_ref: str) -> Kept:
    kept = services_of(client).dispatch_days[plan_ref]
    assert isinstance(kept, Kept)
    return kept


def test_a_process_replays_the_steps_another_stored_instead_of_rebuilding_the_day(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = dispatched_day(api)[0]["ref"]
    with other_process(api) as other:
        delayed = {"type": "vehicle_delayed", "vehicle_ref": "V1", "delay_s": 2400}
        assert send(api, other, ref, {**delayed, "at": at("08:30")})["seq"] == 2
        rebuilds = counting_rebuilds(monkeypatch)
        third = send(api, api.client, ref, {"type": "replan", "at": at("08:40")})
        assert third["seq"] == 3
        assert rebuilds == []  # the first process caught up on step 2 by replaying it
        assert kept_day(api.client, ref).steps == 3
        # ... to the day the stored steps make, the delay of step 2 included.
        assert snapshot(kept_day(api.client, ref).ctx) == rebuilt(api, ref)
        rebuilds.clear()  # that read was a process that never saw the day: it rebuilt
        assert send(api, other, ref, {"type": "replan", "at": at("08:50")})["seq"] == 4
        assert rebuilds == []
        assert snapshot(kept_day(other, ref).ctx) == rebuilt(api, ref)
    assert [s["seq"] for s in get(api, f"/v1/dispatch/{ref}")["steps"]] == [1, 2, 3, 4]


def test_a_request_waits_while_another_process_has_the_day(api: Api) -> None:
    ref = dispatched_day(api)[0]["ref"]
    store = services_of(api.client).api_store
    with other_process(api) as other:
        busy = services_of(other)
        dispatch_day.take(busy, ref)  # as a request of the other process would
        assert store.dispatch_day(ref)["taken_by"] == busy.holder  # type: ignore[index]
        threading.Timer(0.5, dispatch_day.release, (busy, ref)).start()
        began = time.monotonic()
        sent = send(api, api.client, ref, {"type": "replan", "at": at("08:10")})
        assert time.monotonic() - began >= 0.45  # it waited for the other process
        assert sent["seq"] == 2  # and then stored, where racing it was a 409
    row = store.dispatch_day(ref)
    assert row is not None and row["taken_by"] is None and row["taken_until"] is None


def test_a_lease_run_out_or_held_too_long_does_not_stop_the_day(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = dispatched_day(api)[0]["ref"]
    store = services_of(api.client).api_store
    now = datetime.now(UTC)
    # A process that died holding the day: its lease ran out an hour ago.
    assert store.take_dispatch_day(ref, "gone", now - timedelta(hours=2), now - timedelta(hours=1))
    began = time.monotonic()
    assert send(api, api.client, ref, {"type": "replan", "at": at("08:10")})["seq"] == 2
    assert time.monotonic() - began < 5
    # One that holds it far longer than any search: the request goes on after the wait.
    assert store.take_dispatch_day(ref, "stuck", now, now + timedelta(hours=1))
    assert not store.take_dispatch_day(ref, "another", now, now + timedelta(minutes=1))
    monkeypatch.setattr(dispatch_day, "WAIT_S", 0.3)
    began = time.monotonic()
    assert send(api, api.client, ref, {"type": "replan", "at": at("08:20")})["seq"] == 3
    assert time.monotonic() - began >= 0.3
    assert store.dispatch_day(ref)["taken_by"] == "stuck"  # type: ignore[index]


def test_a_tracking_step_that_lost_the_race_leaves_the_kept_day_as_stored(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that went on without the lease and found the day moved on when storing:
    its look is not stored, and the day it keeps is the stored one, so its next request
    replays the other's step onto it."""
    plan, started = dispatched_day(api)
    ref = plan["ref"]
    mine = services_of(api.client)
    day = dispatch_day.read(mine, ref, None, default_rules())
    before = snapshot(day.ctx)
    with other_process(api) as other:
        monkeypatch.setattr(dispatch_day, "WAIT_S", 0.2)
        send(api, other, ref, {"type": "replan", "at": at("08:30")})  # goes on, stores 2
        first = min((r["stops"][0] for r in started["routes"] if r["stops"]),
                    key=lambda s: s["departure"])  # fmt: skip
        deliver(api.url, first["ref"], datetime.fromisoformat(first["departure"]))
        with pytest.raises(Conflict):
            dispatcher._observe(mine, day, day.ctx.seconds(datetime.fromisoformat(at("10:00"))))
        assert snapshot(day.ctx) == before
        dispatch_day.keep(mine, Kept(day.base, day.steps, day.fleet, day.ctx))
        assert send(api, api.client, ref, {"type": "replan", "at": at("10:00")})["seq"] == 4
        assert snapshot(kept_day(api.client, ref).ctx) == rebuilt(api, ref)


def test_a_change_to_what_the_day_is_built_from_rebuilds_it_and_nothing_else_does(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept day is taken only while its hubs, their vans and that date's shifts, and
    every driver and zone are as it was built from."""
    from dataclasses import replace as changed

    from lastmile.bootstrap import uow_factory
    from lastmile.domain import Coordinate, Hub, Shift, Vehicle, VehicleKind, Zone
    from lastmile.domain.values import Load

    ref = dispatched_day(api)[0]["ref"]
    rebuilds = counting_rebuilds(monkeypatch)
    berlin = "+01:00"
    ring = ((13.4, 52.5), (13.5, 52.5), (13.5, 52.6), (13.4, 52.5))
    edits: list[tuple[str, bool, Callable[[Any], object]]] = [
        ("a driver's phone", True, lambda u: u.drivers.add(
            changed(u.drivers.get("D1"), phone="+49 30 2"))),
        ("a new zone", True, lambda u: u.zones.add(Zone("Z9", "north", "H1", (ring,)))),
        ("a shift the next day", False, lambda u: u.shifts.add(Shift(
            "S10", "D1", "H1", datetime.fromisoformat(f"2026-11-25T08:00:00{berlin}"),
            datetime.fromisoformat(f"2026-11-25T16:00:00{berlin}")))),
        ("another hub and its van", False, lambda u: (
            u.hubs.add(Hub("H2", "Ost", Coordinate(52.51, 13.45), "Europe/Berlin")),
            u.vehicles.add(Vehicle("W1", VehicleKind.VAN, "H2", Load(500_000, 2_000_000, 60))))),
        ("a van's capacity", True, lambda u: u.vehicles.add(
            changed(u.vehicles.get("V2"), capacity=Load(400_000, 2_000_000, 3)))),
    ]  # fmt: skip
    # That day's first shift: the day is rebuilt on the shifts, and V2 has none now.
    edits.append(("a shift that day", True, lambda u: u.shifts.add(Shift(
        "S9", "D1", "H1", datetime.fromisoformat(f"2026-11-24T07:00:00{berlin}"),
        datetime.fromisoformat(f"2026-11-24T18:00:00{berlin}"), vehicle_ref="V1"))))  # fmt: skip
    for n, (what, rebuilt, edit) in enumerate(edits):
        factory = uow_factory(api.url)
        try:
            with factory() as uow:
                edit(uow)
                uow.commit()
        finally:
            factory.dispose()
        rebuilds.clear()
        body = {"type": "replan", "at": at(f"08:{10 + 5 * n}")}
        if n < len(edits) - 1:
            send(api, api.client, ref, body)
        else:
            sent = api.client.post(f"/v1/dispatch/{ref}/events{QUICK}", json=body,
                                   headers=api.as_(Role.DISPATCHER))  # fmt: skip
            assert sent.status_code == 409 and "'V2' has no shift" in sent.text
        assert rebuilds == ([1] if rebuilt else []), what
