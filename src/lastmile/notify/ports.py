"""What the webhook sender needs from the outside: the outbox, its own tables, HTTP, entities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class OutboxEntry(Protocol):
    """An event the unit of work wrote in the same transaction as its change."""

    event_id: str
    event_type: str
    aggregate_ref: str
    payload: dict[str, Any]
    created_at: datetime


class Outbox(Protocol):
    def pending(self, limit: int = 100, max_attempts: int = 10) -> Sequence[OutboxEntry]: ...

    def mark_delivered(self, event_id: str, at: datetime | None = None) -> None: ...

    def mark_failed(self, event_id: str, error: str) -> None: ...


@dataclass(frozen=True)
class Subscription:
    ref: str
    url: str
    secret: str
    event_types: tuple[str, ...]
    active: bool = True

    def wants(self, event_type: str) -> bool:
        return self.active and ("*" in self.event_types or event_type in self.event_types)


@dataclass(frozen=True)
class WebhookJob:
    """One event for one subscriber; ``body`` is frozen at fan-out so retries send the same."""

    event_id: str
    subscription_ref: str
    event_type: str
    body: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    error: str | None
    duration_ms: int


class WebhookStore(Protocol):
    def subscriptions(self) -> list[Subscription]: ...

    def get_subscription(self, ref: str) -> Subscription | None: ...

    def enqueue(self, jobs: Sequence[WebhookJob]) -> None:
        """Insert jobs, ignoring (event, subscription) pairs already queued."""
        ...

    def due(self, now: datetime, limit: int) -> list[WebhookJob]: ...

    def settle(
        self, job: WebhookJob, attempt: Attempt, at: datetime, status: str, next_at: datetime
    ) -> None:
        """Log the attempt and move the job to ``status`` (pending/delivered/dead)."""
        ...


class EntityReader(Protocol):
    def current(self, event_type: str, aggregate_ref: str) -> Mapping[str, Any] | None:
        """The entity an event is about, as it is now (``None`` when it is gone)."""
        ...


class HttpPoster(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST and return the status code; raise OSError-like errors on network failure."""
        ...
