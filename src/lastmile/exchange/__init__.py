"""Import and export formats: CSV and JSON rows to domain objects and back.

Pure functions over text and domain objects (standard library and ``lastmile.domain`` only);
the service layer (``dispatch.imports``) decides what is stored. Columns and examples are in
docs/import-formats.md.
"""

from lastmile.exchange.records import Context, Kind, Parsed, Record, Rejection
from lastmile.exchange.tables import (
    SPECS,
    Format,
    Table,
    infer_kind,
    parse_table,
    read_table,
    to_rows,
    write_table,
)

__all__ = [
    "SPECS",
    "Context",
    "Format",
    "Kind",
    "Parsed",
    "Record",
    "Rejection",
    "Table",
    "infer_kind",
    "parse_table",
    "read_table",
    "to_rows",
    "write_table",
]
