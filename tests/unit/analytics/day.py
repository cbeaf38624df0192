"""A hand-built day whose every KPI is worked out by hand in test_scorecard.py.

Helsinki in June is UTC+3. Windows W1 09:00–12:00 and W2 12:00–15:00 local.
Vehicle V1 attempts o1–o4 (4 orders), V2 attempts o5 and o8 (2 orders).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from lastmile.analytics.daylog import (
    DayLog,
    DayOutcome,
    Delivery,
    EtaSample,
    ExceptionRaised,
    VehicleDay,
)
from lastmile.domain.values import TimeWindow

HEL = timezone(timedelta(hours=3))  # what Europe/Helsinki is on 10 June
DAY = date(2026, 6, 10)


def local(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, 10, hour, minute, tzinfo=HEL)


W1 = TimeWindow(local(9), local(12))
W2 = TimeWindow(local(12), local(15))
D = DayOutcome


def handmade_day() -> DayLog:
    deliveries = [
        Delivery("o1", "A", D.DELIVERED, W1, 1, local(9, 55), local(10), 60, vehicle_ref="V1"),
        Delivery(
            "o2", "A", D.DELIVERED, W1, 2, local(12, 25), local(12, 30), 120, vehicle_ref="V1"
        ),
        Delivery(
            "o3",
            "B",
            D.DELIVERED,
            W2,
            1,
            local(12, 55),
            local(13),
            180,
            in_full=False,
            vehicle_ref="V1",
        ),
        Delivery(
            "o4",
            "B",
            D.FAILED,
            W2,
            1,
            local(13, 30),
            local(13, 31),
            30,
            failure_reason="not_home",
            vehicle_ref="V1",
        ),
        Delivery("o5", "B", D.DELIVERED, None, 1, local(13, 59), local(14), 90, vehicle_ref="V2"),
        Delivery("o6", "A", D.CANCELLED, W1),
        Delivery("o7", "A", D.UNSERVED, W2),
        Delivery(
            "o8",
            "B",
            D.RESCHEDULED,
            W1,
            1,
            local(10, 10),
            local(10, 14),
            240,
            reschedule_reason="customer_request",
            vehicle_ref="V2",
        ),
    ]
    vehicles = [
        VehicleDay(
            "V1",
            "van",
            km=30,
            on_duty_s=14400,
            driving_s=7200,
            service_s=3600,
            waiting_s=1800,
            cost=60,
            co2_g=6000,
            stops_completed=4,
            capacity_parcels=10,
            peak_load_parcels=8,
        ),
        VehicleDay(
            "V2",
            "bike",
            km=10,
            on_duty_s=7200,
            driving_s=3600,
            service_s=1800,
            waiting_s=0,
            cost=20,
            co2_g=0,
            stops_completed=2,
        ),
    ]
    etas = [
        EtaSample(
            "o1",
            "A",
            local(8),
            p50=local(10, 10),
            actual=local(10),
            p10=local(9, 50),
            p90=local(10, 30),
            promised=W1,
        ),
        EtaSample(
            "o2",
            "A",
            local(8),
            p50=local(11, 50),
            actual=local(12, 30),
            p10=local(11, 30),
            p90=local(12, 10),
            promised=W1,
        ),
        EtaSample("o3", "B", local(8), p50=local(11, 55), actual=local(13)),  # promise from o3
    ]
    exceptions = [
        ExceptionRaised("late", local(12), order_ref="o2"),
        ExceptionRaised("breakdown", local(11), vehicle_ref="V1"),
        ExceptionRaised("failed_attempt", local(13, 31), zone="B", order_ref="o4"),
    ]
    return DayLog(DAY, "Europe/Helsinki", "static", 7, deliveries, vehicles, etas, exceptions)
