from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lastmile.store.db import make_engine, migrate
from lastmile.store.tracking_repositories import SqlTrackingStore
from lastmile.tracking.ingest import RejectReason, prepare_batch
from lastmile.tracking.model import Ping

pytestmark = pytest.mark.storage
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[SqlTrackingStore]:
    migrate(database_url)
    engine = make_engine(database_url)
    yield SqlTrackingStore(engine)
    engine.dispose()


def ping(seq: int, device: str = "d1", lat: float = 48.85, **kw: object) -> Ping:
    at = NOW - timedelta(minutes=30) + timedelta(seconds=seq * 5)
    return Ping(device, seq, at, lat + seq * 1e-5, 2.35, **kw)  # type: ignore[arg-type]


def ingest(store: SqlTrackingStore, pings: list[Ping]) -> int:
    latest = store.latest({p.device_id for p in pings})
    return store.store_batch(prepare_batch(pings, now=NOW, latest=latest), NOW).stored


@pytest.mark.parametrize("size", [50, 300])  # 300: the COPY path on PostgreSQL
def test_a_replayed_upload_stores_nothing_new(store: SqlTrackingStore, size: int) -> None:
    pings = [ping(i) for i in range(size)]
    assert ingest(store, pings) == size
    assert ingest(store, [*pings[: size // 2], ping(size)]) == 1
    assert store.counts() == (size + 1, 0)
    assert store.track("d1", NOW - timedelta(hours=1), NOW + timedelta(hours=1))[-1].seq == size


def test_a_device_track_comes_back_in_time_order_with_every_field(
    store: SqlTrackingStore,
) -> None:
    first = ping(2, accuracy_m=4.0, speed_mps=8.5, heading_deg=90.0, battery=0.5, event_id="e2")
    ingest(store, [first, ping(1), ping(3)])
    track = store.track("d1", NOW - timedelta(hours=1), NOW)
    assert [p.seq for p in track] == [1, 2, 3]
    assert track[1] == first


def test_a_late_ping_is_stored_but_never_moves_the_position_back(store: SqlTrackingStore) -> None:
    ingest(store, [ping(10)])
    ingest(store, [ping(3)])
    assert store.latest(["d1"])["d1"].seq == 10
    assert store.counts() == (2, 0)


def test_rejected_pings_are_kept_apart_with_their_reason(store: SqlTrackingStore) -> None:
    ingest(store, [ping(1), Ping("d1", 2, NOW, 95.0, 2.35)])
    assert store.counts() == (1, 1)
    [(rejected, reason, detail)] = store.rejected("d1")
    assert rejected.seq == 2 and reason == RejectReason.LAT_OUT_OF_RANGE and "95" in detail


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 30)), min_size=1, max_size=80
    ),
    st.integers(1, 4),
    st.randoms(use_true_random=False),
)
def test_every_accepted_ping_is_stored_once_under_replays_and_shuffles(
    store: SqlTrackingStore, keys: list[tuple[str, int]], uploads: int, rnd: random.Random
) -> None:
    with store._engine.begin() as conn:  # hypothesis reuses the database across examples
        conn.execute(sa.text("DELETE FROM tracking_pings"))
        conn.execute(sa.text("DELETE FROM tracking_positions"))
    pings = [ping(seq, device) for device, seq in keys]
    stored = 0
    for _ in range(uploads):
        batch = rnd.sample(pings, k=rnd.randint(1, len(pings)))
        stored += ingest(store, batch + rnd.sample(batch, k=len(batch) // 2))
    stored += ingest(store, pings)
    assert stored == len(set(keys)) == store.counts()[0]
    newest = {d: max(s for dd, s in keys if dd == d) for d, _ in keys}
    latest = store.latest(newest)
    assert {d: p.seq for d, p in latest.items()} == newest
