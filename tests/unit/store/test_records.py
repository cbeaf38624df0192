"""Records are the stored shape: converting there and back loses nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings

from lastmile.domain import Order, TimeWindow
from lastmile.domain.events import OrderRescheduled, PlanCreated
from lastmile.store import plan_records, records
from lastmile.store.messages import aggregate_ref, event_payload, order_event_record
from tests.unit.store import examples as ex
from tests.unit.store.strategies import orders


@settings(max_examples=200)
@given(orders)
def test_any_valid_order_survives_the_record_round_trip(order: Order) -> None:
    back = records.order_from(records.order_record(order, "Europe/Berlin"))
    assert ex.fields_of(back) == ex.fields_of(order)


def test_a_plan_survives_the_record_round_trip_with_routes_in_order() -> None:
    plan = ex.plan()
    back = plan_records.plan_from(plan_records.plan_record(plan))
    assert ex.fields_of(back) == ex.fields_of(plan)


def test_service_date_is_the_window_start_date_in_the_hub_timezone() -> None:
    late = TimeWindow(
        datetime(2026, 11, 24, 23, 30, tzinfo=UTC), datetime(2026, 11, 25, 1, tzinfo=UTC)
    )
    assert records.service_date(late, "Europe/Berlin") == "2026-11-25"
    assert records.service_date(late, "America/New_York") == "2026-11-24"
    assert records.service_date(late, None) == "2026-11-24"
    assert records.service_date(None, "Europe/Berlin") is None


def test_equal_sets_store_equally_whatever_their_order() -> None:
    a = records.vehicle_record(ex.vehicle())
    assert a["equipment"] == ["bulky", "refrigerated"]
    assert records.zone_record(ex.zone())["access"] == ["low_emission", "no_trucks"]


def test_event_payloads_are_json_with_every_field_in_utc() -> None:
    start = ex.DAY
    event = OrderRescheduled(order_ref="O-1", old_window=None, new_window=(start, start))
    payload = json.loads(json.dumps(event_payload(event)))
    assert payload["type"] == "OrderRescheduled"
    assert payload["new_window"] == [start.astimezone(UTC).isoformat()] * 2
    assert set(payload) == {"type", "event_id", "occurred_at", "order_ref", "old_window",
                            "new_window", "reason"}  # fmt: skip


def test_only_order_events_enter_the_journey_timeline() -> None:
    plan_event = PlanCreated(plan_ref="P-1", routes=1, unassigned=0)
    assert order_event_record(plan_event) is None
    assert aggregate_ref(plan_event) == "P-1"
    ex_order = ex.order()
    ex_order.placed()
    placed = order_event_record(ex_order.pull_events()[0])
    assert placed is not None and (placed["to_state"], placed["actor"]) == ("created", "system")
