"""What an import file holds and what reading it produced: kinds, records and rejections."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from lastmile.domain import InvalidInput

T = TypeVar("T")


class Kind(StrEnum):
    """The kinds of file, in the order they must be imported (later ones refer to earlier)."""

    HUBS = "hubs"
    ZONES = "zones"
    VEHICLES = "vehicles"
    DRIVERS = "drivers"
    SHIFTS = "shifts"
    ORDERS = "orders"


@dataclass(frozen=True)
class Context:
    """What reading or writing a row needs beyond the row: each hub's IANA timezone."""

    hub_timezones: Mapping[str, str] = field(default_factory=dict)

    def timezone_of(self, hub_ref: str | None) -> str | None:
        return self.hub_timezones.get(hub_ref) if hub_ref else None


@dataclass(frozen=True)
class Rejection:
    """A row that was not imported: where it is, which field is wrong and why."""

    source: str
    row: int
    reason: str
    field: str | None = None
    ref: str | None = None

    @property
    def location(self) -> str:
        return f"{self.source} row {self.row}"

    def __str__(self) -> str:
        return f"{self.source}:{self.row} {self.field or '-'}: {self.reason}"

    def as_error(self) -> InvalidInput:
        return InvalidInput(self.reason, field=self.field, location=self.location)

    @classmethod
    def of(cls, error: InvalidInput, source: str, row: int, ref: str | None) -> Rejection:
        return cls(source, row, error.reason, error.field, ref)


@dataclass(frozen=True)
class Record(Generic[T]):
    """One accepted row: its row number (for later reference checks) and its entity."""

    row: int
    ref: str
    entity: T


@dataclass
class Parsed(Generic[T]):
    """The outcome of reading one file: accepted records, rejected rows and warnings."""

    kind: Kind
    source: str
    records: list[Record[T]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
