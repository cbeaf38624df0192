from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lastmile.dispatch.tracking import capture_pod, carrier_scan, ingest_pings, record_scans
from lastmile.dispatch.tracking_eta import refresh_route_etas
from lastmile.domain.enums import FailureReason, LifecycleState
from lastmile.domain.errors import InvalidInput, NotFound
from lastmile.geo.haversine import HaversineProvider
from lastmile.store import tables as t
from lastmile.tracking.carriers import CarrierMap
from lastmile.tracking.eta.accuracy import from_journey
from lastmile.tracking.events import EtaChanged
from lastmile.tracking.model import Ping, Scan, ScanKind
from lastmile.tracking.pod import verify

from .world import DAY, HUB, World, build, spot

pytestmark = pytest.mark.storage
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0L5 5"/></svg>'


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    yield from build(database_url)


def scan(kind: ScanKind, minutes: int, ref: str = "O-0", **kw: object) -> Scan:
    return Scan(
        f"{ref}-{kind}-{minutes}",
        ref,
        kind,
        DAY + timedelta(minutes=minutes),
        actor="driver:7",
        lat=52.53,
        lon=13.40,
        **kw,
    )  # type: ignore[arg-type]


def timeline(world: World, ref: str) -> list[tuple[str, str, str | None]]:
    c = t.order_events.c
    stmt = sa.select(c.to_state, c.actor, c.reason).where(c.order_ref == ref)
    with world.store._engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt.order_by(c.occurred_at, c.id))]


def test_scans_drive_the_journey_and_write_one_timeline(world: World) -> None:
    scans = [scan(ScanKind.DELIVERED, 30), scan(ScanKind.LOADED, 1), scan(ScanKind.ARRIVED, 25)]
    reports = record_scans(world.new_uow, scans, now=DAY + timedelta(hours=1))
    assert [r.result for r in reports] == ["applied", "applied", "applied"]
    assert reports[-1].state == "completed"
    states = [row[0] for row in timeline(world, "O-0")]
    assert states == ["loaded", "out_for_delivery", "arrived", "completed"]
    assert {row[1] for row in timeline(world, "O-0")} == {"driver:7"}


def test_a_replayed_scan_is_a_duplicate_and_a_late_one_is_kept_but_not_applied(
    world: World,
) -> None:
    first = [scan(ScanKind.LOADED, 1), scan(ScanKind.DEPARTED, 5)]
    record_scans(world.new_uow, first, now=DAY)
    again = record_scans(world.new_uow, [*first, scan(ScanKind.LOADED, 3)], now=DAY)
    assert [r.result for r in again] == ["duplicate", "ignored_late", "duplicate"]
    with world.new_uow() as uow:
        order = uow.orders.get("O-0")
        assert order is not None and order.state is LifecycleState.OUT_FOR_DELIVERY
        assert [r.result for r in uow.scans.for_order("O-0")] == [
            "applied",
            "ignored_late",
            "applied",
        ]


def test_a_scan_for_an_unknown_order_is_journalled_not_lost(world: World) -> None:
    [report] = record_scans(world.new_uow, [scan(ScanKind.LOADED, 1, ref="NOPE")], now=DAY)
    assert report.result == "unknown_order"


def test_a_carrier_status_means_the_same_as_a_driver_scan(world: World) -> None:
    mapping = CarrierMap.shipped()
    made = carrier_scan(mapping, source="karrio", status="delivery_failed", event_id="k1",
                        order_ref="O-1", at=DAY + timedelta(minutes=40))  # fmt: skip
    assert made is not None and made.reason is FailureReason.OTHER
    record_scans(world.new_uow, [made], now=DAY)
    with world.new_uow() as uow:
        order = uow.orders.get("O-1")
        assert order is not None and order.state is LifecycleState.COMPLETED
    with pytest.raises(InvalidInput, match="not mapped"):
        carrier_scan(mapping, source="karrio", status="abducted", event_id="k2",
                     order_ref="O-1", at=DAY)  # fmt: skip


def test_a_pod_is_stored_once_and_retrievable_for_a_dispute(world: World) -> None:
    args = {
        "order_ref": "O-0", "captured_at": DAY, "position": spot(0), "now": DAY,
        "recipient_name": "Grace", "signature": ("image/svg+xml", SVG),
    }  # fmt: skip
    pod = capture_pod(world.new_uow, world.store, **args)  # type: ignore[arg-type]
    capture_pod(world.new_uow, world.store, **args)  # type: ignore[arg-type]
    [stored] = world.store.pods("O-0")
    assert stored.content_hash == pod.content_hash and verify(stored) and not stored.flagged
    assert stored.attachments[0].content == SVG
    with pytest.raises(NotFound):
        capture_pod(world.new_uow, world.store, **{**args, "order_ref": "NOPE"})  # type: ignore[arg-type]


def test_ingest_reports_stored_duplicates_and_rejections(world: World) -> None:
    pings = [Ping("dev", i, DAY + timedelta(seconds=10 * i), 52.52, 13.40) for i in range(5)]
    bad = Ping("dev", 99, DAY, 95.0, 13.40)
    report = ingest_pings(world.store, [*pings, pings[0], bad], now=DAY + timedelta(minutes=5))
    assert (report.received, report.accepted, report.stored, report.duplicates) == (7, 5, 5, 1)
    assert list(report.rejected) == ["dev:99"] and "lat_out_of_range" in report.rejected["dev:99"]
    assert ingest_pings(world.store, pings, now=DAY + timedelta(minutes=5)).stored == 0


def test_etas_refresh_from_the_latest_fix_and_announce_big_moves(world: World) -> None:
    provider = HaversineProvider()
    common = {"plan_ref": "P1", "route_ref": "R1", "provider": provider}
    first, events = refresh_route_etas(world.new_uow, world.store, position=HUB, at=DAY, **common)  # type: ignore[arg-type]
    assert [p.stop_ref for p in first] == ["O-0", "O-1", "O-2"]
    assert first[0].eta < first[1].eta < first[2].eta and not events
    later = DAY + timedelta(minutes=30)  # stuck at the hub for half an hour
    second, events = refresh_route_etas(
        world.new_uow, world.store, position=HUB, at=later, **common
    )  # type: ignore[arg-type]
    assert {e.stop_ref for e in events if isinstance(e, EtaChanged)} == {"O-0", "O-1", "O-2"}
    assert world.store.etas("R1")["O-0"].eta == second[0].eta


def test_done_stops_leave_the_eta_list_and_accuracy_comes_from_the_journey(world: World) -> None:
    provider = HaversineProvider()
    common = {"plan_ref": "P1", "route_ref": "R1", "provider": provider}
    preds, _ = refresh_route_etas(world.new_uow, world.store, position=HUB, at=DAY, **common)  # type: ignore[arg-type]
    record_scans(world.new_uow, [scan(ScanKind.DELIVERED, 20)], now=DAY)
    arrived = preds[0].eta + timedelta(minutes=2)
    world.store.add_arrival("R1", "O-0", arrived, "geofence")
    assert not world.store.add_arrival("R1", "O-0", arrived + timedelta(hours=1), "scan")
    left, _ = refresh_route_etas(
        world.new_uow, world.store, position=spot(0), at=DAY + timedelta(minutes=20), **common
    )  # type: ignore[arg-type]
    assert [p.stop_ref for p in left] == ["O-1", "O-2"]
    accuracy = from_journey(world.store.eta_snapshots("R1"), world.store.arrivals("R1"))
    assert accuracy.predictions == 1 and accuracy.mae_route_s == pytest.approx(120)
    assert accuracy.in_window_share == 1.0
