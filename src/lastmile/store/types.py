"""Column types that make SQLite and PostgreSQL read back the same Python values.

PostgreSQL has ``timestamptz`` and ``jsonb``; SQLite has neither, so datetimes are normalised to
UTC before they are written and given back as aware UTC datetimes, whichever backend is used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from lastmile.domain.errors import InvalidInput


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; naive values are refused instead of guessed."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput("a stored datetime must carry a timezone offset", field="datetime")
        utc = value.astimezone(UTC)
        # SQLite keeps text: store the UTC wall time so comparisons and ordering work.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: JSON everywhere, ``jsonb`` on PostgreSQL; SQL NULL (not JSON null) for Python ``None``.
JSONValue: sa.types.TypeEngine[Any] = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
