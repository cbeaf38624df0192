"""Refuse, with the field named, values a database column cannot hold.

The domain allows any Python int and any text; columns do not. PostgreSQL would fail with a
driver error (``integer out of range``, NUL bytes in text) and SQLite would store oversized
values silently, so rows are checked against their columns before every write and both
backends answer the same ``InvalidInput``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from lastmile.domain.errors import InvalidInput

INT32 = 2**31 - 1
INT64 = 2**63 - 1


def _limit(column: sa.Column[Any]) -> int | None:
    if isinstance(column.type, sa.BigInteger):
        return INT64
    if isinstance(column.type, sa.Integer):
        return INT32
    return None


def _problem(value: Any, column: sa.Column[Any]) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        limit = _limit(column) or INT64
        return None if -limit - 1 <= value <= limit else f"{value} is out of range (±{limit})"
    if isinstance(value, str):
        if "\x00" in value:
            return "text must not contain NUL characters"
        length = getattr(column.type, "length", None)
        if length is not None and len(value) > length:
            return f"is {len(value)} characters long, at most {length} fit"
        return None
    if isinstance(value, dict):
        return _first(_problem(v, column) for v in (*value.keys(), *value.values()))
    if isinstance(value, list | tuple):
        return _first(_problem(v, column) for v in value)
    return None


def _first(problems: Iterable[str | None]) -> str | None:
    return next((p for p in problems if p is not None), None)


def check_rows(table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
    """Raise ``InvalidInput`` naming the table, the row's ref and the column at fault."""
    columns = [c for c in table.c if c.name != "id"]
    for row in rows:
        for column in columns:
            problem = _problem(row.get(column.name), column)
            if problem is not None:
                ref = row.get("ref") or row.get("route_ref") or row.get("event_id") or "?"
                raise InvalidInput(
                    f"{column.name} {problem}",
                    field=column.name,
                    location=f"{table.name} {ref!r}",
                )
