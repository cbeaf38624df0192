"""Window buckets read as the customer saw them: local time, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from lastmile.analytics.daylog import DayLog, DayOutcome, Delivery, EtaSample
from lastmile.analytics.scorecard import score
from lastmile.domain.values import TimeWindow


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def delivered(ref: str, window: TimeWindow, at: datetime) -> Delivery:
    return Delivery(ref, "A", DayOutcome.DELIVERED, window, 1, completed_at=at)


SPRING = date(2026, 3, 29)  # Helsinki moves from UTC+2 to UTC+3 at 03:00 local
AUTUMN = date(2026, 10, 25)  # Helsinki goes back from UTC+3 to UTC+2 at 04:00 local


def test_a_window_given_in_utc_is_bucketed_by_its_local_wall_clock_on_the_spring_change() -> None:
    morning = TimeWindow(utc(SPRING, 6), utc(SPRING, 9))  # 09:00–12:00 in summer time
    night = TimeWindow(utc(SPRING, 0), utc(SPRING, 2))  # 02:00–05:00: two real hours
    log = DayLog(
        SPRING,
        "Europe/Helsinki",
        deliveries=[
            delivered("o1", morning, utc(SPRING, 8, 59)),
            delivered("o2", night, utc(SPRING, 2, 0)),  # 05:00 local: the window is half-open
        ],
    )
    card = score(log)
    assert [w.group for w in card.by_window] == ["02:00–05:00", "09:00–12:00"]
    assert card.by_window[0].on_time.value == 0.0
    assert card.by_window[1].on_time.value == 1.0


def test_a_utc_slot_is_read_at_the_offset_of_its_own_moment() -> None:
    winter = TimeWindow(utc(SPRING, 7), utc(SPRING, 10))  # 09:00–12:00 at UTC+2 ...
    summer = TimeWindow(utc(SPRING, 6), utc(SPRING, 9))  # ... and at UTC+3
    log = DayLog(
        SPRING,
        "Europe/Helsinki",
        deliveries=[
            delivered("o1", winter, utc(SPRING, 7)),
            delivered("o2", summer, utc(SPRING, 6)),
        ],
    )
    labels = [w.group for w in score(log).by_window]
    # 07:00 UTC is after the change, so it is 10:00 local, not yesterday's 09:00.
    assert labels == ["09:00–12:00", "10:00–13:00"]


def test_the_repeated_autumn_hour_keeps_its_two_occurrences_apart() -> None:
    first = TimeWindow(utc(AUTUMN, 0, 30), utc(AUTUMN, 0, 45))  # 03:30 summer time
    second = TimeWindow(utc(AUTUMN, 1, 30), utc(AUTUMN, 1, 45))  # 03:30 again, winter time
    log = DayLog(
        AUTUMN,
        "Europe/Helsinki",
        deliveries=[
            delivered("o1", first, utc(AUTUMN, 0, 40)),
            delivered("o2", second, utc(AUTUMN, 0, 40)),  # an hour early in absolute time
        ],
    )
    card = score(log)
    assert [w.group for w in card.by_window] == [
        "03:30+03:00–03:45+03:00",
        "03:30+02:00–03:45+02:00",
    ]
    assert [w.on_time.value for w in card.by_window] == [1.0, 0.0]


def test_a_window_on_another_local_day_carries_its_date() -> None:
    day = date(2026, 6, 10)
    tomorrow = TimeWindow(utc(day, 22), utc(day, 23))  # 01:00–02:00 on 11 June in Helsinki
    log = DayLog(day, "Europe/Helsinki", deliveries=[delivered("o1", tomorrow, utc(day, 22))])
    assert score(log).by_window[0].group == "2026-06-11 01:00–02:00"


def test_the_same_instants_bucket_differently_in_another_time_zone() -> None:
    day = date(2026, 6, 10)
    window = TimeWindow(utc(day, 7), utc(day, 10))
    rows = [delivered("o1", window, utc(day, 8))]
    assert score(DayLog(day, "Europe/Helsinki", deliveries=rows)).by_window[0].group == (
        "10:00–13:00"
    )
    assert score(DayLog(day, "America/New_York", deliveries=rows)).by_window[0].group == (
        "03:00–06:00"
    )


def test_an_eta_error_across_the_autumn_fold_is_measured_in_real_minutes() -> None:
    hel = ZoneInfo("Europe/Helsinki")
    p50 = datetime(2026, 10, 25, 3, 30, tzinfo=hel)  # the first 03:30 (summer time)
    actual = datetime(2026, 10, 25, 3, 30, fold=1, tzinfo=hel)  # the second, an hour later
    log = DayLog(AUTUMN, "Europe/Helsinki", etas=[EtaSample("o1", "A", p50, p50, actual)])
    card = score(log)
    assert card.overall.eta.mae_p50_min == 60.0  # wall clocks would say 0
    assert card.eta_errors.counts[-1] == 1  # 60 falls in the last, closed bin


def test_windows_given_in_local_time_with_fold_stay_apart() -> None:
    hel = ZoneInfo("Europe/Helsinki")
    first = TimeWindow(
        datetime(2026, 10, 25, 3, 30, tzinfo=hel), datetime(2026, 10, 25, 3, 45, tzinfo=hel)
    )
    second = TimeWindow(
        datetime(2026, 10, 25, 3, 30, fold=1, tzinfo=hel),
        datetime(2026, 10, 25, 3, 45, fold=1, tzinfo=hel),
    )
    assert first == second  # Python compares same-zone datetimes by wall clock ...
    log = DayLog(
        AUTUMN,
        "Europe/Helsinki",
        deliveries=[
            delivered("o1", first, utc(AUTUMN, 0, 40)),
            delivered("o2", second, utc(AUTUMN, 1, 40)),
        ],
    )
    card = score(log)  # ... but they are an hour apart, and both were met
    assert [(w.group, w.on_time.value) for w in card.by_window] == [
        ("03:30+03:00–03:45+03:00", 1.0),
        ("03:30+02:00–03:45+02:00", 1.0),
    ]
