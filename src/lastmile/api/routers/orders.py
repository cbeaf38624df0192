"""Orders: upsert by external reference (single or up to 1,000), filters, cancel, tracking."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from lastmile.api import pagination
from lastmile.api.auth import Action, Principal, hash_secret
from lastmile.api.deps import ServicesDep, audit, audit_now, require
from lastmile.api.records import (
    MAX_BATCH,
    body_model,
    context_of,
    first_error,
    row_of,
    upsert_rows,
    write_row,
)
from lastmile.api.routers import filters
from lastmile.dispatch.ports import UnitOfWork
from lastmile.domain import Order
from lastmile.domain.errors import NotFound
from lastmile.exchange import Context, Kind
from lastmile.store.api_repositories import AuditedUnitOfWork, load_orders

router = APIRouter(prefix="/v1/orders", tags=["orders"])
READ = Depends(require("orders", Action.READ))
WRITE = Depends(require("orders", Action.WRITE))
OrderRecord = body_model(Kind.ORDERS)


def order_view(order: Order, context: Context) -> dict[str, Any]:
    """The import row plus where the order is in its journey."""
    row = write_row(Kind.ORDERS, order, context)
    row.update(
        state=order.state.value,
        outcome=order.outcome.value if order.outcome else None,
        failure_reason=order.failure_reason.value if order.failure_reason else None,
        attempts=order.attempts,
        created_at=order.created_at.isoformat(),
    )
    return row


def _get(uow: UnitOfWork, ref: str) -> Order:
    order = uow.orders.get(ref)
    if order is None:
        raise NotFound("order", ref)
    return order


@router.get("", summary="List orders", operation_id="list_orders", dependencies=[filters.STRICT])
def list_orders(
    svc: ServicesDep,
    _: Annotated[Principal, READ],
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = 100,
    cursor: str | None = None,
    hub: filters.HubQuery = None,
    zone: filters.ZoneQuery = None,
    status: filters.StatesQuery = None,
    date: filters.DateQuery = None,
) -> pagination.Page:
    with svc.uow() as uow:
        found = uow.orders.list_by(
            hub_ref=hub,
            states=filters.states(status),
            service_date=filters.service_date(date),
            zone_ref=zone,
            limit=limit + 1,
            after_ref=pagination.decode(cursor),
        )
        context = context_of(uow)
        rows = [order_view(o, context) for o in found[:limit]]
    return pagination.page_of(rows, limit, len(found) > limit)


@router.get("/{ref}", summary="Get one order", operation_id="get_order")
def get_order(ref: str, svc: ServicesDep, _: Annotated[Principal, READ]) -> dict[str, Any]:
    with svc.uow() as uow:
        return order_view(_get(uow, ref), context_of(uow))


@router.post("", status_code=201, summary="Create or update an order", operation_id="upsert_order")
def upsert_order(
    body: OrderRecord,  # type: ignore[valid-type]
    response: Response,
    svc: ServicesDep,
    who: Annotated[Principal, WRITE],
) -> dict[str, Any]:
    row = row_of(body)
    with svc.uow() as uow:
        old = uow.orders.get(row["ref"])
        before = order_view(old, context_of(uow)) if old else None

    def stored(uow: AuditedUnitOfWork) -> dict[str, Any]:
        return order_view(_get(uow, row["ref"]), context_of(uow))

    work = svc.uow()
    audit(work, who, "order.upsert", f"orders/{row['ref']}", before, stored)
    report = upsert_rows(work, Kind.ORDERS, [row], all_or_nothing=True)
    if report.rejections:
        raise first_error(report)
    with svc.uow() as uow:
        after = stored(uow)
    if not report.inserted:
        response.status_code = 200
    return after


def _views(uow: AuditedUnitOfWork, refs: list[str]) -> dict[str, dict[str, Any]]:
    """The stored orders among ``refs`` as the API shows them (absent ones are left out)."""
    context = context_of(uow)
    return {o.ref: order_view(o, context) for o in load_orders(uow, refs)}


class OrderBatch(BaseModel):
    orders: list[OrderRecord] = Field(min_length=1, max_length=MAX_BATCH)  # type: ignore[valid-type]


class BatchResult(BaseModel):
    inserted: list[str]
    updated: list[str]
    unchanged: list[str]
    rejections: list[dict[str, Any]]


@router.post("/batch", summary="Create or update up to 1,000 orders", operation_id="batch_orders")
def batch_orders(
    body: OrderBatch, svc: ServicesDep, who: Annotated[Principal, WRITE]
) -> BatchResult:
    """Valid orders are stored; each invalid one is reported with its index, field and reason."""
    rows = [row_of(o) for o in body.orders]
    refs = sorted({str(r["ref"]) for r in rows})
    with svc.uow() as uow:
        before = _views(uow, refs)

    def sides(uow: AuditedUnitOfWork) -> tuple[Any, Any]:
        after = _views(uow, refs)
        changed = [ref for ref in refs if after.get(ref) != before.get(ref)]
        return {r: before.get(r) for r in changed}, {r: after.get(r) for r in changed}

    work = svc.uow()
    work.audit_sides(who.actor, "order.batch", "orders", sides)
    report = upsert_rows(work, Kind.ORDERS, rows, all_or_nothing=False)
    rejections = [
        {"index": r.row - 1, "ref": r.ref, "field": r.field, "reason": r.reason}
        for r in report.rejections
    ]
    return BatchResult(
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        rejections=rejections,
    )


class CancelBody(BaseModel):
    reason: str = Field(default="", max_length=500)


@router.post("/{ref}/cancel", summary="Cancel an order", operation_id="cancel_order")
def cancel_order(
    ref: str, body: CancelBody, svc: ServicesDep, who: Annotated[Principal, WRITE]
) -> dict[str, Any]:
    with svc.uow() as uow:
        order = _get(uow, ref)
        context = context_of(uow)
        before = order_view(order, context)
        order.cancel(reason=body.reason, at=datetime.now(UTC))
        uow.orders.add(order)
        uow.publish(order.pull_events())
        after = order_view(order, context)
        audit(uow, who, "order.cancel", f"orders/{ref}", before, after)
        uow.commit()
    return after


class TokenBody(BaseModel):
    ttl_hours: float = Field(default=72.0, gt=0, le=24 * 30)


class TokenOut(BaseModel):
    token: str
    order_ref: str
    expires_at: datetime
    url: str


@router.post(
    "/{ref}/tracking-tokens",
    status_code=201,
    summary="Issue a customer tracking token (shown once)",
    operation_id="create_tracking_token",
)
def create_tracking_token(
    ref: str,
    body: TokenBody,
    svc: ServicesDep,
    who: Annotated[Principal, Depends(require("tracking-tokens", Action.WRITE))],
) -> TokenOut:
    with svc.uow() as uow:
        _get(uow, ref)
    token = secrets.token_urlsafe(24)
    expires = datetime.now(UTC) + timedelta(hours=body.ttl_hours)
    with svc.api_store.begin() as conn:
        svc.api_store.add_token(hash_secret(token), ref, expires, conn=conn)
        shown = {"expires_at": expires.isoformat()}
        audit_now(svc, conn, who, "tracking_token.create", f"orders/{ref}", None, shown)
    return TokenOut(token=token, order_ref=ref, expires_at=expires, url=f"/v1/track/{token}")
