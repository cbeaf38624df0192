"""Opaque cursors over references: the next page starts after the last ref of this one."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from lastmile.domain.errors import InvalidInput

T = TypeVar("T")
MAX_LIMIT = 500


class Page(BaseModel):
    """One page of items; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[dict[str, Any]]
    next_cursor: str | None = None


def encode(ref: str) -> str:
    return base64.urlsafe_b64encode(ref.encode()).decode().rstrip("=")


def decode(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("not a cursor this API handed out", field="cursor") from None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be within 1..{MAX_LIMIT}", field="limit")
    return limit


def page_of(rows: Sequence[dict[str, Any]], limit: int, has_more: bool) -> Page:
    cursor = encode(str(rows[-1]["ref"])) if rows and has_more else None
    return Page(items=list(rows), next_cursor=cursor)
