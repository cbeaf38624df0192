"""The webhook worker over in-memory fakes: fan-out, backoff, giving up after 24 hours."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lastmile.notify.ports import Attempt, Subscription, WebhookJob
from lastmile.notify.webhooks import Backoff, WebhookWorker, webhook_type

T0 = datetime(2026, 11, 24, 8, tzinfo=UTC)


@dataclass
class Entry:
    event_id: str
    event_type: str
    aggregate_ref: str
    payload: dict[str, Any]
    created_at: datetime
    delivered: bool = False


class FakeOutbox:
    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries

    def pending(self, limit: int = 100, max_attempts: int = 10) -> Sequence[Entry]:
        return [e for e in self.entries if not e.delivered][:limit]

    def mark_delivered(self, event_id: str, at: datetime | None = None) -> None:
        next(e for e in self.entries if e.event_id == event_id).delivered = True

    def mark_failed(self, event_id: str, error: str) -> None:
        raise AssertionError("the worker settles jobs, not outbox rows")


class FakeStore:
    def __init__(self, subs: list[Subscription]) -> None:
        self.subs = subs
        self.jobs: dict[tuple[str, str], tuple[WebhookJob, str]] = {}
        self.log: list[tuple[str, Attempt, str]] = []

    def subscriptions(self) -> list[Subscription]:
        return self.subs

    def get_subscription(self, ref: str) -> Subscription | None:
        return next((s for s in self.subs if s.ref == ref), None)

    def enqueue(self, jobs: Sequence[WebhookJob]) -> None:
        for job in jobs:
            self.jobs.setdefault((job.event_id, job.subscription_ref), (job, "pending"))

    def due(self, now: datetime, limit: int) -> list[WebhookJob]:
        return [j for j, s in self.jobs.values() if s == "pending" and j.next_attempt_at <= now]

    def settle(
        self, job: WebhookJob, attempt: Attempt, at: datetime, status: str, next_at: datetime
    ) -> None:
        moved = replace(job, attempts=job.attempts + 1, next_attempt_at=next_at)
        self.jobs[(job.event_id, job.subscription_ref)] = (moved, status)
        self.log.append((job.event_id, attempt, status))


class Entities:
    def current(self, event_type: str, aggregate_ref: str) -> Mapping[str, Any] | None:
        return {"ref": aggregate_ref, "state": "created"}


class Poster:
    def __init__(self, codes: list[int]) -> None:
        self.codes = codes
        self.sent: list[tuple[str, bytes, Mapping[str, str]]] = []

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        self.sent.append((url, body, headers))
        return self.codes.pop(0) if self.codes else 200


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def placed(n: int) -> Entry:
    payload = {"type": "OrderPlaced", "order_ref": f"O{n}", "occurred_at": T0.isoformat()}
    return Entry(f"e{n}", "OrderPlaced", f"O{n}", payload, T0)


def worker(entries: list[Entry], codes: list[int], types: tuple[str, ...] = ("*",)) -> Any:
    clock = Clock()
    store = FakeStore([Subscription("s1", "http://x/hook", "k", types)])
    poster = Poster(codes)
    w = WebhookWorker(FakeOutbox(entries), store, Entities(), poster, clock=clock)
    return w, store, poster, clock


@pytest.mark.parametrize(
    ("event_type", "payload", "expected"),
    [
        ("OrderPlaced", {}, "order.created"),
        ("OrderStateChanged", {"to_state": "planned"}, "order.planned"),
        ("OrderStateChanged", {"to_state": "arrived"}, "stop.arrived"),
        ("OrderStateChanged", {"to_state": "completed", "outcome": "delivered"}, "order.delivered"),
        ("OrderStateChanged", {"to_state": "completed", "outcome": "failed"}, "order.failed"),
        ("PlanCreated", {}, "plan.created"),
        ("ExceptionOpened", {}, "exception.opened"),
    ],
)
def test_domain_events_get_their_public_webhook_names(
    event_type: str, payload: dict[str, Any], expected: str
) -> None:
    assert webhook_type(event_type, payload) == expected


def test_the_payload_carries_the_event_id_type_time_and_the_current_entity() -> None:
    w, _, poster, _ = worker([placed(1)], [])
    w.run_once()
    ((_, body, headers),) = poster.sent
    data = json.loads(body)
    assert data["id"] == "e1" == headers["Lastmile-Event-Id"]
    assert data["type"] == "order.created" and data["created_at"] == T0.isoformat()
    assert data["data"]["object"] == {"ref": "O1", "state": "created"}
    assert headers["Lastmile-Signature"].startswith("t=")


def test_a_failed_delivery_waits_longer_each_time_and_keeps_the_body() -> None:
    w, store, poster, clock = worker([placed(1)], [500, 500, 500])
    w.run_once()
    delays = []
    for _ in range(3):
        job, status = store.jobs[("e1", "s1")]
        assert status == "pending"
        delays.append(job.next_attempt_at - clock.now)
        assert w.deliver_due() == 0  # not due yet
        clock.now = job.next_attempt_at
        w.deliver_due()
    assert delays == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40)]
    assert len({body for _, body, _ in poster.sent}) == 1
    assert store.jobs[("e1", "s1")][1] == "delivered"


def test_deliveries_stop_after_24_hours_of_failures() -> None:
    w, store, _, clock = worker([placed(1)], [500] * 1000)
    w.run_once()
    while store.jobs[("e1", "s1")][1] == "pending":
        clock.now = store.jobs[("e1", "s1")][0].next_attempt_at
        w.deliver_due()
    assert store.jobs[("e1", "s1")][1] == "dead"
    assert clock.now - T0 <= timedelta(hours=24)
    assert clock.now - T0 >= timedelta(hours=22)


def test_fan_out_twice_queues_each_event_once() -> None:
    entries = [placed(1), placed(2)]
    w, store, _, _ = worker(entries, [])
    w.fan_out()
    for e in entries:
        e.delivered = False  # as if the process died before marking the outbox
    w.fan_out()
    assert sorted(store.jobs) == [("e1", "s1"), ("e2", "s1")]


def test_only_subscribed_types_are_queued() -> None:
    w, store, _, _ = worker([placed(1)], [], types=("order.delivered",))
    w.fan_out()
    assert store.jobs == {}


def test_backoff_is_capped_at_an_hour() -> None:
    assert Backoff().delay(30) == timedelta(hours=1)
