"""Tracking events reach the outbox in the transaction of the change that causes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lastmile.dispatch.tracking import capture_pod
from lastmile.dispatch.tracking_eta import refresh_route_etas
from lastmile.geo.haversine import HaversineProvider
from lastmile.store import tracking_repositories
from lastmile.store.db import make_engine
from lastmile.tracking.events import EtaChanged, ExceptionOpened

from .world import DAY, HUB, World, build

pytestmark = pytest.mark.storage
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0L5 5"/></svg>'


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    yield from build(database_url)


def _outbox(world: World) -> list[str]:
    engine = make_engine(world.url)
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(sa.text("SELECT event_type FROM outbox ORDER BY id"))]
    engine.dispose()
    return rows


def _refresh(world: World, minutes: float) -> list[object]:
    _, events = refresh_route_etas(
        world.new_uow, world.store, plan_ref="P1", route_ref="R1", position=HUB,
        at=DAY + timedelta(minutes=minutes), provider=HaversineProvider(),
    )  # fmt: skip
    return list(events)


def test_announced_etas_are_stored_with_their_events_or_not_at_all(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refresh(world, 0)
    stored = world.store.etas("R1")

    def broken(*_: object) -> None:
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(tracking_repositories, "write_events", broken)
    with pytest.raises(RuntimeError):
        _refresh(world, 30)  # every ETA moves by 30 minutes: eta.changed for each stop
    assert world.store.etas("R1") == stored  # the new ETAs were not kept without their events
    monkeypatch.undo()
    events = _refresh(world, 30)
    assert {type(e) for e in events} == {EtaChanged}
    assert _outbox(world).count("EtaChanged") == 3


def test_a_stop_leaving_its_window_opens_one_late_exception(world: World) -> None:
    first = _refresh(world, 0)
    assert not [e for e in first if isinstance(e, ExceptionOpened)]
    late = [e for e in _refresh(world, 235) if isinstance(e, ExceptionOpened)]
    assert late and {e.kind for e in late} == {"late"}
    again = [e for e in _refresh(world, 236) if isinstance(e, ExceptionOpened)]
    assert again == []  # already late: no second exception
    assert _outbox(world).count("ExceptionOpened") == len(late)


def test_a_far_pod_and_its_exception_are_kept_together(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("outbox unavailable")

    def capture() -> object:
        return capture_pod(
            world.new_uow, world.store, order_ref="O-2", captured_at=DAY, position=HUB,
            now=DAY, signature=("image/svg+xml", SVG),
        )  # fmt: skip

    monkeypatch.setattr(tracking_repositories, "write_events", broken)
    with pytest.raises(RuntimeError):
        capture()
    assert world.store.pods("O-2") == []
    monkeypatch.undo()
    pod = capture()
    assert getattr(pod, "flagged", False)
    assert world.store.pods("O-2") and _outbox(world) == ["ExceptionOpened"]


def test_a_geofenced_arrival_is_stored_with_its_event_or_not_at_all(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lastmile.dispatch.tracking_live import LiveMonitor
    from lastmile.tracking.model import Ping

    from .world import spot

    monitor = LiveMonitor(world.new_uow, world.store, HaversineProvider())
    monitor.follow("phone-1", "P1", "R1")
    stop = spot(0)
    pings = [Ping("phone-1", k, DAY + timedelta(seconds=20 * k), stop.lat, stop.lon)
             for k in range(6)]  # fmt: skip

    def broken(*_: object) -> None:
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(tracking_repositories, "write_events", broken)
    with pytest.raises(RuntimeError):
        monitor.observe(pings, DAY + timedelta(minutes=5))
    assert world.store.arrivals("R1") == {}
    monkeypatch.undo()
    monitor.follow("phone-1", "P1", "R1")  # a restarted monitor sees the stay again
    monitor.observe(pings, DAY + timedelta(minutes=5))
    assert world.store.arrivals("R1") == {("R1", "O-0"): DAY}
    assert "StopArrived" in _outbox(world)
