"""The import service upserts by reference, is idempotent and never half-writes a file.

Runs on the in-memory unit of work (same semantics as SQL); tests/integration/exchange repeats
the important cases on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lastmile.bootstrap import memory_uow_factory
from lastmile.dispatch.imports import ImportReport, import_table
from lastmile.dispatch.ports import UnitOfWork
from lastmile.domain import LifecycleState
from lastmile.exchange import SPECS, Context, Format, Kind, read_table, to_rows
from tests.unit.exchange import samples

Factory = Callable[[], UnitOfWork]
FILES = [
    (Kind.HUBS, samples.HUBS),
    (Kind.ZONES, samples.ZONES),
    (Kind.VEHICLES, samples.VEHICLES),
    (Kind.DRIVERS, samples.DRIVERS),
    (Kind.SHIFTS, samples.SHIFTS),
    (Kind.ORDERS, samples.ORDERS),
]


def run(uow: Factory, kind: Kind, content: str, **options: bool) -> ImportReport:
    table = read_table(content, f"{kind}.csv", Format.CSV)
    return import_table(uow(), kind, table, **options)


def stored(uow: Factory, kind: Kind) -> list[dict[str, object]]:
    with uow() as work:
        context = Context({h.ref: h.timezone for h in work.hubs.list()})
        return to_rows(kind, getattr(work, kind.value).list(), context)


@pytest.fixture
def uow() -> Factory:
    factory = memory_uow_factory()
    for kind, content in FILES:
        assert run(factory, kind, content).clean
    return factory


def test_importing_the_same_files_again_changes_nothing(uow: Factory) -> None:
    for kind, content in FILES:
        report = run(uow, kind, content)
        assert (report.inserted, report.updated, report.rejections) == ([], [], [])
        assert len(report.unchanged) == len(stored(uow, kind))


def test_a_changed_row_updates_only_that_entity(uow: Factory) -> None:
    changed = samples.ORDERS.replace("shoe-box,1,1.25", "shoe-box,1,2.5")
    report = run(uow, Kind.ORDERS, changed)
    assert (report.inserted, report.updated, sorted(report.unchanged)) == (
        [],
        ["O-1"],
        ["O-2", "O-3"],
    )
    [o1] = [r for r in stored(uow, Kind.ORDERS) if r["ref"] == "O-1"]
    assert o1["weight_kg"] == 2.5


def test_an_update_records_which_fields_changed() -> None:
    from lastmile.store.memory import InMemoryDatabase, InMemoryUnitOfWork

    database = InMemoryDatabase()
    for kind, content in FILES:
        import_table(InMemoryUnitOfWork(database), kind, read_table(content, "f.csv", Format.CSV))
    changed = samples.ORDERS.replace("shoe-box,1,1.25", "shoe-box,1,2.5")
    import_table(
        InMemoryUnitOfWork(database), Kind.ORDERS, read_table(changed, "f.csv", Format.CSV)
    )
    names = [m.event_type for m in database.outbox]
    assert names.count("OrderPlaced") == 3
    assert names.count("OrderUpdated") == 1
    [updated] = [m for m in database.outbox if m.event_type == "OrderUpdated"]
    assert "weight_kg" in str(updated.payload)


def test_a_row_naming_a_hub_that_is_not_stored_is_rejected() -> None:
    uow = memory_uow_factory()
    report = run(uow, Kind.ORDERS, samples.ORDERS)
    fields = [(r.row, r.field) for r in report.rejections]
    # Row 2's window is in local time, which cannot be read without the hub's timezone.
    assert fields == [(2, "window_start"), (3, "hub_ref"), (4, "hub_ref")]
    assert "import the hub first" in report.rejections[0].reason
    assert "import hubs first" in report.rejections[1].reason
    assert stored(uow, Kind.ORDERS) == []


def test_all_or_nothing_refuses_the_whole_file_and_touches_nothing(uow: Factory) -> None:
    before = stored(uow, Kind.ORDERS)
    content = samples.ORDERS.replace("shoe-box,1,1.25", "shoe-box,1,9") + (
        "O-9,HEL-1,checkout,next_day,,,95,24.9,Nowhere 1,house,,,1,1,1,\n"
        "O-10,HEL-1,checkout,next_day,,,60.2,24.9,Somewhere 2,house,,,1,1,1,\n"
    )
    report = run(uow, Kind.ORDERS, content, all_or_nothing=True)
    assert report.refused and [(r.row, r.field) for r in report.rejections] == [(5, "lat")]
    assert (report.inserted, report.updated) == ([], [])
    assert stored(uow, Kind.ORDERS) == before


def test_without_all_or_nothing_the_valid_rows_are_kept(uow: Factory) -> None:
    content = samples.ORDERS + "O-9,HEL-1,checkout,next_day,,,95,24.9,Nowhere 1,house,,,1,1,1,\n"
    content += "O-10,HEL-1,checkout,next_day,,,60.2,24.9,Somewhere 2,house,,,1,1,1,\n"
    report = run(uow, Kind.ORDERS, content)
    assert report.inserted == ["O-10"] and not report.refused
    assert [r["ref"] for r in stored(uow, Kind.ORDERS)] == ["O-1", "O-10", "O-2", "O-3"]


def test_an_order_already_planned_cannot_be_changed_by_import(uow: Factory) -> None:
    with uow() as work:
        order = work.orders.get("O-1")
        assert order is not None
        order.advance(LifecycleState.PLANNED)
        work.commit()
    changed = samples.ORDERS.replace("shoe-box,1,1.25", "shoe-box,1,2.5")
    report = run(uow, Kind.ORDERS, changed)
    [rejection] = report.rejections
    assert (rejection.row, rejection.field, rejection.ref) == (2, "weight_kg", "O-1")
    assert "already planned" in rejection.reason
    assert run(uow, Kind.ORDERS, samples.ORDERS).clean, "an unchanged planned order is fine"


def test_a_shift_for_an_unknown_driver_or_vehicle_is_rejected(uow: Factory) -> None:
    content = (
        "ref,driver_ref,hub_ref,start,end,vehicle_ref\n"
        "S-9,D-404,HEL-1,2026-11-24T08:00,2026-11-24T16:00,\n"
        "S-10,D-1,HEL-1,2026-11-24T08:00,2026-11-24T16:00,VAN-404\n"
    )
    report = run(uow, Kind.SHIFTS, content)
    assert [(r.row, r.field) for r in report.rejections] == [(2, "driver_ref"), (3, "vehicle_ref")]


garbage = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["-1", "1e400", "nan", "[]", "2026-02-30T10:00", "HEL-2", "O-2", "none"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, 2), st.sampled_from(SPECS[Kind.ORDERS].columns), garbage | st.none()
        ),
        min_size=1,
        max_size=6,
    ),
    all_or_nothing=st.booleans(),
)
def test_mangled_rows_are_rejected_and_never_corrupt_what_is_stored(
    edits: list[tuple[int, str, str | None]], all_or_nothing: bool
) -> None:
    uow = memory_uow_factory()
    for kind, content in FILES:
        run(uow, kind, content)
    before = {r["ref"]: r for r in stored(uow, Kind.ORDERS)}
    rows = list(csv.DictReader(io.StringIO(samples.ORDERS)))
    for index, column, value in edits:
        if value is None:
            rows[index].pop(column, None)
        else:
            rows[index][column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SPECS[Kind.ORDERS].columns)
    writer.writeheader()
    writer.writerows(rows)
    report = run(uow, Kind.ORDERS, out.getvalue(), all_or_nothing=all_or_nothing)
    after = {r["ref"]: r for r in stored(uow, Kind.ORDERS)}
    rejected = {r.ref for r in report.rejections}
    for ref in rejected & set(before):
        assert after.get(ref) == before[ref], "a rejected row never changes what is stored"
    if report.refused:
        assert after == before
    assert set(after) == set(before) | set(report.inserted)
    assert (
        len(report.inserted) + len(report.updated) + len(report.unchanged) + len(report.rejections)
        <= 3
    )
