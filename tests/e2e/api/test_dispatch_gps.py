"""A van its GPS shows late between stops is re-planned before its next scan: the pings
its phone sent (the tracking API's store) are read at each look at the day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from lastmile.api.auth import Role
from lastmile.bootstrap import uow_factory
from lastmile.dispatch.fixes import Fix, headings, track_starts
from lastmile.dispatch.tracking import ingest_pings
from lastmile.domain import Coordinate
from lastmile.store.tracking_repositories import SqlPingStore
from lastmile.tracking.model import Ping
from tests.e2e.api.conftest import HUB, Api, order
from tests.e2e.api.test_dispatch_api import dispatched_day, get
from tests.e2e.api.test_dispatch_processes import rebuilt, snapshot

pytestmark = pytest.mark.storage


Where = Callable[[datetime], tuple[float, float]]


def at_hub(_: datetime) -> tuple[float, float]:
    return HUB["lat"], HUB["lon"]  # type: ignore[return-value]


def pings(
    url: str, vehicle_ref: str, start: datetime, end: datetime, first_seq: int,
    where: Where = at_hub,
) -> int:  # fmt: skip
    """The van's phone every 30 s from ``start`` to ``end``, ``where`` it is then (at the
    hub by default), as the tracking API stores them (its clock at each ping's time);
    returns the next sequence number."""
    factory = uow_factory(url)
    seq = first_seq
    try:
        store = SqlPingStore(factory.engine)
        at = start
        while at <= end:
            lat, lon = where(at)
            ping = Ping(f"phone-{vehicle_ref}", seq, at, lat, lon, vehicle_ref=vehicle_ref)
            report = ingest_pings(store, [ping], now=at)
            assert report.accepted == 1, report.rejected
            at += timedelta(seconds=30)
            seq += 1
    finally:
        factory.dispose()
    return seq


def observe(api: Api, plan_ref: str, at: datetime) -> dict[str, Any]:
    looked = api.client.post(
        f"/v1/dispatch/{plan_ref}/observe?budget_s=0.5", json={"at": at.isoformat()},
        headers=api.as_(Role.DISPATCHER),
    )  # fmt: skip
    assert looked.status_code == 200, looked.text
    view: dict[str, Any] = looked.json()
    return view


def test_vans_their_gps_shows_still_at_the_hub_are_re_planned_late_for_their_first_stops(
    api: Api,
) -> None:
    plan, now = dispatched_day(api)
    routes = [r for r in now["routes"] if r["stops"]]
    assert len(routes) == 2  # both vans are out: three parcels each, five orders
    firsts = {r["vehicle_ref"]: r["stops"][0] for r in routes}
    look = max(datetime.fromisoformat(s["arrival"]) for s in firsts.values())
    look += timedelta(minutes=30)
    seqs = {
        van: pings(api.url, van, datetime.fromisoformat("2026-11-24T07:30:00+01:00"), look, 0)
        for van in firsts
    }

    looked = observe(api, plan["ref"], look)
    [step] = looked["tracked_steps"]  # one step, one re-plan, for both vans
    assert step["command"] == "ObserveProgress" and step["actor"] == "tracking"
    heading = {ref: datetime.fromisoformat(t) for ref, t in step["payload"]["heading"]}
    assert set(heading) == {s["ref"] for s in firsts.values()}
    assert all(t > look for t in heading.values())  # still to drive there
    [replan] = step["replans"]
    assert replan["trigger"] == "ProgressObserved"
    after = get(api, f"/v1/plans/{looked['current_plan_ref']}")
    for van, first in firsts.items():
        moved = next(r for r in after["routes"] if r["vehicle_ref"] == van)
        assert moved["stops"][0]["ref"] == first["ref"]
        assert datetime.fromisoformat(moved["stops"][0]["arrival"]) == heading[first["ref"]]

    # A minute on, still at the hub: a minute more late, which the rules let pass, so
    # nothing is stored; the kept day is the one the stored steps make.
    for van, seq in seqs.items():
        pings(api.url, van, look + timedelta(seconds=30), look + timedelta(minutes=1), seq)
    assert observe(api, plan["ref"], look + timedelta(minutes=1))["tracked_steps"] == []
    kept = api.client.app.state.services.dispatch_days[plan["ref"]]  # type: ignore[attr-defined]
    assert snapshot(kept.ctx) == rebuilt(api, plan["ref"])


def test_no_pings_or_a_van_on_its_plan_store_nothing(api: Api) -> None:
    plan, now = dispatched_day(api)
    route = next(r for r in now["routes"] if r["stops"])
    first = route["stops"][0]
    leave, due = datetime.fromisoformat(route["start"]), datetime.fromisoformat(first["arrival"])
    assert observe(api, plan["ref"], due + timedelta(minutes=30))["tracked_steps"] == []

    # Out on time: at the hub until the plan has the van leave, on the straight road to its
    # first stop, then there (no scan yet).
    n = int(first["order_refs"][0][1:])
    stop = order(first["order_refs"][0], n)
    there = (float(stop["lat"]), float(stop["lon"]))  # type: ignore[arg-type]

    def on_plan(t: datetime) -> tuple[float, float]:
        f = min(1.0, max(0.0, (t - leave) / (due - leave))) if due > leave else 1.0
        hub = at_hub(t)
        return hub[0] + f * (there[0] - hub[0]), hub[1] + f * (there[1] - hub[1])

    van = route["vehicle_ref"]
    look = due + timedelta(minutes=2)
    pings(api.url, van, leave - timedelta(minutes=20), look, 0, on_plan)
    assert observe(api, plan["ref"], look)["tracked_steps"] == []
    # Not merely too little to store: the track has the van at its stop, on time.
    svc = api.client.app.state.services  # type: ignore[attr-defined]
    state = svc.dispatch_days[plan["ref"]].ctx.state
    at_s = int((look - state.problem.origin).total_seconds())
    starts = {v: state.problem.at(s) for v, s in track_starts(state, at_s).items()}
    [fixes] = svc.api_store.tracks(starts, look).values()
    track = [Fix(int((t - state.problem.origin).total_seconds()), Coordinate(a, b))
             for t, a, b in fixes]  # fmt: skip
    assert len(track) >= 5 and headings(state, {van: track}, at_s) == []
    stuck = [Fix(f.at_s, Coordinate(*at_hub(look))) for f in track]
    assert headings(state, {van: stuck}, at_s)  # the same clock at the hub would be late
