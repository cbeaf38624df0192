from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lastmile.domain import Address, Coordinate, Order
from lastmile.domain.enums import FailureReason, LifecycleState, Outcome
from lastmile.domain.errors import InvalidInput
from lastmile.tracking.journey import ScanResult, apply_scan
from lastmile.tracking.model import Scan, ScanKind

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def order(state: LifecycleState = LifecycleState.DISPATCHED) -> Order:
    o = Order(ref="o-1", hub_ref="h", address=Address("1 rue", Coordinate(48.85, 2.35)))
    o.state = state
    return o


def scan(kind: ScanKind, minutes: int = 0, **kw: object) -> Scan:
    return Scan(
        event_id=f"s-{kind}-{minutes}",
        order_ref="o-1",
        kind=kind,
        at=T0 + timedelta(minutes=minutes),
        **kw,
    )  # type: ignore[arg-type]


def test_a_delivered_scan_on_a_loaded_parcel_walks_through_out_for_delivery() -> None:
    o = order(LifecycleState.LOADED)
    outcome = apply_scan(o, scan(ScanKind.DELIVERED, lat=48.85, lon=2.35, actor="driver:7"))
    assert outcome.result is ScanResult.APPLIED
    assert [e.to_state for e in outcome.events] == ["out_for_delivery", "completed"]
    assert o.outcome is Outcome.DELIVERED
    last = outcome.events[-1]
    assert (last.actor, last.lat, last.occurred_at) == ("driver:7", 48.85, T0)


def test_the_full_day_of_scans_gives_one_timeline() -> None:
    o = order()
    for i, kind in enumerate([ScanKind.LOADED, ScanKind.DEPARTED, ScanKind.ARRIVED]):
        assert apply_scan(o, scan(kind, i)).result is ScanResult.APPLIED
    apply_scan(o, scan(ScanKind.ATTEMPTED, 5, reason=FailureReason.NOT_HOME))
    assert (o.state, o.outcome, o.failure_reason) == (
        LifecycleState.COMPLETED,
        Outcome.FAILED,
        FailureReason.NOT_HOME,
    )
    # Second attempt later the same day.
    assert apply_scan(o, scan(ScanKind.DELIVERED, 60)).result is ScanResult.APPLIED
    assert o.outcome is Outcome.DELIVERED and o.attempts == 2


def test_a_replayed_loaded_scan_never_undoes_a_delivery() -> None:
    o = order(LifecycleState.LOADED)
    apply_scan(o, scan(ScanKind.DELIVERED, 10))
    outcome = apply_scan(o, scan(ScanKind.LOADED, 20))
    assert outcome.result is ScanResult.IGNORED_BACKWARDS
    assert o.state is LifecycleState.COMPLETED and not outcome.events


def test_a_scan_older_than_the_last_move_is_recorded_as_late_not_applied() -> None:
    o = order(LifecycleState.OUT_FOR_DELIVERY)
    outcome = apply_scan(o, scan(ScanKind.ARRIVED, 0), last_moved_at=T0 + timedelta(minutes=5))
    assert outcome.result is ScanResult.IGNORED_LATE
    assert o.state is LifecycleState.OUT_FOR_DELIVERY


def test_a_scan_with_no_legal_path_is_ignored_with_the_reason() -> None:
    o = order(LifecycleState.CREATED)
    outcome = apply_scan(o, scan(ScanKind.ARRIVED))
    assert outcome.result is ScanResult.IGNORED_ILLEGAL
    assert "created" in outcome.detail


def test_a_returned_scan_after_a_failed_attempt_sends_the_parcel_back() -> None:
    o = order(LifecycleState.OUT_FOR_DELIVERY)
    apply_scan(o, scan(ScanKind.ATTEMPTED, 1, reason=FailureReason.REFUSED))
    apply_scan(o, scan(ScanKind.RETURNED, 2))
    assert o.state is LifecycleState.RETURNED


def test_an_attempted_scan_must_say_why() -> None:
    with pytest.raises(InvalidInput, match="reason"):
        scan(ScanKind.ATTEMPTED)


def test_a_scan_with_half_a_position_is_refused() -> None:
    with pytest.raises(InvalidInput, match="lat"):
        scan(ScanKind.ARRIVED, lat=48.0)


def test_a_carrier_scan_may_move_a_parcel_lastmile_never_planned() -> None:
    o = order(LifecycleState.CREATED)
    outcome = apply_scan(o, scan(ScanKind.DELIVERED, source="karrio"))
    assert outcome.result is ScanResult.APPLIED
    assert o.state is LifecycleState.COMPLETED
