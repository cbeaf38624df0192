"""Signed webhooks sent from the outbox: fan out each event to its subscribers, then deliver.

Two steps so that nothing is lost when the process dies. Fan-out turns an outbox event into
one job per interested subscription (inserting the same job twice is a no-op) and only then
marks the outbox row done; delivery posts due jobs and records every attempt. A kill between
posting and recording means one more delivery of the same event id: receivers deduplicate on
``id``. Failed deliveries are retried with exponential backoff for up to 24 hours.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lastmile.notify.ports import (
    Attempt,
    EntityReader,
    HttpPoster,
    Outbox,
    OutboxEntry,
    WebhookJob,
    WebhookStore,
)
from lastmile.notify.signing import SIGNATURE_HEADER, sign

#: Event types a subscription may name ("*" means all).
EVENT_TYPES = (
    "order.created", "order.updated", "order.planned", "order.dispatched", "order.loaded",
    "order.out_for_delivery", "stop.arrived", "order.delivered", "order.failed",
    "order.returned", "order.cancelled", "order.rescheduled", "order.ready",
    "plan.created", "plan.replanned", "route.dispatched", "eta.changed", "exception.opened",
    "vehicle.arrived", "vehicle.departed", "vehicle.long_stop", "route.drifted",
    "route.rejoined",
)  # fmt: skip

_STATE_TYPES = {"arrived": "stop.arrived"}
#: Domain events whose public name is not their class name in dotted form. A geofenced
#: arrival is ``vehicle.arrived`` (one per stop); ``stop.arrived`` is each order's arrival,
#: whether a geofence or a driver's scan saw it.
_NAMED = {
    "OrderPlaced": "order.created", "OrderRescheduled": "order.rescheduled",
    "OrderUpdated": "order.updated", "PlanCreated": "plan.created",
    "StopArrived": "vehicle.arrived", "StopDeparted": "vehicle.departed",
    "LongStop": "vehicle.long_stop",
}  # fmt: skip


def webhook_type(event_type: str, payload: dict[str, Any]) -> str:
    """The public name of a domain event (``OrderPlaced`` -> ``order.created``)."""
    if event_type in _NAMED:
        return _NAMED[event_type]
    if event_type == "OrderStateChanged":
        state = str(payload.get("to_state"))
        if state == "completed":
            return "order.delivered" if payload.get("outcome") == "delivered" else "order.failed"
        return _STATE_TYPES.get(state, f"order.{state}")
    words = "".join(f"_{c.lower()}" if c.isupper() else c for c in event_type).strip("_")
    return words.replace("_", ".", 1)


@dataclass(frozen=True)
class Backoff:
    """10 s, 20 s, 40 s ... capped at one hour, for at most ``give_up_after``."""

    base_s: float = 10.0
    cap_s: float = 3600.0
    give_up_after: timedelta = timedelta(hours=24)

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.cap_s, self.base_s * 2 ** max(0, attempts - 1)))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WebhookWorker:
    """Moves events from the outbox to subscribers; run it in a thread or its own process."""

    def __init__(
        self,
        outbox: Outbox,
        store: WebhookStore,
        entities: EntityReader,
        poster: HttpPoster,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.outbox, self.store, self.entities, self.poster = outbox, store, entities, poster
        self.backoff = backoff or Backoff()
        self.clock = clock

    def body(self, entry: OutboxEntry, kind: str) -> str:
        """The payload: event id, type, time and the full current entity."""
        entity = self.entities.current(entry.event_type, entry.aggregate_ref)
        return json.dumps(
            {
                "id": entry.event_id,
                "type": kind,
                "created_at": entry.created_at.astimezone(UTC).isoformat(),
                "occurred_at": entry.payload.get("occurred_at"),
                "data": {"object": dict(entity) if entity is not None else None},
                "event": entry.payload,
            },
            sort_keys=True,
            default=str,
        )

    def fan_out(self, limit: int = 100) -> int:
        """Queue one job per (event, subscription); returns how many events were handled."""
        entries = self.outbox.pending(limit=limit, max_attempts=1_000_000)
        if not entries:
            return 0
        subscriptions = self.store.subscriptions()
        now = self.clock()
        for entry in entries:
            kind = webhook_type(entry.event_type, entry.payload)
            wanted = [s for s in subscriptions if s.wants(kind)]
            if wanted:
                body = self.body(entry, kind)
                jobs = [
                    WebhookJob(entry.event_id, s.ref, kind, body, 0, now, entry.created_at)
                    for s in wanted
                ]
                self.store.enqueue(jobs)
            self.outbox.mark_delivered(entry.event_id, now)
        return len(entries)

    def deliver_due(self, limit: int = 50) -> int:
        """Post every job whose time has come; returns how many were attempted."""
        jobs = self.store.due(self.clock(), limit)
        for job in jobs:
            self._deliver(job)
        return len(jobs)

    def _deliver(self, job: WebhookJob) -> None:
        subscription = self.store.get_subscription(job.subscription_ref)
        now = self.clock()
        if subscription is None or not subscription.active:
            self.store.settle(job, Attempt(None, "subscription removed", 0), now, "dead", now)
            return
        body = job.body.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(subscription.secret, int(now.timestamp()), body),
            "Lastmile-Event-Id": job.event_id,
            "Lastmile-Event-Type": job.event_type,
        }
        began = time.perf_counter()
        try:
            code: int | None = self.poster.post(subscription.url, body, headers)
            error = None if 200 <= (code or 0) < 300 else f"HTTP {code}"
        except Exception as exc:  # any transport failure is one failed attempt, retried later
            code, error = None, f"{type(exc).__name__}: {exc}"[:500]
        attempt = Attempt(code, error, int((time.perf_counter() - began) * 1000))
        self.store.settle(job, attempt, now, *self._next(job, error, now))

    def _next(self, job: WebhookJob, error: str | None, now: datetime) -> tuple[str, datetime]:
        if error is None:
            return "delivered", now
        retry_at = now + self.backoff.delay(job.attempts + 1)
        if retry_at - job.created_at > self.backoff.give_up_after:
            return "dead", now
        return "pending", retry_at

    def run_once(self) -> int:
        return self.fan_out() + self.deliver_due()

    def run(self, stop: threading.Event, interval_s: float = 0.5) -> None:
        """Loop until ``stop`` is set; a failing round is logged and retried, never fatal."""
        import logging

        log = logging.getLogger("lastmile.notify")
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                log.exception("webhook round failed; retrying")
                busy = 0
            if not busy:
                stop.wait(interval_s)


class HttpxPoster:
    """Posts with httpx, short timeouts so one slow receiver cannot stall the queue long."""

    def __init__(self, timeout_s: float = 10.0) -> None:
        import httpx

        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        return self._client.post(url, content=body, headers=dict(headers)).status_code
