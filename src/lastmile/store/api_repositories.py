"""SQL side of the HTTP API: api keys, idempotency records, audit log, tracking tokens, jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lastmile.domain.errors import Conflict, NotFound
from lastmile.store import api_tables as a

#: How long a POST's answer is replayed for its Idempotency-Key (docs/api.md).
IDEMPOTENCY_TTL = timedelta(hours=24)


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


class SqlApiStore:
    """Every table the API owns; each call is its own short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # api keys
    def add_key(self, key: StoredKey) -> None:
        with self._engine.begin() as conn:
            conn.execute(sa.insert(a.api_keys), [vars(key)])

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

    def revoke_key(self, key_id: str, at: datetime) -> None:
        c = a.api_keys.c
        stmt = sa.update(a.api_keys).where(c.key_id == key_id, c.revoked_at.is_(None))
        with self._engine.begin() as conn:
            if conn.execute(stmt.values(revoked_at=at)).rowcount != 1:
                raise NotFound("active api key", key_id)

    # idempotency
    def stored_response(
        self, scope: str, key: str, now: datetime | None = None
    ) -> StoredResponse | None:
        """The answer stored for ``key`` in ``scope`` unless it is older than the TTL."""
        c = a.idempotency_keys.c
        since = (now or datetime.now(UTC)) - IDEMPOTENCY_TTL
        stmt = sa.select(c.request_hash, c.status_code, c.headers, c.body).where(
            c.scope == scope, c.key == key, c.created_at > since
        )
        with self._engine.connect() as conn:
            row = conn.execute(stmt).mappings().first()
        return StoredResponse(**row) if row else None

    def store_response(
        self, scope: str, key: str, response: StoredResponse, now: datetime | None = None
    ) -> None:
        """Remember an answer; the scope's expired answers are forgotten on the way."""
        now = now or datetime.now(UTC)
        row = {"scope": scope, "key": key, **vars(response), "created_at": now}
        c = a.idempotency_keys.c
        expired = sa.delete(a.idempotency_keys).where(
            c.scope == scope, c.created_at <= now - IDEMPOTENCY_TTL
        )
        try:
            with self._engine.begin() as conn:
                conn.execute(expired)
                conn.execute(sa.insert(a.idempotency_keys), [row])
        except sa.exc.IntegrityError:
            raise Conflict(f"Idempotency-Key {key!r} was used by a concurrent request") from None

    # audit
    def audit(
        self, actor: str, action: str, target: str, before: Any, after: Any, at: datetime
    ) -> None:
        row = {
            "actor": actor, "action": action, "target": target[:256],
            "before": before, "after": after, "at": at,
        }  # fmt: skip
        with self._engine.begin() as conn:
            conn.execute(sa.insert(a.audit_log), [row])

    def audit_entries(self, limit: int, before_id: int | None = None) -> list[dict[str, Any]]:
        c = a.audit_log.c
        stmt = sa.select(a.audit_log).order_by(c.id.desc()).limit(limit)
        if before_id is not None:
            stmt = stmt.where(c.id < before_id)
        with self._engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    # tracking tokens
    def add_token(self, token_hash: str, order_ref: str, expires_at: datetime) -> None:
        row = {
            "token_hash": token_hash, "order_ref": order_ref,
            "expires_at": expires_at, "created_at": datetime.now(UTC),
        }  # fmt: skip
        with self._engine.begin() as conn:
            conn.execute(sa.insert(a.tracking_tokens), [row])

    def token_order(self, token_hash: str, now: datetime) -> str | None:
        c = a.tracking_tokens.c
        stmt = sa.select(c.order_ref).where(c.token_hash == token_hash, c.expires_at > now)
        with self._engine.connect() as conn:
            return conn.execute(stmt).scalar()

    # plan jobs
    def add_plan_job(self, row: dict[str, Any]) -> None:
        with self._engine.begin() as conn:
            conn.execute(sa.insert(a.plan_jobs), [row])

    def update_plan_job(self, ref: str, **values: Any) -> None:
        stmt = sa.update(a.plan_jobs).where(a.plan_jobs.c.ref == ref)
        with self._engine.begin() as conn:
            conn.execute(stmt.values(updated_at=datetime.now(UTC), **values))

    def plan_job(self, ref: str) -> dict[str, Any] | None:
        stmt = sa.select(a.plan_jobs).where(a.plan_jobs.c.ref == ref)
        with self._engine.connect() as conn:
            row = conn.execute(stmt).mappings().first()
        return {k: v for k, v in row.items() if k != "id"} if row else None
