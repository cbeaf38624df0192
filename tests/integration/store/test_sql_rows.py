"""What lands in the tables: exact round trips, untouched rows, timeline and outbox rows."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from hypothesis import HealthCheck, given, settings

from lastmile.domain import Conflict, InvalidInput, Item, LifecycleState, Order, Outcome
from lastmile.store import tables as t
from tests.integration.store.conftest import SqlProbe
from tests.unit.store import examples as ex
from tests.unit.store.strategies import orders

pytestmark = pytest.mark.storage

ALL = [t.hubs, t.zones, t.vehicles, t.drivers, t.shifts, t.orders, t.plans, t.routes, t.visits]


def test_random_valid_orders_come_back_exactly(store: SqlProbe) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(orders)
    def round_trip(order: Order) -> None:
        with store.uow() as uow:
            uow.orders.add(order)
            uow.commit()
        with store.uow() as uow:
            assert ex.fields_of(uow.orders.get(order.ref)) == ex.fields_of(order)

    round_trip()


def test_re_adding_everything_leaves_every_row_untouched(store: SqlProbe) -> None:
    def save_all() -> None:
        with store.uow() as uow:
            for repo, entity in [
                (uow.hubs, ex.hub()), (uow.zones, ex.zone()), (uow.vehicles, ex.vehicle()),
                (uow.drivers, ex.driver()), (uow.shifts, ex.shift()),
                (uow.orders, ex.order()), (uow.plans, ex.plan()),
            ]:  # fmt: skip
                repo.add(entity)  # type: ignore[attr-defined]
            uow.commit()

    save_all()
    before = {table.name: store.rows(table) for table in ALL}
    save_all()
    assert {table.name: store.rows(table) for table in ALL} == before
    assert len(before["visits"]) == 4 and len(before["routes"]) == 3


def test_timeline_rows_carry_who_where_when_and_why(store: SqlProbe) -> None:
    order = ex.order(state=LifecycleState.OUT_FOR_DELIVERY, outcome=None, failure_reason=None)
    at = ex.DAY + timedelta(hours=3)
    order.complete(Outcome.DELIVERED, at=at, actor="driver:DRV-1", lat=52.53, lon=13.40)
    with store.uow() as uow:
        uow.orders.add(order)
        uow.commit()
    [row] = store.rows(t.order_events)
    assert row["actor"] == "driver:DRV-1" and (row["lat"], row["lon"]) == (52.53, 13.40)
    assert row["occurred_at"] == at and row["occurred_at"].tzinfo is UTC  # type: ignore[union-attr]
    assert (row["from_state"], row["to_state"], row["outcome"]) == (
        "out_for_delivery",
        "completed",
        "delivered",
    )
    [message] = store.rows(t.outbox)
    assert message["event_id"] == row["event_id"] and message["attempts"] == 0
    assert message["delivered_at"] is None and message["last_error"] is None
    assert message["payload"]["occurred_at"] == at.astimezone(UTC).isoformat()  # type: ignore[index]


def test_a_route_ref_already_used_by_another_plan_is_a_conflict(store: SqlProbe) -> None:
    with store.uow() as uow:
        uow.plans.add(ex.plan("PLAN-1"))
        uow.commit()
    other = ex.plan("PLAN-2")
    other.routes = [ex.route("PLAN-1-R1")]
    with store.uow() as uow:
        uow.plans.add(other)
        with pytest.raises(Conflict, match="PLAN-1-R1"):
            uow.commit()
    assert [r["ref"] for r in store.rows(t.plans)] == ["PLAN-1"]


@pytest.mark.parametrize(
    ("changes", "column"),
    [
        ({"priority": 2**40}, "priority"),
        ({"instructions": "ring\x00twice"}, "instructions"),
        ({"zone_ref": "Z" * 129}, "zone_ref"),
        ({"items": (Item("SKU\x00", count=1),)}, "items"),
    ],
)
def test_values_a_column_cannot_hold_are_refused_naming_row_and_column(
    store: SqlProbe, changes: dict[str, object], column: str
) -> None:
    with store.uow() as uow:
        uow.orders.add(ex.order("ORD-BAD", **changes))
        with pytest.raises(InvalidInput) as err:
            uow.commit()
    assert err.value.field == column and err.value.location == "orders 'ORD-BAD'"
    assert store.rows(t.orders) == []


def test_an_oversized_route_figure_is_refused_before_anything_is_written(store: SqlProbe) -> None:
    plan = ex.plan()
    plan.routes[0].distance_m = 2**70
    with store.uow() as uow:
        uow.plans.add(plan)
        with pytest.raises(InvalidInput, match="distance_m"):
            uow.commit()
    assert store.rows(t.plans) == []


def test_a_visit_keeps_its_trip_so_a_re_plan_knows_what_each_trip_carries(
    store: SqlProbe,
) -> None:
    from dataclasses import replace

    plan = ex.plan("PLAN-T")
    route = plan.routes[0]
    route.visits = [replace(v, trip=n) for n, v in enumerate(route.visits)]
    with store.uow() as uow:
        uow.plans.add(plan)
        uow.commit()
    with store.uow() as uow:
        back = uow.plans.get("PLAN-T")
    assert back is not None
    assert [v.trip for v in back.routes[0].visits] == list(range(len(route.visits)))
