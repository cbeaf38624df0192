"""The journey state machine: every legal move works, every other one is refused."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from lastmile.domain import (
    Address,
    Coordinate,
    FailureReason,
    IllegalTransition,
    InvalidInput,
    LifecycleState,
    Order,
    OrderStateChanged,
    Outcome,
    TimeWindow,
)
from lastmile.domain.journey import TRANSITIONS

S = LifecycleState
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def make_order(state: S = S.CREATED, outcome: Outcome | None = None) -> Order:
    order = Order(
        ref="ORD-1",
        hub_ref="HUB-1",
        address=Address(raw="1 Main St", coordinate=Coordinate(60.17, 24.94)),
    )
    order.state = state
    order.outcome = outcome
    return order


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c, t in itertools.product(S, S) if t not in TRANSITIONS[c]],
)
def test_every_illegal_transition_is_refused_and_leaves_the_order_untouched(
    current: S, target: S
) -> None:
    order = make_order(current)
    with pytest.raises(IllegalTransition) as err:
        order.advance(target, at=AT)
    assert order.state is current
    assert order.events == []
    assert current.value in str(err.value) and target.value in str(err.value)


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c in S for t in sorted(TRANSITIONS[c])],
)
def test_every_legal_transition_is_taken_and_recorded_as_an_event(current: S, target: S) -> None:
    order = make_order(current, Outcome.FAILED if current is S.COMPLETED else None)
    event = order.advance(target, at=AT, actor="driver:7")
    assert order.state is target
    assert order.events == [event]
    assert isinstance(event, OrderStateChanged)
    assert (event.from_state, event.to_state, event.actor) == (
        current.value,
        target.value,
        "driver:7",
    )


def test_a_delivered_parcel_never_goes_back_on_the_road() -> None:
    order = make_order(S.COMPLETED, Outcome.DELIVERED)
    for target in (S.OUT_FOR_DELIVERY, S.RETURNED):
        with pytest.raises(IllegalTransition):
            order.advance(target)
    assert order.is_terminal


def test_a_full_day_happy_path_ends_delivered_with_one_event_per_step() -> None:
    order = make_order()
    for target in (S.READY, S.PLANNED, S.DISPATCHED, S.LOADED, S.OUT_FOR_DELIVERY, S.ARRIVED):
        order.advance(target, at=AT)
    order.complete(Outcome.DELIVERED, at=AT)
    assert (order.state, order.outcome, order.attempts) == (S.COMPLETED, Outcome.DELIVERED, 1)
    assert [e.to_state for e in order.events if isinstance(e, OrderStateChanged)][-1] == "completed"
    assert len(order.pull_events()) == 7 and order.events == []


def test_a_failed_attempt_keeps_its_reason_and_may_be_retried_the_same_day() -> None:
    order = make_order(S.ARRIVED)
    event = order.complete(Outcome.FAILED, reason=FailureReason.NOT_HOME, at=AT)
    assert (event.outcome, event.reason) == ("failed", "not_home")
    order.advance(S.OUT_FOR_DELIVERY, at=AT)
    order.advance(S.ARRIVED, at=AT)
    order.complete(Outcome.DELIVERED, at=AT)
    assert order.attempts == 2 and order.failure_reason is None


def test_a_failure_without_a_reason_is_refused() -> None:
    order = make_order(S.ARRIVED)
    with pytest.raises(InvalidInput, match="reason"):
        order.complete(Outcome.FAILED)
    assert order.state is S.ARRIVED


def test_rescheduling_a_returned_parcel_puts_it_back_on_the_shelf_with_a_new_window() -> None:
    order = make_order(S.RETURNED)
    window = TimeWindow(AT, AT.replace(hour=11))
    order.reschedule(window, reason="customer asked", at=AT)
    assert (order.state, order.outcome, order.window) == (S.READY, Outcome.RESCHEDULED, window)


def test_a_parcel_on_a_van_cannot_be_rescheduled() -> None:
    order = make_order(S.OUT_FOR_DELIVERY)
    with pytest.raises(IllegalTransition):
        order.reschedule(None)
