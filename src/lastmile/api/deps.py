"""FastAPI dependencies: the caller's key, role checks, rate limits and the audit log."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy import Connection

from lastmile.api.auth import Action, Principal, Role, allowed, secret_matches, split_key
from lastmile.api.services import Services
from lastmile.domain.errors import InvalidInput
from lastmile.store.api_repositories import After, AuditedUnitOfWork

API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="lm_<id>_<secret>")


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


def principal(
    svc: ServicesDep, presented: Annotated[str | None, Security(API_KEY)] = None
) -> Principal:
    """The caller, or 401; then one token from its bucket, or 429 with Retry-After."""
    if not presented:
        raise HTTPException(401, "an X-API-Key header is required")
    try:
        key_id, secret = split_key(presented)
    except InvalidInput:
        raise HTTPException(401, "the API key is malformed") from None
    stored = svc.api_store.get_key(key_id)
    if stored is None or stored.revoked_at is not None:
        raise HTTPException(401, "the API key is unknown or revoked")
    if not secret_matches(secret, stored.secret_hash):
        raise HTTPException(401, "the API key is unknown or revoked")
    wait = svc.limiter.take(key_id)
    if wait > 0:
        retry = str(max(1, math.ceil(wait)))
        raise HTTPException(429, "rate limit exceeded", headers={"Retry-After": retry})
    return Principal(key_id, Role(stored.role), stored.driver_ref)


PrincipalDep = Annotated[Principal, Depends(principal)]


def require(resource: str, action: Action) -> Callable[[Principal], Principal]:
    """A dependency that lets the caller through only if its role allows the action."""

    def check(who: PrincipalDep) -> Principal:
        if not allowed(who.role, resource, action):
            raise HTTPException(403, f"role {who.role.value!r} may not {action.value} {resource}")
        return who

    return check


def audit(
    uow: AuditedUnitOfWork, who: Principal, action: str, target: str, before: Any, after: After
) -> None:
    """Queue one audit entry (who, what, before, after) on ``uow``: it is written by the
    commit of the change it describes, in the same transaction, and never without it."""
    uow.audit(who.actor, action, target, before, after)


def audit_now(
    svc: Services, conn: Connection, who: Principal, action: str, target: str, before: Any,
    after: Any,
) -> None:  # fmt: skip
    """The audit entry of a write to the API's own tables, on that write's connection."""
    svc.api_store.audit(who.actor, action, target, before, after, datetime.now(UTC), conn=conn)
