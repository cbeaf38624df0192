"""Webhook subscriptions (the secret is shown once) and the log of delivery attempts."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field, field_validator

from lastmile.api.auth import Action, Principal
from lastmile.api.deps import ServicesDep, audit_now, require
from lastmile.notify.ports import Subscription
from lastmile.notify.webhooks import EVENT_TYPES

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
READ = Depends(require("webhooks", Action.READ))
WRITE = Depends(require("webhooks", Action.WRITE))


class WebhookCreate(BaseModel):
    url: str = Field(min_length=8, max_length=2048)
    event_types: list[str] = Field(min_length=1, max_length=len(EVENT_TYPES) + 1)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        return value

    @field_validator("event_types")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t != "*" and t not in EVENT_TYPES]
        if unknown:
            raise ValueError(f"unknown event types {unknown}; known: {', '.join(EVENT_TYPES)}")
        return sorted(set(value))


class WebhookOut(BaseModel):
    ref: str
    url: str
    event_types: list[str]
    active: bool
    secret: str | None = Field(default=None, description="only in the response that creates it")


@router.post("", status_code=201, summary="Subscribe a URL", operation_id="create_webhook")
def create_webhook(
    body: WebhookCreate, svc: ServicesDep, who: Annotated[Principal, WRITE]
) -> WebhookOut:
    sub = Subscription(
        uuid.uuid4().hex[:16], body.url, "whsec_" + secrets.token_urlsafe(24),
        tuple(body.event_types),
    )  # fmt: skip
    shown = {"url": sub.url, "event_types": list(sub.event_types)}
    with svc.api_store.begin() as conn:
        svc.webhooks.add_subscription(sub, datetime.now(UTC), conn=conn)
        audit_now(svc, conn, who, "webhook.create", f"webhooks/{sub.ref}", None, shown)
    return WebhookOut(ref=sub.ref, active=True, secret=sub.secret, **shown)


@router.get("", summary="List subscriptions", operation_id="list_webhooks")
def list_webhooks(svc: ServicesDep, _: Annotated[Principal, READ]) -> list[WebhookOut]:
    return [
        WebhookOut(ref=s.ref, url=s.url, event_types=list(s.event_types), active=s.active)
        for s in svc.webhooks.subscriptions()
    ]


@router.delete("/{ref}", status_code=204, summary="Unsubscribe", operation_id="delete_webhook")
def delete_webhook(ref: str, svc: ServicesDep, who: Annotated[Principal, WRITE]) -> Response:
    old = svc.webhooks.get_subscription(ref)
    before = {"url": old.url, "event_types": list(old.event_types)} if old else {"ref": ref}
    with svc.api_store.begin() as conn:
        svc.webhooks.remove_subscription(ref, conn=conn)
        audit_now(svc, conn, who, "webhook.delete", f"webhooks/{ref}", before, None)
    return Response(status_code=204)


@router.get("/attempts", summary="Delivery attempts, newest first", operation_id="webhook_attempts")
def webhook_attempts(
    svc: ServicesDep, _: Annotated[Principal, READ], event_id: str | None = None
) -> list[dict[str, Any]]:
    rows = svc.webhooks.attempts(event_id)
    for row in rows:
        row.pop("id", None)
        row["at"] = row["at"].isoformat()
    return rows
