"""A day log that would give meaningless figures is refused, naming the row."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from lastmile.analytics.daylog import DayLog, DayOutcome
from lastmile.analytics.scorecard import score
from lastmile.domain.errors import InvalidInput
from tests.unit.analytics.day import handmade_day


def with_delivery(index: int, **changes: object) -> DayLog:
    log = handmade_day()
    rows = list(log.deliveries)
    rows[index] = replace(rows[index], **changes)  # type: ignore[arg-type]
    return replace(log, deliveries=rows)


def with_vehicle(index: int, **changes: object) -> DayLog:
    log = handmade_day()
    rows = list(log.vehicles)
    rows[index] = replace(rows[index], **changes)  # type: ignore[arg-type]
    return replace(log, vehicles=rows)


@pytest.mark.parametrize(
    ("log", "message"),
    [
        (replace(handmade_day(), timezone="Mars/Olympus"), "unknown IANA time zone 'Mars/Olympus'"),
        (with_delivery(1, order_ref="o1"), "delivery 'o1' appears twice"),
        (with_delivery(0, completed_at=None), "delivery 'o1', field 'completed_at'"),
        (with_delivery(0, attempts=0), "delivery 'o1', field 'attempts': delivered with no"),
        (with_delivery(3, attempts=-1), "delivery 'o4', field 'attempts': attempts is -1"),
        (with_delivery(0, dwell_s=float("nan")), "delivery 'o1', field 'dwell_s'"),
        (with_delivery(0, vehicle_ref="V9"), "vehicle 'V9' is not among the day's vehicles"),
        (with_delivery(0, outcome="lost"), "unknown outcome 'lost'"),
        (
            with_delivery(0, arrived_at=datetime(2026, 6, 10, 9)),
            "delivery 'o1', field 'arrived_at': arrived_at is a naive datetime",
        ),
        (with_vehicle(0, km=-1.0), "vehicle 'V1', field 'km': km is -1.0"),
        (with_vehicle(0, on_duty_s=100.0), "vehicle 'V1', field 'on_duty_s'"),
        (with_vehicle(0, peak_load_parcels=11), "peak load 11 exceeds capacity 10"),
        (with_vehicle(1, vehicle_ref="V1"), "vehicle 'V1' appears twice"),
    ],
)
def test_bad_rows_are_refused_with_where_and_why(log: DayLog, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(")):
        score(log)


def test_a_delivered_order_may_have_taken_several_attempts() -> None:
    log = with_delivery(0, attempts=3, outcome=DayOutcome.DELIVERED)
    assert score(log).overall.first_attempt.numerator == 2
