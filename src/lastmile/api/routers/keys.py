"""API keys (the key is shown once) and the audit log; administrators only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from lastmile.api.auth import Action, Principal, Role, generate_key
from lastmile.api.deps import ServicesDep, audit_now, require
from lastmile.api.services import Services
from lastmile.domain.errors import InvalidInput
from lastmile.store.api_repositories import StoredKey

router = APIRouter(tags=["api-keys"])
ADMIN = Depends(require("api-keys", Action.WRITE))


class KeyCreate(BaseModel):
    role: Role
    name: str = Field(default="", max_length=128)
    driver_ref: str | None = Field(default=None, max_length=128, description="for role driver")


class KeyOut(BaseModel):
    key_id: str
    role: Role
    name: str
    driver_ref: str | None
    created_at: datetime
    revoked_at: datetime | None = None
    key: str | None = Field(default=None, description="only in the response that creates it")


def create_key(
    svc: Services,
    role: Role,
    name: str,
    driver_ref: str | None,
    by: Principal | str | None = None,
) -> tuple[StoredKey, str]:
    """Store a new key; returns the row and the plaintext, which is never stored.

    With ``by`` (the caller, or an actor name such as ``"cli"``) the key and its audit entry
    are one transaction.
    """
    if (role is Role.DRIVER) != (driver_ref is not None):
        raise InvalidInput(
            "a driver key needs driver_ref; other roles take none", field="driver_ref"
        )
    if driver_ref is not None:
        with svc.uow() as uow:
            if uow.drivers.get(driver_ref) is None:
                raise InvalidInput(f"no driver {driver_ref!r}", field="driver_ref")
    new = generate_key()
    row = StoredKey(
        new.key_id, new.secret_hash, role.value, name, driver_ref, datetime.now(UTC), None
    )
    with svc.api_store.begin() as conn:
        svc.api_store.add_key(row, conn=conn)
        if by is not None:
            actor = by if isinstance(by, str) else by.actor
            shown = {"role": row.role, "name": name, "driver_ref": driver_ref}
            target = f"api-keys/{row.key_id}"
            svc.api_store.audit(actor, "api_key.create", target, None, shown, row.created_at, conn)
    return row, new.plaintext


def _out(row: StoredKey, key: str | None = None) -> KeyOut:
    return KeyOut(
        key_id=row.key_id, role=Role(row.role), name=row.name, driver_ref=row.driver_ref,
        created_at=row.created_at, revoked_at=row.revoked_at, key=key,
    )  # fmt: skip


@router.post("/v1/api-keys", status_code=201, summary="Create a key", operation_id="create_api_key")
def create_api_key(body: KeyCreate, svc: ServicesDep, who: Annotated[Principal, ADMIN]) -> KeyOut:
    row, plaintext = create_key(svc, body.role, body.name, body.driver_ref, by=who)
    return _out(row, plaintext)


@router.get("/v1/api-keys", summary="List keys (never the secrets)", operation_id="list_api_keys")
def list_api_keys(svc: ServicesDep, _: Annotated[Principal, ADMIN]) -> list[KeyOut]:
    return [_out(k) for k in svc.api_store.list_keys()]


@router.delete(
    "/v1/api-keys/{key_id}", status_code=204, summary="Revoke a key", operation_id="revoke_api_key"
)
def revoke_api_key(key_id: str, svc: ServicesDep, who: Annotated[Principal, ADMIN]) -> Response:
    now = datetime.now(UTC)
    with svc.api_store.begin() as conn:
        svc.api_store.revoke_key(key_id, now, conn=conn)
        before, after = {"revoked_at": None}, {"revoked_at": now.isoformat()}
        audit_now(svc, conn, who, "api_key.revoke", f"api-keys/{key_id}", before, after)
    return Response(status_code=204)


@router.get("/v1/audit", summary="Audit log, newest first", operation_id="list_audit")
def list_audit(
    svc: ServicesDep,
    _: Annotated[Principal, Depends(require("audit", Action.READ))],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> list[dict[str, Any]]:
    rows = svc.api_store.audit_entries(limit, before_id)
    for row in rows:
        row["at"] = row["at"].isoformat()
    return rows
