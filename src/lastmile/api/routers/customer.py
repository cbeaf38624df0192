"""The customer's view through a tracking token: read-only and masked.

Only the recipient's first name, the area (postcode, city, a location rounded to about a
kilometre), the journey state, the promised window and the ETA: the live one when the route's
vehicle is being tracked (``eta_source: live``), else the planned arrival. Never a full
address, a phone number or anyone else's data. Unknown and expired tokens look the same (404).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Path

from lastmile.api.auth import hash_secret
from lastmile.api.deps import ServicesDep
from lastmile.api.services import Services
from lastmile.domain import LifecycleState, Order
from lastmile.domain.errors import NotFound

router = APIRouter(prefix="/v1/track", tags=["tracking"])


def masked(order: Order, eta: datetime | None) -> dict[str, Any]:
    address = order.address
    first = order.recipient.name.split()[0] if order.recipient.name.strip() else ""
    window = order.window
    return {
        "order_ref": order.ref,
        "first_name": first,
        "state": order.state.value,
        "outcome": order.outcome.value if order.outcome else None,
        "area": {
            "postcode": address.postcode,
            "city": address.city,
            "lat": round(address.coordinate.lat, 2),
            "lon": round(address.coordinate.lon, 2),
        },
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()}
        if window
        else None,
        "eta": eta.isoformat() if eta else None,
    }


@router.get("/{token}", summary="Track one order (no API key)", operation_id="track_order")
def track_order(
    svc: ServicesDep, token: str = Path(min_length=16, max_length=128)
) -> dict[str, Any]:
    order_ref = svc.api_store.token_order(hash_secret(token), datetime.now(UTC))
    if order_ref is None:
        raise NotFound("tracking token", "…")
    with svc.uow() as uow:
        order = uow.orders.get(order_ref)
        if order is None:
            raise NotFound("tracking token", "…")
        plans = sorted(uow.plans.list(), key=lambda p: p.created_at, reverse=True)
        serving = next(
            ((r.ref, v.arrival) for p in plans for r in p.routes for v in r.visits
             if order_ref in v.order_refs),
            None,
        )  # the newest plan that serves the order  # fmt: skip
    if serving is None or order.state in FINISHED:
        return masked(order, None)
    live = _live_eta(svc, serving[0], order_ref)
    view = masked(order, live or serving[1])
    view["eta_source"] = "live" if live is not None else "plan"
    return view


#: Orders past these states wait for nobody: no ETA is shown.
FINISHED = frozenset({LifecycleState.COMPLETED, LifecycleState.RETURNED, LifecycleState.CANCELLED})


def _live_eta(svc: Services, route_ref: str, order_ref: str) -> datetime | None:
    """The route's current ETA for the order (its P50 when the learned model is on)."""
    from lastmile.store.tracking_repositories import SqlTrackingStore

    for prediction in SqlTrackingStore(svc.uow.engine).etas(route_ref).values():
        if order_ref in prediction.order_refs:
            return prediction.best
    return None
