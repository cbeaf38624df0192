"""SQL gateways: records in and out of the tables, inside the unit of work's transaction.

The repositories themselves (identity map, upsert by ref, ``list_by``, route versions) are in
:mod:`lastmile.store.tracked` and behave the same over these gateways and the in-memory ones;
this module holds every SQL query the store makes.

Refs are compared and ordered byte-wise (``COLLATE "C"`` on PostgreSQL, SQLite's default
BINARY), which is Python's string order, so cursor pages agree across both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from lastmile.domain.errors import Conflict
from lastmile.store import tables as t
from lastmile.store.checks import check_rows
from lastmile.store.records import Record
from lastmile.store.tracked import OrderQuery, PlanQuery

#: Refs per lookup query. SQLite binds each ref as its own parameter (and has a limit on
#: them); PostgreSQL gets one array, and fewer, larger lookups avoid rescanning a freshly
#: loaded table (no planner statistics yet) once per 500 refs.
LOOKUP_CHUNK = {"sqlite": 500, "postgresql": 10_000}


def _insert(connection: sa.Connection, table: sa.Table) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def upsert(
    connection: sa.Connection, table: sa.Table, rows: list[Record], key: str = "ref"
) -> None:
    """Insert ``rows``, replacing every column of a row whose ``key`` already exists."""
    if not rows:
        return
    check_rows(table, rows)
    stmt = _insert(connection, table)
    update = {c.name: stmt.excluded[c.name] for c in table.c if c.name not in ("id", key)}
    connection.execute(stmt.on_conflict_do_update(index_elements=[key], set_=update), rows)


def insert_new(connection: sa.Connection, table: sa.Table, rows: list[Record], key: str) -> None:
    """Insert ``rows``, silently skipping those whose ``key`` is already stored (idempotent)."""
    if rows:
        check_rows(table, rows)
        stmt = _insert(connection, table).on_conflict_do_nothing(index_elements=[key])
        connection.execute(stmt, rows)


def ref_order(connection: sa.Connection, column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    return column.collate("C") if connection.dialect.name == "postgresql" else column


def among(
    connection: sa.Connection, column: sa.ColumnElement[str], refs: Sequence[str]
) -> sa.ColumnElement[bool]:
    """``column IN refs``; on PostgreSQL one array parameter (``= ANY``), which the planner
    sees whole: 500 separate parameters made it scan freshly loaded tables far slower."""
    if connection.dialect.name == "postgresql":
        values = sa.bindparam(None, list(refs), type_=postgresql.ARRAY(sa.String))
        return column == sa.any_(values)
    return column.in_(refs)


def chunks(connection: sa.Connection, refs: Sequence[str]) -> Iterable[Sequence[str]]:
    """``refs`` in lookups of the size the database takes best (see :func:`among`)."""
    size = LOOKUP_CHUNK.get(connection.dialect.name, 500)
    for i in range(0, len(refs), size):
        yield refs[i : i + size]


class SqlTable:
    """Records of one table keyed by ``ref``."""

    def __init__(self, connection: sa.Connection, table: sa.Table) -> None:
        self._conn = connection
        self._table = table

    def _select(self) -> sa.Select[Any]:
        return sa.select(self._table)

    def _rows(self, stmt: sa.Select[Any]) -> list[Record]:
        """Rows as records: every column but the surrogate ``id``, which stays inside."""
        rows = []
        for row in self._conn.execute(stmt).mappings():
            record = dict(row)
            del record["id"]
            rows.append(record)
        return rows

    def fetch(self, refs: Sequence[str]) -> dict[str, Record]:
        found: dict[str, Record] = {}
        for chunk in chunks(self._conn, refs):
            stmt = self._select().where(among(self._conn, self._table.c.ref, chunk))
            for row in self._rows(stmt):
                found[row["ref"]] = row
        return found

    def fetch_all(self) -> list[Record]:
        return self._rows(self._select().order_by(ref_order(self._conn, self._table.c.ref)))

    def count(self) -> int:
        stmt = sa.select(sa.func.count()).select_from(self._table)
        return int(self._conn.execute(stmt).scalar_one())

    def save_many(self, changes: Sequence[tuple[Record, Record | None]]) -> None:
        upsert(self._conn, self._table, [new for new, _ in changes])


class SqlShifts(SqlTable):
    def __init__(self, connection: sa.Connection) -> None:
        super().__init__(connection, t.shifts)

    def starting(self, hub_refs: Sequence[str], start: datetime, end: datetime) -> list[Record]:
        c = t.shifts.c
        stmt = self._select().where(c.hub_ref.in_(list(hub_refs)), c.start >= start, c.start < end)
        return self._rows(stmt.order_by(ref_order(self._conn, c.ref)))


class SqlOrders(SqlTable):
    def __init__(self, connection: sa.Connection) -> None:
        super().__init__(connection, t.orders)

    def query(self, query: OrderQuery) -> list[Record]:
        c = t.orders.c
        ref = ref_order(self._conn, c.ref)
        stmt = self._select().order_by(ref)
        if query.hub_ref is not None:
            stmt = stmt.where(c.hub_ref == query.hub_ref)
        if query.states is not None:
            stmt = stmt.where(c.state.in_(query.states))
        if query.service_date is not None:
            stmt = stmt.where(c.service_date == query.service_date)
        if query.zone_ref is not None:
            stmt = stmt.where(c.zone_ref == query.zone_ref)
        if query.after_ref is not None:
            stmt = stmt.where(ref > query.after_ref)
        if query.limit is not None:
            stmt = stmt.limit(query.limit)
        return self._rows(stmt)


class SqlPlans(SqlTable):
    """Plans spread over ``plans``, ``routes`` and ``visits``; route writes check the version."""

    def __init__(self, connection: sa.Connection) -> None:
        super().__init__(connection, t.plans)

    def _assemble(self, plans: list[Record]) -> list[Record]:
        by_plan: dict[str, list[Record]] = {p["ref"]: [] for p in plans}
        routes: dict[str, Record] = {}
        for chunk in chunks(self._conn, list(by_plan)):
            wanted = among(self._conn, t.routes.c.plan_ref, chunk)
            stmt = sa.select(t.routes).where(wanted)
            for row in self._rows(stmt.order_by(t.routes.c.position)):
                row["visits"] = []
                routes[row["ref"]] = row
                by_plan[row["plan_ref"]].append(row)
        for chunk in chunks(self._conn, list(routes)):
            wanted = among(self._conn, t.visits.c.route_ref, chunk)
            stmt = sa.select(t.visits).where(wanted)
            for row in self._rows(stmt.order_by(t.visits.c.route_ref, t.visits.c.position)):
                routes[row["route_ref"]]["visits"].append(row)
        for plan in plans:
            plan["routes"] = by_plan[plan["ref"]]
        return plans

    def fetch(self, refs: Sequence[str]) -> dict[str, Record]:
        return {p["ref"]: p for p in self._assemble(list(super().fetch(refs).values()))}

    def query(self, query: PlanQuery) -> list[Record]:
        c, routes = t.plans.c, t.routes.c
        stmt = self._select().order_by(ref_order(self._conn, c.ref))
        if query.service_date is not None:
            stmt = stmt.where(c.service_date == query.service_date)
        if query.route_ref is not None:
            stmt = stmt.where(
                c.ref.in_(sa.select(routes.plan_ref).where(routes.ref == query.route_ref))
            )
        if query.driver_ref is not None:
            held = sa.select(routes.plan_ref).where(routes.driver_ref == query.driver_ref)
            stmt = stmt.where(c.ref.in_(held))
        # Hubs are a JSON list: filtered here, before the routes and visits are read.
        found = [
            p for p in self._rows(stmt) if query.hub_ref is None or query.hub_ref in p["hub_refs"]
        ]
        return self._assemble(found)

    def fetch_all(self) -> list[Record]:
        return self._assemble(super().fetch_all())

    def save_many(self, changes: Sequence[tuple[Record, Record | None]]) -> None:
        for new, old in changes:
            self._save(new, old)

    def _save(self, new: Record, old: Record | None) -> None:
        upsert(self._conn, t.plans, [{k: v for k, v in new.items() if k != "routes"}])
        stored = {r["ref"]: r for r in old["routes"]} if old else {}
        kept = {r["ref"] for r in new["routes"]}
        gone = [ref for ref in stored if ref not in kept]
        if gone:
            self._conn.execute(sa.delete(t.visits).where(t.visits.c.route_ref.in_(gone)))
            self._conn.execute(sa.delete(t.routes).where(t.routes.c.ref.in_(gone)))
        for route in new["routes"]:
            before = stored.get(route["ref"])
            if before is None:
                self._insert_route(route)
            elif route != before:
                self._update_route(route, before)

    def _insert_route(self, route: Record) -> None:
        check_rows(t.routes, [_route_row(route)])
        try:
            with self._conn.begin_nested():
                self._conn.execute(sa.insert(t.routes), [_route_row(route)])
        except sa.exc.IntegrityError:
            raise Conflict(f"route {route['ref']!r} already belongs to another plan") from None
        self._replace_visits(route)

    def _update_route(self, route: Record, before: Record) -> None:
        check_rows(t.routes, [_route_row(route)])
        stmt = (
            sa.update(t.routes)
            .where(t.routes.c.ref == route["ref"], t.routes.c.version == before["version"])
            .values(_route_row(route))
        )
        if self._conn.execute(stmt).rowcount != 1:
            raise Conflict(
                f"route {route['ref']!r} was changed meanwhile (expected version "
                f"{before['version']})"
            )
        if route["visits"] != before["visits"]:
            self._replace_visits(route)

    def _replace_visits(self, route: Record) -> None:
        self._conn.execute(sa.delete(t.visits).where(t.visits.c.route_ref == route["ref"]))
        if route["visits"]:
            check_rows(t.visits, route["visits"])
            self._conn.execute(sa.insert(t.visits), route["visits"])


def _route_row(route: Record) -> Record:
    return {k: v for k, v in route.items() if k != "visits"}
