"""Behaviour every unit of work must show, run against the in-memory and the SQL store.

Not collected here (the module name has no ``test_`` prefix): tests/unit/store/test_memory_uow
and tests/integration/store/test_sql_uow import these functions, each with its own ``store``
fixture, so the two backends are held to the very same sentences.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Protocol

import pytest

from lastmile.dispatch.ports import UnitOfWork
from lastmile.domain import (
    Conflict,
    FailureReason,
    InvalidInput,
    LifecycleState,
    Outcome,
    TimeWindow,
)
from lastmile.domain.errors import NotFound
from lastmile.domain.events import OrderStateChanged, PlanCreated
from lastmile.store.messages import OutboxMessage
from tests.unit.store import examples as ex

S = LifecycleState


class StoreProbe(Protocol):
    """A backend under test: makes units of work and shows what was committed."""

    def uow(self) -> UnitOfWork: ...

    def outbox(self) -> list[tuple[str, str, str]]:
        """(event_id, event_type, aggregate_ref) of every outbox message, oldest first."""
        ...

    def timeline(self, order_ref: str) -> list[tuple[str, str | None, str | None, str | None]]:
        """(event_type, from_state, to_state, outcome) of an order's journey, oldest first."""
        ...

    def sender(self) -> OutboxReader: ...


class OutboxReader(Protocol):
    def pending(self, limit: int = 100, max_attempts: int = 10) -> list[OutboxMessage]: ...

    def mark_delivered(self, event_id: str, at: datetime | None = None) -> None: ...

    def mark_failed(self, event_id: str, error: str) -> None: ...


def _entities() -> dict[str, Any]:
    return {
        "hubs": ex.hub(),
        "zones": ex.zone(),
        "vehicles": ex.vehicle(),
        "drivers": ex.driver(),
        "shifts": ex.shift(),
        "orders": ex.order(),
        "plans": ex.plan(),
    }


def test_every_entity_comes_back_field_for_field(store: StoreProbe) -> None:
    entities = _entities()
    with store.uow() as uow:
        for kind, entity in entities.items():
            getattr(uow, kind).add(entity)
        uow.commit()
    with store.uow() as uow:
        for kind, entity in entities.items():
            assert ex.fields_of(getattr(uow, kind).get(entity.ref)) == ex.fields_of(entity), kind


def test_optional_parts_left_empty_come_back_empty(store: StoreProbe) -> None:
    bare = [
        ("vehicles", ex.vehicle("VAN-OPEN", access=None)),
        ("vehicles", ex.vehicle("VAN-NONE", access=frozenset())),
        ("drivers", ex.driver("DRV-NOBREAK", break_rule=None)),
        ("orders", ex.order("ORD-BARE", window=None, ready_at=None, service_s=None, items=())),
    ]
    with store.uow() as uow:
        for kind, entity in bare:
            getattr(uow, kind).add(entity)
        uow.commit()
    with store.uow() as uow:
        for kind, entity in bare:
            assert ex.fields_of(getattr(uow, kind).get(entity.ref)) == ex.fields_of(entity)
        assert uow.vehicles.get("VAN-OPEN").access is None  # type: ignore[union-attr]
        assert uow.vehicles.get("VAN-NONE").access == frozenset()  # type: ignore[union-attr]


def test_datetimes_come_back_as_aware_utc(store: StoreProbe) -> None:
    with store.uow() as uow:
        uow.orders.add(ex.order())
        uow.commit()
    with store.uow() as uow:
        order = uow.orders.get("ORD-1")
        assert order is not None and order.window is not None
        assert order.window.start.utcoffset() == timedelta(0)
        assert order.window.start == ex.order().window.start  # type: ignore[union-attr]


def test_adding_the_same_entity_again_changes_nothing(store: StoreProbe) -> None:
    for _ in range(3):
        with store.uow() as uow:
            for kind, entity in _entities().items():
                getattr(uow, kind).add(entity)
            uow.commit()
    with store.uow() as uow:
        assert [uow.orders.count(), uow.plans.count(), uow.hubs.count()] == [1, 1, 1]
        plan = uow.plans.get("PLAN-1")
        assert plan is not None and {r.version for r in plan.routes} == {1}


def test_adding_a_changed_entity_under_a_known_ref_replaces_it(store: StoreProbe) -> None:
    with store.uow() as uow:
        uow.hubs.add(ex.hub())
        uow.commit()
    renamed = ex.hub()
    renamed.name = "Berlin Nord"
    with store.uow() as uow:
        uow.hubs.add(renamed)
        uow.commit()
    with store.uow() as uow:
        assert [h.name for h in uow.hubs.list()] == ["Berlin Nord"]


def test_changes_to_a_loaded_order_are_saved_on_commit(store: StoreProbe) -> None:
    with store.uow() as uow:
        uow.orders.add(ex.order(state=S.CREATED, outcome=None, failure_reason=None, attempts=0))
        uow.commit()
    with store.uow() as uow:
        order = uow.orders.get("ORD-1")
        assert order is not None and uow.orders.get("ORD-1") is order
        order.advance(S.READY, actor="dispatcher")
        uow.commit()
    with store.uow() as uow:
        assert uow.orders.get("ORD-1").state is S.READY  # type: ignore[union-attr]


def test_leaving_without_commit_keeps_no_rows_and_no_outbox_messages(store: StoreProbe) -> None:
    with store.uow() as uow:
        order = ex.order()
        order.placed()
        uow.orders.add(order)
        uow.hubs.add(ex.hub())
        uow.publish([PlanCreated(plan_ref="PLAN-1", routes=1, unassigned=0)])
    with store.uow() as uow:
        assert uow.orders.count() == 0 and uow.hubs.count() == 0
    assert store.outbox() == []


def test_an_exception_inside_the_block_rolls_everything_back(store: StoreProbe) -> None:
    with pytest.raises(RuntimeError), store.uow() as uow:
        uow.orders.add(ex.order())
        uow.commit()
        uow.orders.add(ex.order("ORD-2"))
        raise RuntimeError("boom")
    with store.uow() as uow:
        assert [o.ref for o in uow.orders.list()] == ["ORD-1"]


def test_explicit_rollback_discards_changes_and_forgets_loaded_objects(store: StoreProbe) -> None:
    with store.uow() as uow:
        uow.orders.add(ex.order(state=S.CREATED, outcome=None, failure_reason=None, attempts=0))
        uow.commit()
        order = uow.orders.get("ORD-1")
        assert order is not None
        order.cancel(reason="customer")
        uow.rollback()
        again = uow.orders.get("ORD-1")
        assert again is not None and again is not order and again.state is S.CREATED


def test_state_changes_reach_timeline_and_outbox_with_the_commit(store: StoreProbe) -> None:
    with store.uow() as uow:
        order = ex.order(state=S.CREATED, outcome=None, failure_reason=None, attempts=0)
        order.placed()
        uow.orders.add(order)
        uow.commit()
    with store.uow() as uow:
        order = uow.orders.get("ORD-1")  # type: ignore[assignment]
        for target in (S.PLANNED, S.DISPATCHED, S.LOADED, S.OUT_FOR_DELIVERY):
            order.advance(target, actor="driver:DRV-1")
        order.complete(Outcome.FAILED, reason=FailureReason.NOT_HOME, lat=52.5, lon=13.4)
        assert store.timeline("ORD-1") == [("OrderPlaced", None, "created", None)]
        uow.commit()
        assert order.events == []
    assert store.timeline("ORD-1")[-2:] == [
        ("OrderStateChanged", "loaded", "out_for_delivery", None),
        ("OrderStateChanged", "out_for_delivery", "completed", "failed"),
    ]
    assert len(store.timeline("ORD-1")) == 6
    assert [(t, a) for _, t, a in store.outbox()] == [("OrderPlaced", "ORD-1")] + [
        ("OrderStateChanged", "ORD-1")
    ] * 5


def test_published_events_go_to_the_outbox_but_not_to_an_order_timeline(
    store: StoreProbe,
) -> None:
    event = PlanCreated(plan_ref="PLAN-1", routes=3, unassigned=1)
    with store.uow() as uow:
        uow.publish([event])
        uow.commit()
    assert store.outbox() == [(event.event_id, "PlanCreated", "PLAN-1")]
    assert store.timeline("PLAN-1") == []


def test_an_event_written_twice_is_stored_once(store: StoreProbe) -> None:
    event = OrderStateChanged(order_ref="ORD-1", from_state="created", to_state="ready")
    for _ in range(2):
        with store.uow() as uow:
            uow.publish([event, event])
            uow.commit()
    assert [e for e, _, _ in store.outbox()] == [event.event_id]
    assert len(store.timeline("ORD-1")) == 1


def test_a_failed_commit_writes_nothing_and_keeps_the_events(store: StoreProbe) -> None:
    with store.uow() as uow:
        uow.orders.add(ex.order(state=S.CREATED, outcome=None, failure_reason=None, attempts=0))
        uow.plans.add(ex.plan())
        uow.commit()
    with store.uow() as stale:
        stale_plan = stale.plans.get("PLAN-1")
        stale.commit()
    with store.uow() as uow:
        uow.plans.get("PLAN-1").routes[0].distance_m += 1  # type: ignore[union-attr]
        uow.commit()
    with store.uow() as uow:
        order = uow.orders.get("ORD-1")
        assert order is not None and stale_plan is not None
        order.cancel(reason="customer")
        uow.plans.add(stale_plan)
        stale_plan.routes[0].distance_m = 7
        with pytest.raises(Conflict, match="PLAN-1-R1"):
            uow.commit()
        assert [e.name for e in order.events] == ["OrderStateChanged"]
    with store.uow() as uow:
        assert uow.orders.get("ORD-1").state is S.CREATED  # type: ignore[union-attr]
    assert store.outbox() == [] and store.timeline("ORD-1") == []


def test_a_changed_route_gets_the_next_version_and_unchanged_ones_keep_theirs(
    store: StoreProbe,
) -> None:
    with store.uow() as uow:
        uow.plans.add(ex.plan())
        uow.commit()
    with store.uow() as uow:
        plan = uow.plans.get("PLAN-1")
        assert plan is not None
        plan.routes[1].visits.append(ex.visit("EXTRA", ex.DAY + timedelta(hours=3), 4))
        uow.commit()
        assert plan.routes[1].version == 2
    with store.uow() as uow:
        stored = uow.plans.get("PLAN-1")
        assert stored is not None
        assert [r.version for r in stored.routes] == [1, 2, 1]
        assert [v.stop_ref for v in stored.routes[1].visits] == ["PLAN-1-R2-S0", "EXTRA"]


def test_a_route_changed_by_someone_else_since_it_was_read_is_a_conflict(
    store: StoreProbe,
) -> None:
    with store.uow() as uow:
        uow.plans.add(ex.plan())
        uow.commit()
    with store.uow() as slow:
        slow_plan = slow.plans.get("PLAN-1")
        assert slow_plan is not None
        slow.commit()  # ends the reading transaction; the snapshot stays
        with store.uow() as fast:
            fast.plans.get("PLAN-1").routes[0].status = "loaded"  # type: ignore[union-attr]
            fast.commit()
        slow_plan.routes[0].status = "cancelled"
        with pytest.raises(Conflict, match="PLAN-1-R1"):
            slow.commit()
    with store.uow() as uow:
        route = uow.plans.get("PLAN-1").routes[0]  # type: ignore[union-attr]
        assert (route.status, route.version) == ("loaded", 2)


def test_routes_dropped_from_a_plan_are_removed(store: StoreProbe) -> None:
    with store.uow() as uow:
        uow.plans.add(ex.plan())
        uow.commit()
    with store.uow() as uow:
        plan = uow.plans.get("PLAN-1")
        assert plan is not None
        del plan.routes[0]
        uow.commit()
    with store.uow() as uow:
        assert [r.ref for r in uow.plans.get("PLAN-1").routes] == [  # type: ignore[union-attr]
            "PLAN-1-R2",
            "PLAN-1-R3",
        ]


def test_plans_are_found_by_day_hub_route_and_driver_without_reading_all(
    store: StoreProbe,
) -> None:
    other = ex.plan("PLAN-2")
    other.service_date, other.hub_refs = "2026-11-25", ("HUB-SPA",)
    for route in other.routes:
        route.driver_ref = "DRV-2"
    with store.uow() as uow:
        uow.plans.add(ex.plan())
        uow.plans.add(other)
        uow.commit()
    with store.uow() as uow:

        def refs(**wanted: str) -> list[str]:
            return [p.ref for p in uow.plans.list_by(**wanted)]

        assert refs() == ["PLAN-1", "PLAN-2"]
        assert refs(service_date="2026-11-24") == ["PLAN-1"]
        assert refs(hub_ref="HUB-SPA") == ["PLAN-1", "PLAN-2"]
        assert refs(hub_ref="HUB-BER") == ["PLAN-1"]
        assert refs(route_ref="PLAN-2-R3") == ["PLAN-2"]
        assert refs(driver_ref="DRV-2", service_date="2026-11-25") == ["PLAN-2"]
        assert refs(driver_ref="DRV-2", hub_ref="HUB-BER") == []
        assert refs(route_ref="NOPE") == [] and refs(service_date="2026-12-01") == []
        found = uow.plans.list_by(route_ref="PLAN-1-R2")[0]
        assert found is uow.plans.get("PLAN-1")  # one object per plan in a unit of work
        assert [len(r.visits) for r in found.routes] == [3, 1, 0]
        with pytest.raises(InvalidInput, match="service date must be YYYY-MM-DD"):
            uow.plans.list_by(service_date="24.11.2026")


def test_plan_listing_sees_a_route_reassigned_earlier_in_the_same_unit_of_work(
    store: StoreProbe,
) -> None:
    with store.uow() as uow:
        uow.plans.add(ex.plan())
        uow.commit()
    with store.uow() as uow:
        uow.plans.get("PLAN-1").routes[0].driver_ref = "DRV-7"  # type: ignore[union-attr]
        assert [p.ref for p in uow.plans.list_by(driver_ref="DRV-7")] == ["PLAN-1"]


def _orders_for_listing() -> list[Any]:
    late = TimeWindow(ex.DAY.replace(hour=23, minute=30), ex.DAY.replace(hour=23, minute=59))
    next_day = TimeWindow(late.start + timedelta(hours=1), late.end + timedelta(hours=1))
    return [
        ex.order("A-1", state=S.READY, outcome=None, failure_reason=None),
        ex.order("A-2", state=S.PLANNED, outcome=None, failure_reason=None, zone_ref="Z-2"),
        ex.order("A-3", state=S.READY, outcome=None, failure_reason=None, window=late),
        ex.order("A-4", state=S.READY, outcome=None, failure_reason=None, window=next_day),
        ex.order("B-1", hub_ref="HUB-SPA", state=S.READY, outcome=None, failure_reason=None),
        ex.order("C-1", window=None, state=S.CREATED, outcome=None, failure_reason=None),
    ]


def test_orders_are_listed_by_hub_state_service_date_and_zone(store: StoreProbe) -> None:
    with store.uow() as uow:
        uow.hubs.add(ex.hub())
        for order in _orders_for_listing():
            uow.orders.add(order)
        uow.commit()
    with store.uow() as uow:

        def refs(**filters: Any) -> list[str]:
            return [o.ref for o in uow.orders.list_by(**filters)]

        assert refs() == ["A-1", "A-2", "A-3", "A-4", "B-1", "C-1"]
        assert refs(hub_ref="HUB-BER") == ["A-1", "A-2", "A-3", "A-4", "C-1"]
        assert refs(states=[S.PLANNED, S.CREATED]) == ["A-2", "C-1"]
        assert refs(states=[]) == []
        assert refs(zone_ref="Z-2") == ["A-2"]
        # 00:30 in Berlin on the 25th is still the 24th in UTC: the hub's calendar decides.
        assert refs(hub_ref="HUB-BER", service_date="2026-11-24") == ["A-1", "A-2", "A-3"]
        assert refs(service_date="2026-11-25") == ["A-4"]
        # HUB-SPA is not stored, so its orders fall back to the UTC date.
        assert refs(hub_ref="HUB-SPA", service_date="2026-11-24", states=[S.READY]) == ["B-1"]


def test_shifts_are_found_by_hub_and_start_without_reading_every_date(store: StoreProbe) -> None:
    from dataclasses import replace

    day = ex.shift().start
    shifts = [
        ex.shift("SH-1"),
        replace(
            ex.shift("SH-2"), start=day + timedelta(days=1), end=day + timedelta(days=1, hours=8)
        ),
        replace(ex.shift("SH-3"), hub_ref="HUB-SPA"),
        replace(ex.shift("SH-4"), start=day - timedelta(minutes=1)),
    ]
    with store.uow() as uow:
        for shift in shifts[:3]:
            uow.shifts.add(shift)
        uow.commit()
    with store.uow() as uow:
        uow.shifts.add(shifts[3])  # seen before the commit, in the same unit of work

        def refs(hubs: list[str], start: datetime, hours: int) -> list[str]:
            end = start + timedelta(hours=hours)
            return [
                s.ref for s in uow.shifts.list_by(hub_refs=hubs, start_from=start, start_to=end)
            ]

        assert refs(["HUB-BER"], day, 24) == ["SH-1"]  # from start (inclusive) to end
        assert refs(["HUB-BER", "HUB-SPA"], day, 48) == ["SH-1", "SH-2", "SH-3"]
        assert refs(["HUB-BER"], day - timedelta(hours=1), 1) == ["SH-4"]
        assert refs(["HUB-BER"], day.astimezone(timezone(timedelta(hours=1))), 1) == ["SH-1"]
        assert refs([], day, 24) == []


def test_cursor_pages_cover_every_order_once_in_ref_order(store: StoreProbe) -> None:
    refs = ["b", "B", "a-10", "a-2", "_z", "Ä", "a", "0"]
    with store.uow() as uow:
        for ref in refs:
            uow.orders.add(ex.order(ref))
        uow.commit()
    seen: list[str] = []
    cursor: str | None = None
    with store.uow() as uow:
        while page := uow.orders.list_by(limit=3, after_ref=cursor):
            assert len(page) <= 3
            seen += [o.ref for o in page]
            cursor = page[-1].ref
    assert seen == sorted(refs)


def test_reads_see_what_was_added_earlier_in_the_same_unit_of_work(store: StoreProbe) -> None:
    with store.uow() as uow:
        uow.orders.add(ex.order())
        assert [o.ref for o in uow.orders.list_by(hub_ref="HUB-BER")] == ["ORD-1"]
        assert uow.orders.count() == 1


def test_bad_listing_filters_are_refused_by_name(store: StoreProbe) -> None:
    with store.uow() as uow:
        with pytest.raises(InvalidInput) as err:
            uow.orders.list_by(service_date="24.11.2026")
        assert err.value.field == "service_date"
        with pytest.raises(InvalidInput) as err:
            uow.orders.list_by(limit=0)
        assert err.value.field == "limit"


def test_many_orders_are_read_in_one_go_and_unknown_refs_are_left_out(store: StoreProbe) -> None:
    with store.uow() as uow:
        uow.hubs.add(ex.hub())
        for order in _orders_for_listing():
            uow.orders.add(order)
        uow.commit()
    with store.uow() as uow:
        loaded = uow.orders.get("A-2")
        found = uow.orders.get_many(["B-1", "nope", "A-2", "B-1", "A-1"])
        assert list(found) == ["B-1", "A-2", "A-1"]
        assert found["A-2"] is loaded and found["B-1"] is uow.orders.get("B-1")
        assert found["A-1"].zone_ref == uow.orders.get("A-1").zone_ref  # type: ignore[union-attr]
        assert uow.orders.get_many([]) == {}


def test_an_unknown_ref_is_none(store: StoreProbe) -> None:
    with store.uow() as uow:
        assert uow.orders.get("nope") is None and uow.plans.get("nope") is None


def test_a_sender_sees_undelivered_messages_oldest_first_until_settled(store: StoreProbe) -> None:
    events = [PlanCreated(plan_ref=f"PLAN-{i}", routes=i, unassigned=0) for i in range(3)]
    with store.uow() as uow:
        uow.publish(events)
        uow.commit()
    sender = store.sender()
    first, second, third = sender.pending()
    assert [m.event_id for m in (first, second, third)] == [e.event_id for e in events]
    assert first.payload["routes"] == 0 and first.created_at.tzinfo is not None
    sender.mark_delivered(first.event_id, at=datetime(2026, 11, 24, 9, tzinfo=UTC))
    sender.mark_failed(second.event_id, "HTTP 503 from webhook")
    assert [m.event_id for m in sender.pending(limit=1)] == [second.event_id]
    retry = sender.pending()[0]
    assert (retry.attempts, retry.last_error) == (1, "HTTP 503 from webhook")
    assert [m.event_id for m in sender.pending(max_attempts=1)] == [third.event_id]


def test_settling_an_unknown_message_is_not_found(store: StoreProbe) -> None:
    with pytest.raises(NotFound, match="nope"):
        store.sender().mark_delivered("nope")
    with pytest.raises(InvalidInput):
        store.sender().pending(limit=0)


def test_a_failed_commit_leaves_versions_and_loaded_objects_as_they_were(
    store: StoreProbe,
) -> None:
    with store.uow() as uow:
        uow.plans.add(ex.plan("PLAN-A"))
        uow.plans.add(ex.plan("PLAN-B"))
        uow.commit()
    with store.uow() as stale:
        stale_b = stale.plans.get("PLAN-B")
        stale.commit()
    with store.uow() as uow:
        uow.plans.get("PLAN-B").routes[0].co2_g += 1  # type: ignore[union-attr]
        uow.commit()
    with store.uow() as uow:
        plan_a = uow.plans.get("PLAN-A")
        assert plan_a is not None and stale_b is not None
        plan_a.routes[0].co2_g += 5
        uow.plans.add(stale_b)
        stale_b.routes[0].co2_g += 7
        with pytest.raises(Conflict):
            uow.commit()
        assert plan_a.routes[0].version == 1  # the bump never happened
        fresh = uow.plans.get("PLAN-A")
        assert fresh is not plan_a and fresh.routes[0].co2_g == 527  # type: ignore[union-attr]
