"""SQL side of the HTTP API: api keys, idempotency records, audit log, tracking tokens, jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lastmile.domain import Order
from lastmile.domain.errors import Conflict, NotFound
from lastmile.store import api_tables as a
from lastmile.store.dispatch_queries import DispatchQueries
from lastmile.store.tracked import TrackedOrders
from lastmile.store.tracking_journal import SqlTrackingUnitOfWork

#: How long a POST's answer is replayed for its Idempotency-Key (docs/api.md).
IDEMPOTENCY_TTL = timedelta(hours=24)
#: A claim older than this belongs to a request that died; the key may be used again.
IDEMPOTENCY_CLAIM = timedelta(minutes=2)


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    secret_hash: str
    role: str
    name: str
    driver_ref: str | None
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status_code: int
    headers: dict[str, str]
    body: str


def audit_row(
    actor: str, action: str, target: str, before: Any, after: Any, at: datetime
) -> dict[str, Any]:
    return {
        "actor": actor[:64], "action": action[:64], "target": target[:256],
        "before": before, "after": after, "at": at,
    }  # fmt: skip


#: ``after`` of an audit entry, or a function of the unit of work that reads it just before
#: the commit (an upsert's stored form is known only once the write is flushed).
After = Any | Callable[["AuditedUnitOfWork"], Any]
#: Both sides of an audit entry read just before the commit.
Sides = Callable[["AuditedUnitOfWork"], tuple[Any, Any]]


class AuditedUnitOfWork(SqlTrackingUnitOfWork):
    """The SQL unit of work whose commit also writes the audit entries queued with ``audit``.

    The entries go in the same transaction as the change: a write that fails or rolls back
    leaves no audit row, and a write that commits always has one. An entry whose ``before`` and
    ``after`` are equal (nothing changed) is not written.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._audits: list[tuple[str, str, str, Sides]] = []

    def audit(self, actor: str, action: str, target: str, before: Any, after: After) -> None:
        def sides(uow: AuditedUnitOfWork) -> tuple[Any, Any]:
            return before, after(uow) if callable(after) else after

        self.audit_sides(actor, action, target, sides)

    def audit_sides(self, actor: str, action: str, target: str, sides: Sides) -> None:
        """Queue an entry whose before and after are both read at commit time."""
        self._audits.append((actor, action, target, sides))

    def _commit_transaction(self) -> None:
        queued, self._audits = self._audits, []
        now = datetime.now(UTC)
        rows = []
        for actor, action, target, sides in queued:
            before, after = sides(self)
            if before != after:
                rows.append(audit_row(actor, action, target, before, after, now))
        if rows:
            self.connection.execute(sa.insert(a.audit_log), rows)
        super()._commit_transaction()

    def _rollback_transaction(self) -> None:
        self._audits = []
        super()._rollback_transaction()


def load_orders(uow: AuditedUnitOfWork, refs: Sequence[str]) -> list[Order]:
    """The stored orders among ``refs``, read in bulk (a chunked ``IN``, not one query per
    ref) and tracked by ``uow`` like any it hands out; absent refs are left out."""
    orders = uow.orders
    assert isinstance(orders, TrackedOrders)
    uow.flush()
    missing = [r for r in refs if r not in orders._seen]
    records = orders._gateway.fetch(missing) if missing else {}
    for record in records.values():
        orders._track(record)
    found = (orders._seen.get(r) for r in refs)
    return [o for o in found if o is not None]


class SqlApiStore(DispatchQueries):
    """Every table the API owns; each call is its own short transaction unless given one
    (``conn``) from :meth:`begin`, so a write and its audit entry commit together. The
    dispatched days' queries are in :class:`~lastmile.store.dispatch_queries.DispatchQueries`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """One transaction: committed at the end of the block, rolled back on an error."""
        with self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _within(self, conn: sa.Connection | None) -> Iterator[sa.Connection]:
        if conn is not None:
            yield conn
        else:
            with self._engine.begin() as own:
                yield own

    # api keys
    def add_key(self, key: StoredKey, conn: sa.Connection | None = None) -> None:
        with self._within(conn) as c:
            c.execute(sa.insert(a.api_keys), [vars(key)])

    def get_key(self, key_id: str) -> StoredKey | None:
        c = a.api_keys.c
        stmt = sa.select(*(col for col in a.api_keys.c if col.name != "id"))
        with self._engine.connect() as conn:
            row = conn.execute(stmt.where(c.key_id == key_id)).mappings().first()
        return StoredKey(**row) if row else None

    def list_keys(self) -> list[StoredKey]:
        stmt = sa.select(*(col for col in a.api_keys.c if col.name != "id"))
        with self._engine.connect() as conn:
            rows = conn.execute(stmt.order_by(a.api_keys.c.id)).mappings()
            return [StoredKey(**r) for r in rows]

    def revoke_key(self, key_id: str, at: datetime, conn: sa.Connection | None = None) -> None:
        c = a.api_keys.c
        stmt = sa.update(a.api_keys).where(c.key_id == key_id, c.revoked_at.is_(None))
        with self._within(conn) as tx:
            if tx.execute(stmt.values(revoked_at=at)).rowcount != 1:
                raise NotFound("active api key", key_id)

    # idempotency
    def claim(
        self, scope: str, key: str, request_hash: str, now: datetime | None = None
    ) -> StoredResponse | None:
        """Reserve ``key`` for a request about to run; ``None`` when it is now ours.

        Otherwise the row already there: a finished answer to replay (or to refuse, if its
        request differs), or an in-flight claim (``status_code`` 0) of a concurrent request.
        Expired answers and claims abandoned for ``IDEMPOTENCY_CLAIM`` are cleared first.
        """
        now = now or datetime.now(UTC)
        c = a.idempotency_keys.c
        stale = sa.delete(a.idempotency_keys).where(
            c.scope == scope,
            sa.or_(
                c.created_at <= now - IDEMPOTENCY_TTL,
                sa.and_(c.status_code == 0, c.created_at <= now - IDEMPOTENCY_CLAIM),
            ),
        )
        row = {"scope": scope, "key": key, "request_hash": request_hash, "status_code": 0,
               "headers": {}, "body": "", "created_at": now}  # fmt: skip
        try:
            with self._engine.begin() as conn:
                conn.execute(stale)
                conn.execute(sa.insert(a.idempotency_keys), [row])
            return None
        except sa.exc.IntegrityError:
            pass
        stmt = sa.select(c.request_hash, c.status_code, c.headers, c.body)
        with self._engine.connect() as conn:
            found = conn.execute(stmt.where(c.scope == scope, c.key == key)).mappings().first()
        if found is None:  # released in between: the caller may simply try again
            raise Conflict(f"Idempotency-Key {key!r} is being used by a concurrent request")
        return StoredResponse(**found)

    def store_response(
        self, scope: str, key: str, response: StoredResponse, now: datetime | None = None
    ) -> None:
        """Turn our claim on ``key`` into the answer to replay for ``IDEMPOTENCY_TTL``."""
        c = a.idempotency_keys.c
        values = {**vars(response), "created_at": now or datetime.now(UTC)}
        stmt = sa.update(a.idempotency_keys).where(c.scope == scope, c.key == key)
        with self._engine.begin() as conn:
            conn.execute(stmt.values(**values))

    def release(self, scope: str, key: str) -> None:
        """Give up our claim (an outcome a retry should not replay: 5xx, 401, 403, 429)."""
        c = a.idempotency_keys.c
        stmt = sa.delete(a.idempotency_keys).where(
            c.scope == scope, c.key == key, c.status_code == 0
        )
        with self._engine.begin() as conn:
            conn.execute(stmt)

    # audit
    def audit(
        self, actor: str, action: str, target: str, before: Any, after: Any, at: datetime,
        conn: sa.Connection | None = None,
    ) -> None:  # fmt: skip
        with self._within(conn) as tx:
            row = audit_row(actor, action, target, before, after, at)
            tx.execute(sa.insert(a.audit_log), [row])

    def audit_entries(self, limit: int, before_id: int | None = None) -> list[dict[str, Any]]:
        c = a.audit_log.c
        stmt = sa.select(a.audit_log).order_by(c.id.desc()).limit(limit)
        if before_id is not None:
            stmt = stmt.where(c.id < before_id)
        with self._engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    # tracking tokens
    def add_token(
        self, token_hash: str, order_ref: str, expires_at: datetime,
        conn: sa.Connection | None = None,
    ) -> None:  # fmt: skip
        row = {
            "token_hash": token_hash, "order_ref": order_ref,
            "expires_at": expires_at, "created_at": datetime.now(UTC),
        }  # fmt: skip
        with self._within(conn) as tx:
            tx.execute(sa.insert(a.tracking_tokens), [row])

    def token_order(self, token_hash: str, now: datetime) -> str | None:
        c = a.tracking_tokens.c
        stmt = sa.select(c.order_ref).where(c.token_hash == token_hash, c.expires_at > now)
        with self._engine.connect() as conn:
            return conn.execute(stmt).scalar()

    # plan jobs
    def add_plan_job(self, row: dict[str, Any], conn: sa.Connection | None = None) -> None:
        with self._within(conn) as tx:
            tx.execute(sa.insert(a.plan_jobs), [row])

    def update_plan_job(self, ref: str, **values: Any) -> None:
        stmt = sa.update(a.plan_jobs).where(a.plan_jobs.c.ref == ref)
        with self._engine.begin() as conn:
            conn.execute(stmt.values(updated_at=datetime.now(UTC), **values))

    def plan_job(self, ref: str) -> dict[str, Any] | None:
        stmt = sa.select(a.plan_jobs).where(a.plan_jobs.c.ref == ref)
        with self._engine.connect() as conn:
            row = conn.execute(stmt).mappings().first()
        return {k: v for k, v in row.items() if k != "id"} if row else None

    # dispatched days
