"""The examples in docs/examples import as documented, so the format guide stays true."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lastmile.bootstrap import SqlUnitOfWorkFactory, init_database, uow_factory
from lastmile.dispatch.imports import import_table
from lastmile.exchange import Format, Kind, read_table

pytestmark = pytest.mark.storage
EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
GOOD = [
    "hubs.csv",
    "zones.csv",
    "vehicles.csv",
    "drivers.csv",
    "shifts.csv",
    "orders.csv",
    "orders.json",
]


@pytest.fixture
def uow(database_url: str) -> Iterator[SqlUnitOfWorkFactory]:
    init_database(database_url)
    factory = uow_factory(database_url)
    yield factory
    factory.dispose()


def load(uow: SqlUnitOfWorkFactory, name: str, kind: Kind) -> list[str]:
    path = EXAMPLES / name
    table = read_table(path.read_text(encoding="utf-8"), name, Format(path.suffix[1:]))
    report = import_table(uow(), kind, table)
    return [str(r) for r in report.rejections] + report.warnings


def test_every_example_file_imports_without_a_rejection_or_warning(
    uow: SqlUnitOfWorkFactory,
) -> None:
    for name in GOOD:
        assert load(uow, name, Kind(name.split(".")[0])) == [], name


def test_the_example_of_bad_rows_gives_the_documented_messages(uow: SqlUnitOfWorkFactory) -> None:
    load(uow, "hubs.csv", Kind.HUBS)
    messages = load(uow, "orders-with-errors.csv", Kind.ORDERS)
    guide = (EXAMPLES.parent / "import-formats.md").read_text(encoding="utf-8")
    assert len(messages) == 8
    for message in messages:
        assert message in guide, f"docs/import-formats.md does not show: {message}"
