"""Carrier statuses mapped onto lastmile's scan taxonomy through a table users can extend.

Every third party spells "delivery attempted" its own way; a mapping row says which scan
kind (and failure reason) a ``(source, status)`` pair means, or that it means no journey move
at all (an empty ``scan_kind``: "delayed", "on hold"). A status nobody mapped is reported as
such, never guessed. The shipped table covers a Karrio-style vocabulary
(``mappings/karrio.csv``); users add rows in the same CSV format.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lastmile.domain.enums import FailureReason
from lastmile.domain.errors import InvalidInput
from lastmile.tracking.model import ScanKind

MAPPINGS = Path(__file__).resolve().parent / "mappings"
COLUMNS = ("source", "status", "scan_kind", "reason")


@dataclass(frozen=True, slots=True)
class Mapping:
    """What one carrier status means; ``kind`` ``None`` means "known, no journey change"."""

    kind: ScanKind | None
    reason: FailureReason | None = None


def _normalise(text: str) -> str:
    return " ".join(text.strip().lower().replace("-", "_").split()).replace(" ", "_")


class CarrierMap:
    """``(source, status)`` -> :class:`Mapping`; lookups ignore case, spaces and dashes."""

    def __init__(self, rows: Iterable[tuple[str, str, Mapping]] = ()) -> None:
        self._rows: dict[tuple[str, str], Mapping] = {}
        for source, status, mapping in rows:
            self._rows[(_normalise(source), _normalise(status))] = mapping

    def __len__(self) -> int:
        return len(self._rows)

    def lookup(self, source: str, status: str) -> Mapping | None:
        """The mapping, or ``None`` when nobody has said what this status means."""
        return self._rows.get((_normalise(source), _normalise(status)))

    def extended(self, other: CarrierMap) -> CarrierMap:
        """A new map where ``other``'s rows override this one's."""
        merged = CarrierMap()
        merged._rows = {**self._rows, **other._rows}
        return merged

    @classmethod
    def from_csv(cls, text: str, location: str = "mapping CSV") -> CarrierMap:
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput(f"missing columns {', '.join(missing)}", location=location)
        rows = []
        for line, row in enumerate(reader, start=2):
            rows.append(_row(row, f"{location}, line {line}"))
        return cls(rows)

    @classmethod
    def from_paths(cls, path: Path) -> CarrierMap:
        """A user's mapping CSV, or every ``*.csv`` of a folder (later files override)."""
        if not path.exists():
            raise InvalidInput("no such mapping file or folder", location=str(path))
        files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
        merged = cls()
        for file in files:
            merged = merged.extended(cls.from_csv(file.read_text("utf-8"), str(file)))
        return merged

    @classmethod
    def shipped(cls) -> CarrierMap:
        """Every mapping shipped with lastmile (``tracking/mappings/*.csv``)."""
        merged = cls()
        for path in sorted(MAPPINGS.glob("*.csv")):
            merged = merged.extended(cls.from_csv(path.read_text("utf-8"), path.name))
        return merged


def _row(row: dict[str, str], location: str) -> tuple[str, str, Mapping]:
    source, status = (row.get("source") or "").strip(), (row.get("status") or "").strip()
    if not source or not status:
        raise InvalidInput("source and status must not be empty", location=location)
    kind_text = (row.get("scan_kind") or "").strip()
    reason_text = (row.get("reason") or "").strip()
    try:
        kind = ScanKind(kind_text) if kind_text else None
    except ValueError:
        known = ", ".join(k.value for k in ScanKind)
        raise InvalidInput(
            f"unknown scan kind {kind_text!r} (one of {known})",
            field="scan_kind",
            location=location,
        ) from None
    try:
        reason = FailureReason(reason_text) if reason_text else None
    except ValueError:
        raise InvalidInput(
            f"unknown failure reason {reason_text!r}", field="reason", location=location
        ) from None
    if (kind is ScanKind.ATTEMPTED) != (reason is not None):
        raise InvalidInput(
            "a reason is required for 'attempted' and only for it",
            field="reason",
            location=location,
        )
    return source, status, Mapping(kind, reason)
