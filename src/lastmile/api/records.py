"""Request bodies and responses are the import rows (docs/import-formats.md): one contract.

An API body for an order is exactly a row of an orders JSON import, so it is parsed and
checked by ``lastmile.exchange`` and stored by ``dispatch.imports`` like a file row would be.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from lastmile.dispatch.imports import ImportReport, import_table
from lastmile.dispatch.ports import UnitOfWork
from lastmile.domain.errors import InvalidInput
from lastmile.exchange import SPECS, Context, Kind, Table

MAX_BATCH = 1000


@cache
def body_model(kind: Kind) -> type[BaseModel]:
    """A schema naming every column of ``kind`` (values are checked by the exchange parsers)."""
    fields: dict[str, Any] = {
        column: (Any, Field(default=None)) for column in SPECS[kind].columns if column != "ref"
    }
    fields["ref"] = (str, Field(min_length=1, max_length=128, description="Your reference"))
    config = ConfigDict(extra="forbid", title=f"{kind.value[:-1].capitalize()}Record")
    model: type[BaseModel] = create_model(
        f"{kind.value[:-1].capitalize()}Record", __config__=config, **fields
    )
    return model


def row_of(model: BaseModel) -> dict[str, Any]:
    """The import row: only the fields the client sent (absent means default)."""
    return model.model_dump(exclude_unset=True)


def context_of(uow: UnitOfWork) -> Context:
    return Context({h.ref: h.timezone for h in uow.hubs.list()})


def write_row(kind: Kind, entity: Any, context: Context) -> dict[str, Any]:
    return SPECS[kind].write(entity, context)


def upsert_rows(
    uow: UnitOfWork, kind: Kind, rows: list[dict[str, Any]], *, all_or_nothing: bool
) -> ImportReport:
    """Insert or update by reference through the same service as file imports."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    table = Table("body", tuple(columns), tuple((n, r) for n, r in enumerate(rows, start=1)))
    return import_table(uow, kind, table, all_or_nothing=all_or_nothing)


def first_error(report: ImportReport) -> InvalidInput:
    rejection = report.rejections[0]
    return InvalidInput(rejection.reason, field=rejection.field, location="body")
