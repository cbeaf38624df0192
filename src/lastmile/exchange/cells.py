"""Reading and writing single cells: one parser per column type, each naming its column.

A cell comes from CSV (always text) or JSON (text, number, list...). Every parser accepts both
and raises ``InvalidInput(field=column)`` for anything it cannot read, so a row fails with the
column that is wrong instead of a traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from lastmile.domain import InvalidInput
from lastmile.domain.values import zone_info

Row = Mapping[str, object]
En = TypeVar("En", bound=StrEnum)

#: Separators accepted between the members of a list held in one CSV cell.
LIST_SEPARATORS = (";", ",", "|")


def blank(value: object) -> bool:
    if value is None or value == "":
        return True
    return isinstance(value, str) and not value.strip()


def text(row: Row, name: str, *, required: bool = False, default: str = "") -> str:
    value = row.get(name)
    if isinstance(value, str) and value and not value[0].isspace() and not value[-1].isspace():
        return value  # the common case of a clean CSV cell, read without copying
    if blank(value):
        if required:
            raise InvalidInput("is required but missing or empty", field=name)
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(f"must be text, got {type(value).__name__}", field=name)
    return str(value).strip()


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(f"must be a number, got {type(value).__name__}", field=name)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        hint = "; use a dot as the decimal separator" if "," in str(value) else ""
        raise InvalidInput(f"must be a number, got {value!r}{hint}", field=name) from None
    if not number.is_finite():
        raise InvalidInput(f"must be a finite number, got {value!r}", field=name)
    return number


def scaled(row: Row, name: str, scale: int, *, unit: str, default: int | None = None) -> int | None:
    """A non-negative decimal in a human unit (kg, litres, minutes) as an integer base unit.

    ``scale`` is base units per human unit (1000 g per kg); finer values than one base unit are
    refused rather than rounded, so an import never silently changes a number.
    """
    value = row.get(name)
    if blank(value):
        return default
    number = _decimal(value, name)
    if number < 0:
        raise InvalidInput(f"must not be negative, got {value!r}", field=name)
    base = number * scale
    if base != base.to_integral_value():
        raise InvalidInput(f"is finer than one {unit}: {value!r}", field=name)
    if base > 10**15:
        raise InvalidInput(f"is implausibly large: {value!r}", field=name)
    return int(base)


def integer(
    row: Row, name: str, *, default: int | None = None, minimum: int | None = 0
) -> int | None:
    value = row.get(name)
    if blank(value):
        return default
    number = _decimal(value, name)
    if number != number.to_integral_value():
        raise InvalidInput(f"must be a whole number, got {value!r}", field=name)
    if minimum is not None and number < minimum:
        raise InvalidInput(f"must be at least {minimum}, got {value!r}", field=name)
    if abs(number) > 10**15:
        raise InvalidInput(f"is implausibly large: {value!r}", field=name)
    return int(number)


def number(row: Row, name: str, *, default: float | None = None) -> float | None:
    value = row.get(name)
    if blank(value):
        return default
    result = float(_decimal(value, name))
    if not math.isfinite(result):
        raise InvalidInput(f"is out of range: {value!r}", field=name)
    return result


def degrees(row: Row, name: str, bound: float) -> float:
    """A required latitude or longitude within ±bound."""
    value = number(row, name)
    if value is None:
        raise InvalidInput("is required but missing or empty", field=name)
    if abs(value) > bound:
        raise InvalidInput(f"{value} is outside ±{bound:g} degrees", field=name)
    return value


def choice(row: Row, name: str, enum: type[En], default: En) -> En:
    value = row.get(name)
    if blank(value):
        return default
    return _member(value, name, enum)


def _member(value: object, name: str, enum: type[En]) -> En:
    key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return enum(key)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidInput(f"unknown value {value!r}; allowed: {allowed}", field=name) from None


def members(row: Row, name: str, enum: type[En]) -> frozenset[En]:
    """A set of enum values: a JSON list or one cell separated by ``;``."""
    return frozenset(_member(v, name, enum) for v in strings(row, name))


def strings(row: Row, name: str) -> tuple[str, ...]:
    value = row.get(name)
    if blank(value):
        return ()
    if isinstance(value, list | tuple):
        parts = [str(v).strip() for v in value if not blank(v)]
        if any(isinstance(v, dict | list) for v in value):
            raise InvalidInput("must be a list of plain values", field=name)
        return tuple(parts)
    if not isinstance(value, str):
        raise InvalidInput(f"must be a list or text, got {type(value).__name__}", field=name)
    cleaned = value
    for sep in LIST_SEPARATORS[1:]:
        cleaned = cleaned.replace(sep, LIST_SEPARATORS[0])
    return tuple(p.strip() for p in cleaned.split(LIST_SEPARATORS[0]) if p.strip())


def structure(row: Row, name: str) -> object:
    """Nested data: native in JSON, JSON text inside a CSV cell."""
    value = row.get(name)
    if blank(value):
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"is not valid JSON ({exc.msg})", field=name) from None
    return value


def timezone(row: Row, name: str, fallback: str | None) -> ZoneInfo | None:
    """The zone a local time is read in: the row's own column, else the hub's zone."""
    value = row.get(name)
    if not blank(value):
        return zone_info(str(value).strip(), name)
    return zone_info(fallback, name) if fallback else None


def moment(row: Row, name: str, tz: ZoneInfo | None) -> datetime | None:
    """RFC 3339 with an offset, or a local time read in ``tz`` (the hub's zone).

    A local time that does not exist or happens twice at a clock change is refused: guessing
    would move a delivery window by an hour.
    """
    value = row.get(name)
    if blank(value):
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"must be a date-time text, got {type(value).__name__}", field=name)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"cannot read {value!r} as a date-time; use e.g. 2026-11-24T09:00:00+02:00",
            field=name,
        ) from None
    if parsed.tzinfo is not None:
        if parsed.utcoffset() is None:
            raise InvalidInput("has a timezone without an offset", field=name)
        return parsed
    if tz is None:
        raise InvalidInput(
            f"{value!r} has no UTC offset and the hub's timezone is unknown "
            "(import the hub first, give an offset, or fill the timezone column)",
            field=name,
        )
    return _localize(parsed, tz, name)


def _localize(naive: datetime, tz: ZoneInfo, name: str) -> datetime:
    early, late = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() != late.utcoffset():
        back = early.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        kind = "does not exist" if back != naive else "is ambiguous"
        raise InvalidInput(
            f"{naive.isoformat()} {kind} in {tz.key} (clock change); give a UTC offset",
            field=name,
        )
    return early


def clock_span(value: str, name: str) -> tuple[time, time]:
    """``07:00-21:00`` as two times."""
    try:
        opens, closes = (time.fromisoformat(p.strip()) for p in value.split("-"))
    except ValueError:
        raise InvalidInput(
            f"cannot read hours {value!r}; use e.g. 07:00-21:00", field=name
        ) from None
    return opens, closes


def hours_minutes(row: Row, name: str, *, default: int | None = None) -> int | None:
    """A duration written ``h:mm`` or ``h:mm:ss``, in seconds."""
    value = row.get(name)
    if blank(value):
        return default
    parts = str(value).strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise InvalidInput(f"cannot read duration {value!r}; use h:mm, e.g. 4:30", field=name)
    numbers = [int(p) for p in parts] + [0]
    hours, minutes, seconds = numbers[0], numbers[1], numbers[2]
    if minutes > 59 or seconds > 59 or hours > 10_000:
        raise InvalidInput(f"cannot read duration {value!r}; use h:mm, e.g. 4:30", field=name)
    return hours * 3600 + minutes * 60 + seconds


# --- writing -------------------------------------------------------------------------------


def plain(amount: int, scale: int) -> int | float:
    """Base units back in the human unit, as the shortest exact number (1500 g -> 1.5)."""
    value = Decimal(amount) / Decimal(scale)
    return int(value) if value == value.to_integral_value() else float(value)


def write_hours_minutes(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def write_moment(value: datetime | None, tz: str | None) -> str | None:
    """RFC 3339 in the hub's zone (what people there read), or UTC when no zone is known."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(tz) if tz else UTC).isoformat()


def sorted_values(values: frozenset[StrEnum]) -> list[str]:
    return sorted(v.value for v in values)
