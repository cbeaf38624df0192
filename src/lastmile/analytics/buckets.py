"""Group keys: the promised window as the customer read it, in the hub's local time.

A window is bucketed by its local start and end ("09:00–12:00"), not by UTC, so the morning
slot stays the morning slot on the day clocks change. A local time that occurs twice (the
autumn fold) carries its UTC offset so the two 03:30s do not merge.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lastmile.domain.errors import InvalidInput
from lastmile.domain.values import TimeWindow

NO_PROMISE = "no promise"
NO_ZONE = "no zone"


def zone_info(name: str) -> ZoneInfo:
    """The IANA zone of a day log, or a clear error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"unknown IANA time zone {name!r}", field="timezone", location="day log"
        ) from exc


def window_key(window: TimeWindow | None, tz: tzinfo, day: date) -> tuple[str, tuple[float, ...]]:
    """The bucket label of a promised window and a key that sorts buckets chronologically.

    Orders without a promise share one bucket, sorted last. A window that starts on another
    local date than the log's day gets the date in its label.
    """
    if window is None:
        return NO_PROMISE, (float("inf"),)
    start = window.start.astimezone(tz)
    end = window.end.astimezone(tz)
    label = f"{_clock(start)}–{_clock(end)}"
    if start.date() != day:
        label = f"{start.date().isoformat()} {label}"
    order = (window.start.astimezone(UTC).timestamp(), window.end.astimezone(UTC).timestamp())
    return label, order


def _clock(moment: datetime) -> str:
    text = moment.strftime("%H:%M")
    other = moment.replace(fold=1 - moment.fold)
    if other.utcoffset() != moment.utcoffset():  # an ambiguous wall time: say which one
        text += moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:]
    return text


def zone_key(zone: str) -> str:
    """Blank zones share one group rather than an empty-named one."""
    return zone.strip() or NO_ZONE
