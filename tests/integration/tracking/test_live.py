from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from lastmile.dispatch.tracking import ingest_pings
from lastmile.dispatch.tracking_live import LiveMonitor
from lastmile.domain.enums import LifecycleState
from lastmile.geo.haversine import HaversineProvider
from lastmile.tracking.dwell import DwellRules
from lastmile.tracking.events import StopArrived, StopDeparted
from lastmile.tracking.model import Ping

from .world import DAY, HUB, World, build, spot

pytestmark = pytest.mark.storage


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    yield from build(database_url)


def drive(minutes_at: list[tuple[int, float, float]]) -> list[Ping]:
    return [
        Ping("phone-1", i, DAY + timedelta(seconds=s), lat, lon)
        for i, (s, lat, lon) in enumerate(minutes_at)
    ]


def test_a_stay_at_a_stop_becomes_an_arrival_on_the_timeline_and_a_dwell(world: World) -> None:
    monitor = LiveMonitor(
        world.new_uow, world.store, HaversineProvider(), dwell_rules=DwellRules(dwell_s=40)
    )
    monitor.follow("phone-1", "P1", "R1")
    at_stop = spot(0)
    route = [(0, HUB.lat, HUB.lon), (120, at_stop.lat - 0.004, at_stop.lon)]
    route += [(200 + 20 * k, at_stop.lat, at_stop.lon) for k in range(6)]
    route += [(400, at_stop.lat + 0.004, at_stop.lon)]
    pings = drive(route)
    now = DAY + timedelta(minutes=10)
    report = ingest_pings(world.store, pings, now=now)
    assert report.stored == len(pings)
    events = monitor.observe(pings, now)
    arrived = [e for e in events if isinstance(e, StopArrived)]
    departed = [e for e in events if isinstance(e, StopDeparted)]
    assert [e.stop_ref for e in arrived] == ["O-0"] and arrived[0].arrived_at == DAY + timedelta(
        seconds=200
    )
    assert departed and departed[0].dwell_s == 100
    assert world.store.dwells("O-0")[0].dwell_s == 100
    assert world.store.arrivals("R1") == {("R1", "O-0"): DAY + timedelta(seconds=200)}
    with world.new_uow() as uow:
        order = uow.orders.get("O-0")
        assert order is not None and order.state is LifecycleState.ARRIVED
    assert set(world.store.etas("R1")) == {"O-0", "O-1", "O-2"}


def test_two_stops_in_one_upload_each_get_their_dwell(world: World) -> None:
    rules = DwellRules(dwell_s=40)
    monitor = LiveMonitor(world.new_uow, world.store, HaversineProvider(), dwell_rules=rules)
    monitor.follow("phone-1", "P1", "R1")
    track: list[tuple[int, float, float]] = []
    for n, base in enumerate((0, 600)):
        stop = spot(n)
        track += [(base + 20 * k, stop.lat, stop.lon) for k in range(5)]
        track += [(base + 200, stop.lat + 0.004, stop.lon)]
    pings = drive(track)
    ingest_pings(world.store, pings, now=DAY + timedelta(hours=1))
    monitor.observe(pings, DAY + timedelta(hours=1))
    assert [d.dwell_s for d in world.store.dwells("O-0")] == [80]
    assert [d.dwell_s for d in world.store.dwells("O-1")] == [80]
    assert set(world.store.arrivals("R1")) == {("R1", "O-0"), ("R1", "O-1")}
