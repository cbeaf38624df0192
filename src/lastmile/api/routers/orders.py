"""Orders: upsert by external reference (single or up to 1,000), filters, cancel, tracking."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from lastmile.api import pagination
from lastmile.api.auth import Action, Principal, hash_secret
from lastmile.api.deps import ServicesDep, audit, require
from lastmile.api.records import (
    MAX_BATCH,
    body_model,
    context_of,
    first_error,
    row_of,
    upsert_rows,
    write_row,
)
from lastmile.dispatch.ports import UnitOfWork
from lastmile.domain import LifecycleState, Order
from lastmile.domain.errors import InvalidInput, NotFound
from lastmile.exchange import Context, Kind

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


def _states(status: str | None) -> list[LifecycleState] | None:
    if status is None:
        return None
    try:
        return [LifecycleState(s) for s in status.split(",")]
    except ValueError:
        names = ", ".join(s.value for s in LifecycleState)
        raise InvalidInput(f"unknown status; one of {names}", field="status") from None


@router.get("", summary="List orders", operation_id="list_orders")
def list_orders(
    svc: ServicesDep,
    _: Annotated[Principal, READ],
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = 100,
    cursor: str | None = None,
    hub: str | None = None,
    zone: str | None = None,
    status: Annotated[str | None, Query(description="states, comma separated")] = None,
    date: Annotated[str | None, Query(description="service date YYYY-MM-DD")] = None,
) -> pagination.Page:
    with svc.uow() as uow:
        found = uow.orders.list_by(
            hub_ref=hub,
            states=_states(status),
            service_date=date,
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
    report = upsert_rows(svc.uow(), Kind.ORDERS, [row], all_or_nothing=True)
    if report.rejections:
        raise first_error(report)
    with svc.uow() as uow:
        after = order_view(_get(uow, row["ref"]), context_of(uow))
    if not report.inserted:
        response.status_code = 200
    if before != after:
        audit(svc, who, "order.upsert", f"orders/{row['ref']}", before, after)
    return after


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
    report = upsert_rows(svc.uow(), Kind.ORDERS, rows, all_or_nothing=False)
    rejections = [
        {"index": r.row - 1, "ref": r.ref, "field": r.field, "reason": r.reason}
        for r in report.rejections
    ]
    if report.inserted or report.updated:
        changed = {"inserted": report.inserted, "updated": report.updated}
        audit(svc, who, "order.batch", "orders", None, changed)
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
        uow.commit()
    audit(svc, who, "order.cancel", f"orders/{ref}", before, after)
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
    svc.api_store.add_token(hash_secret(token), ref, expires)
    audit(svc, who, "tracking_token.create", f"orders/{ref}", None, {"expires_at": str(expires)})
    return TokenOut(token=token, order_ref=ref, expires_at=expires, url=f"/v1/track/{token}")
