"""Webhooks end to end: outbox -> worker -> a real HTTP server on loopback, signatures checked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from lastmile.api.worker import build_worker
from lastmile.bootstrap import init_database, uow_factory
from lastmile.domain import Address, Coordinate, Hub, Order
from lastmile.notify.ports import Subscription
from lastmile.notify.webhooks import Backoff
from lastmile.store.db import make_engine
from lastmile.store.webhook_repositories import SqlWebhookStore
from tests.integration.notify.receiver import Received, Receiver

pytestmark = pytest.mark.storage
SECRET = "whsec_test"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def url(database_url: str) -> Iterator[str]:
    yield init_database(database_url)


def subscribe(url: str, hook: str, types: tuple[str, ...] = ("*",)) -> None:
    engine = make_engine(url)
    SqlWebhookStore(engine).add_subscription(
        Subscription("sub1", hook, SECRET, types), datetime.now(UTC)
    )
    engine.dispose()


def place_orders(url: str, count: int, prefix: str = "O") -> None:
    factory = uow_factory(url)
    with factory() as uow:
        if uow.hubs.get("H1") is None:
            uow.hubs.add(Hub("H1", "Hub", Coordinate(52.5, 13.4), "Europe/Berlin"))
        for n in range(count):
            order = Order(f"{prefix}{n:03d}", "H1", Address("x", Coordinate(52.5, 13.4)))
            order.placed()
            uow.orders.add(order)
            uow.publish(order.pull_events())
        uow.commit()
    factory.dispose()


def outbox_ids(url: str) -> set[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        ids = {r[0] for r in conn.execute(sa.text("SELECT event_id FROM outbox"))}
    engine.dispose()
    return ids


def drain(url: str, backoff: Backoff | None = None, until: float = 20.0) -> None:
    worker, dispose = build_worker(url, backoff)
    deadline = time.monotonic() + until
    try:
        while worker.run_once() and time.monotonic() < deadline:
            pass
    finally:
        dispose()


def test_a_placed_order_reaches_the_receiver_signed_with_the_full_entity(url: str) -> None:
    received = Received(secret=SECRET)
    with Receiver(received) as receiver:
        subscribe(url, receiver.url, ("order.created",))
        place_orders(url, 2)
        drain(url)
    assert received.bad_signatures == 0
    assert received.ids == outbox_ids(url)
    body = received.bodies[0]
    assert body["type"] == "order.created"
    assert body["data"]["object"]["ref"] in ("O000", "O001")
    assert body["data"]["object"]["state"] == "created"
    assert received.header_ids == [b["id"] for b in received.bodies]


def test_events_nobody_subscribed_to_are_not_sent(url: str) -> None:
    received = Received(secret=SECRET)
    with Receiver(received) as receiver:
        subscribe(url, receiver.url, ("order.delivered",))
        place_orders(url, 2)
        drain(url)
    assert received.bodies == []


def test_a_failing_receiver_is_retried_with_the_same_event_id_and_every_attempt_logged(
    url: str,
) -> None:
    received = Received(secret=SECRET, fail_first=2)
    with Receiver(received) as receiver:
        subscribe(url, receiver.url)
        place_orders(url, 1)
        backoff = Backoff(base_s=0.05)
        deadline = time.monotonic() + 20
        while not received.bodies and time.monotonic() < deadline:
            drain(url, backoff)
            time.sleep(0.05)
    (event_id,) = outbox_ids(url)
    assert received.ids == {event_id}
    attempts = SqlWebhookStore(make_engine(url)).attempts(event_id)
    assert [a["status_code"] for a in reversed(attempts)] == [503, 503, 204]
    assert [a["attempt"] for a in reversed(attempts)] == [1, 2, 3]


def _start_worker(url: str) -> subprocess.Popen[bytes]:
    code = "from lastmile.cli import main; main()"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen(
        [sys.executable, "-c", code, "worker", "--database", url, "--interval", "0.05"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_killing_the_worker_mid_delivery_loses_no_event_and_keeps_ids(url: str) -> None:
    received = Received(secret=SECRET, delay_s=0.03)
    with Receiver(received) as receiver:
        subscribe(url, receiver.url)
        place_orders(url, 60)
        expected = outbox_ids(url)
        first = _start_worker(url)
        try:
            assert _wait(lambda: len(received.ids) >= 10, 60), "the worker delivered nothing"
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        before_restart = len(received.ids)
        assert before_restart < len(expected), "all delivered before the kill; nothing tested"
        second = _start_worker(url)
        try:
            assert _wait(lambda: received.ids == expected, 90), "events were lost"
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(10)
    assert received.bad_signatures == 0
    assert all(b["id"] == h for b, h in zip(received.bodies, received.header_ids, strict=True))
    assert {b["data"]["object"]["ref"] for b in received.bodies} == {f"O{n:03d}" for n in range(60)}
