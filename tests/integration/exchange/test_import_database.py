"""Importing into a real database (SQLite, and PostgreSQL under LASTMILE_TEST_DB=postgresql):
idempotent, all-or-nothing when asked, and exports that import back unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lastmile.bootstrap import SqlUnitOfWorkFactory, init_database, uow_factory
from lastmile.dispatch.imports import ImportReport, import_table
from lastmile.exchange import Context, Format, Kind, read_table, to_rows, write_table
from lastmile.sim.scenario import generate, write_scenario

pytestmark = pytest.mark.storage


@pytest.fixture
def uow(database_url: str) -> Iterator[SqlUnitOfWorkFactory]:
    init_database(database_url)
    factory = uow_factory(database_url)
    yield factory
    factory.dispose()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    scenario = generate(80, seed=3, day=date(2026, 11, 24))
    return write_scenario(scenario, tmp_path_factory.mktemp("city"))


def load(uow: SqlUnitOfWorkFactory, path: Path, **options: bool) -> ImportReport:
    fmt = Format(path.suffix[1:])
    table = read_table(path.read_text(encoding="utf-8"), path.name, fmt)
    return import_table(uow(), Kind(path.stem), table, **options)


def export(uow: SqlUnitOfWorkFactory, kind: Kind, fmt: Format = Format.CSV) -> str:
    with uow() as work:
        context = Context({h.ref: h.timezone for h in work.hubs.list()})
        return write_table(kind, to_rows(kind, getattr(work, kind.value).list(), context), fmt)


def test_a_second_import_of_the_same_files_inserts_and_updates_nothing(
    uow: SqlUnitOfWorkFactory, city: list[Path]
) -> None:
    first = [load(uow, p) for p in city]
    assert all(r.clean and r.inserted for r in first)
    second = [load(uow, p) for p in city]
    assert [(r.inserted, r.updated, r.rejections) for r in second] == [([], [], [])] * len(city)
    assert [len(r.unchanged) for r in second] == [len(r.inserted) for r in first]


def test_what_is_exported_is_what_was_imported_byte_for_byte(
    uow: SqlUnitOfWorkFactory, city: list[Path]
) -> None:
    for path in city:
        load(uow, path)
        assert export(uow, Kind(path.stem)) == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", list(Format))
def test_an_export_imports_back_with_every_row_unchanged(
    uow: SqlUnitOfWorkFactory, city: list[Path], fmt: Format, tmp_path: Path
) -> None:
    for path in city:
        load(uow, path)
    for kind in Kind:
        exported = tmp_path / f"{kind.value}.{fmt.value}"
        exported.write_text(export(uow, kind, fmt), encoding="utf-8")
        report = load(uow, exported)
        assert (report.inserted, report.updated, report.rejections) == ([], [], [])


def test_all_or_nothing_leaves_the_database_exactly_as_it_was(
    uow: SqlUnitOfWorkFactory, city: list[Path], tmp_path: Path
) -> None:
    for path in city:
        load(uow, path)
    before = export(uow, Kind.ORDERS)
    lines = before.splitlines()
    lines[1] = lines[1].replace(",HUB-", ",HUB-GONE-", 1)  # an unknown hub in row 2
    lines[2] = lines[2].replace("Helsinki", "Espoo")  # a valid change in row 3
    lines.append(lines[3].replace("O-20261124-000003", "O-NEW", 1))  # a valid new order
    bad = tmp_path / "orders.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")

    refused = load(uow, bad, all_or_nothing=True)
    assert refused.refused and [(r.row, r.field) for r in refused.rejections] == [(2, "hub_ref")]
    assert export(uow, Kind.ORDERS) == before

    kept = load(uow, bad)
    assert (kept.inserted, kept.updated) == (["O-NEW"], ["O-20261124-000002"])
    assert "Espoo" in export(uow, Kind.ORDERS)


def test_a_bad_row_does_not_touch_the_stored_entity_it_names(
    uow: SqlUnitOfWorkFactory, city: list[Path], tmp_path: Path
) -> None:
    for path in city:
        load(uow, path)
    before = export(uow, Kind.VEHICLES)
    rows = list(csv.DictReader(io.StringIO(before)))
    rows[0]["capacity_kg"] = "-5"
    bad = tmp_path / "vehicles.csv"
    with bad.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = load(uow, bad)
    assert [(r.row, r.field) for r in report.rejections] == [(2, "capacity_kg")]
    assert export(uow, Kind.VEHICLES) == before


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, 9),
            st.sampled_from(
                ["lat", "window_end", "weight_kg", "skills", "hub_ref", "items", "ref"]
            ),
            st.sampled_from(
                ["", "-1", "95", "x", "2026-13-01T00:00", "[{}]", "HUB-NOPE", "O-20261124-000001"]
            ),
        ),
        min_size=1,
        max_size=5,
    ),
    all_or_nothing=st.booleans(),
)
def test_mangled_rows_never_change_what_is_stored_for_them(
    uow: SqlUnitOfWorkFactory,
    city: list[Path],
    tmp_path: Path,
    edits: list[tuple[int, str, str]],
    all_or_nothing: bool,
) -> None:
    for path in city[:-1]:
        load(uow, path)
    orders = city[-1]
    load(uow, orders)  # the good state, restored before each example
    before = {r["ref"]: r for r in csv.DictReader(io.StringIO(export(uow, Kind.ORDERS)))}
    rows = list(csv.DictReader(io.StringIO(orders.read_text(encoding="utf-8"))))[:10]
    for index, column, value in edits:
        rows[index][column] = value
    mangled = tmp_path / "orders.csv"
    with mangled.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = load(uow, mangled, all_or_nothing=all_or_nothing)
    after = {r["ref"]: r for r in csv.DictReader(io.StringIO(export(uow, Kind.ORDERS)))}
    for rejection in report.rejections:
        if rejection.ref in before:
            assert after[rejection.ref] == before[rejection.ref], str(rejection)
    if report.refused:
        assert after == before
    changed = {ref for ref in after if after[ref] != before.get(ref)}
    assert changed == set(report.inserted) | set(report.updated)
