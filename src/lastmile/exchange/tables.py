"""Whole files: CSV or JSON text to numbered rows, rows to entities, entities back to text."""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lastmile.domain import InvalidInput
from lastmile.exchange import fleet, network, orders
from lastmile.exchange.records import Context, Kind, Parsed, Record, Rejection


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"


@dataclass(frozen=True)
class Spec:
    columns: tuple[str, ...]
    parse: Callable[[Mapping[str, object], Context], Any]
    write: Callable[[Any, Context], dict[str, Any]]
    #: Domain field names reported by entity constructors, translated to this file's columns.
    aliases: Mapping[str, str]


SPECS: dict[Kind, Spec] = {
    Kind.HUBS: Spec(network.HUB_COLUMNS, network.parse_hub, network.hub_row, {}),
    Kind.ZONES: Spec(
        network.ZONE_COLUMNS,
        network.parse_zone,
        network.zone_row,
        {"lat": "polygon", "lon": "polygon"},
    ),
    Kind.VEHICLES: Spec(
        fleet.VEHICLE_COLUMNS,
        fleet.parse_vehicle,
        fleet.vehicle_row,
        {
            "range_m": "range_km",
            "weight_g": "capacity_kg",
            "volume_cm3": "capacity_l",
            "parcels": "capacity_parcels",
        },
    ),
    Kind.DRIVERS: Spec(
        fleet.DRIVER_COLUMNS,
        fleet.parse_driver,
        fleet.driver_row,
        {"hours": "max_work", "break_rule": "break_after"},
    ),
    Kind.SHIFTS: Spec(
        fleet.SHIFT_COLUMNS,
        fleet.parse_shift,
        fleet.shift_row,
        {"window": "end", "max_overtime_s": "max_overtime_min"},
    ),
    Kind.ORDERS: Spec(orders.ORDER_COLUMNS, orders.parse_order, orders.order_row, {}),
}


@dataclass(frozen=True)
class Table:
    """The rows of one file, each with the number a person would look for."""

    source: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, Mapping[str, object]], ...]
    rejections: tuple[Rejection, ...] = ()


def read_table(content: str, source: str, fmt: Format) -> Table:
    """Split a file into rows; a file that cannot be read at all raises InvalidInput.

    CSV rows are numbered like a spreadsheet (the header is row 1); JSON rows are the
    1-based position of the object in the list.
    """
    return _read_csv(content, source) if fmt is Format.CSV else _read_json(content, source)


def delimiter(content: str) -> str:
    """``,`` unless the header line is clearly split by ``;`` or tabs (spreadsheets in
    countries with a decimal comma save CSV with semicolons)."""
    header = content.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def _read_csv(content: str, source: str) -> Table:
    content = content.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(content), delimiter=delimiter(content), restkey="\x00extra")
    try:
        header = tuple(h.strip() for h in (reader.fieldnames or ()))
        if not header:
            raise InvalidInput("the file is empty: no header row", location=source)
        twice = sorted({h for h in header if header.count(h) > 1})
        if twice:
            raise InvalidInput(f"column(s) appear twice: {', '.join(twice)}", location=source)
        reader.fieldnames = list(header)
        rows, rejections = [], []
        for raw in reader:
            line = reader.line_num
            if raw.get("\x00extra"):
                rejections.append(Rejection(source, line, "the row has more cells than the header"))
                continue
            rows.append((line, {k: v for k, v in raw.items() if v is not None}))
    except csv.Error as exc:
        raise InvalidInput(f"not readable as CSV: {exc}", location=source) from None
    return Table(source, header, tuple(rows), tuple(rejections))


def _read_json(content: str, source: str) -> Table:
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", location=source
        ) from None
    if isinstance(data, dict) and len(data) == 1 and isinstance(next(iter(data.values())), list):
        data = next(iter(data.values()))  # {"orders": [...]} is accepted as well as [...]
    if not isinstance(data, list):
        raise InvalidInput("expected a JSON list of objects", location=source)
    rows, rejections, columns = [], [], dict[str, None]()
    for index, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            rejections.append(Rejection(source, index, "expected an object"))
            continue
        columns.update(dict.fromkeys(str(k) for k in entry))
        rows.append((index, {str(k): v for k, v in entry.items()}))
    return Table(source, tuple(columns), tuple(rows), tuple(rejections))


def infer_kind(file_name: str, columns: Sequence[str]) -> Kind | None:
    """The kind named in the file name (``orders.csv``, ``2026-11-24-orders.json``), else the
    one whose columns the header matches best; ``None`` when that is not obvious."""
    lowered = file_name.lower()
    named = [k for k in Kind if k.value in lowered or k.value[:-1] in lowered]
    if len(named) == 1:
        return named[0]
    scores = {k: len(set(columns) & set(SPECS[k].columns)) for k in Kind}
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, runner = ranked[0], ranked[1]
    return best[0] if best[1] >= 3 and best[1] > runner[1] + 1 else None


def unknown_columns(kind: Kind, table: Table) -> list[str]:
    """Warnings for columns lastmile does not read, with the closest known name."""
    known = SPECS[kind].columns
    warnings = []
    for column in table.columns:
        if column not in known:
            close = difflib.get_close_matches(column, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            warnings.append(f"{table.source}: column {column!r} is not used and was ignored{hint}")
    return warnings


def parse_table(kind: Kind, table: Table, context: Context) -> Parsed[Any]:
    """Every row becomes a record or a rejection naming row and field; duplicates are refused."""
    spec = SPECS[kind]
    parsed: Parsed[Any] = Parsed(kind, table.source, rejections=list(table.rejections))
    parsed.warnings.extend(unknown_columns(kind, table))
    first_seen: dict[str, int] = {}
    for line, row in table.rows:
        ref = row.get("ref")
        ref_text = ref.strip() if isinstance(ref, str) else None
        try:
            entity = spec.parse(row, context)
        except InvalidInput as error:
            field = spec.aliases.get(error.field or "", error.field)
            parsed.rejections.append(Rejection(table.source, line, error.reason, field, ref_text))
            continue
        if entity.ref in first_seen:
            reason = f"reference {entity.ref!r} already appears in row {first_seen[entity.ref]}"
            parsed.rejections.append(Rejection(table.source, line, reason, "ref", entity.ref))
            continue
        first_seen[entity.ref] = line
        parsed.records.append(Record(line, entity.ref, entity))
    parsed.rejections.sort(key=lambda r: r.row)
    return parsed


def to_rows(kind: Kind, entities: Iterable[Any], context: Context) -> list[dict[str, Any]]:
    """Entities as rows in the documented column order, sorted by reference."""
    spec = SPECS[kind]
    return [spec.write(e, context) for e in sorted(entities, key=lambda e: str(e.ref))]


def write_table(kind: Kind, rows: Sequence[Mapping[str, Any]], fmt: Format) -> str:
    if fmt is Format.JSON:
        cleaned = [{k: v for k, v in row.items() if v not in (None, "", [])} for row in rows]
        return json.dumps(cleaned, indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SPECS[kind].columns)
    for row in rows:
        writer.writerow(_csv_cell(row.get(c)) for c in SPECS[kind].columns)
    return out.getvalue()


def _csv_cell(value: object) -> str:
    """Plain lists become ``a;b``; nested data becomes compact JSON in the cell."""
    if value is None:
        return ""
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return ";".join(value)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)
