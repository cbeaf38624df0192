"""The simulator against a running server: devices upload over HTTP, the server ingests.

The day's orders and plans go into the server's database (the simulator shares it, as the
platform's dispatcher would); pings, scans and proofs of delivery go over the wire and are
read back through the API. The same seed scores the same day as in-process on SQL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from lastmile.analytics.daylog import DayOutcome
from lastmile.analytics.scorecard import score
from lastmile.bootstrap import SqlUnitOfWorkFactory, init_database
from lastmile.sim.day import SimulatedDay, simulate, sql_backend
from lastmile.sim.server_events import OutboxEvents
from lastmile.sim.uplink import HttpUplink, ServerRefused
from lastmile.store.tracking_tables import pings as ping_table
from tests.integration.sim.conftest import SMALL, Server

pytestmark = pytest.mark.storage


def kpis(day: SimulatedDay) -> dict[str, Any]:
    """The scorecard without its notes (wall times, which store)."""
    card = dataclasses.asdict(score(day.log))
    card.pop("notes", None)
    return card


@pytest.fixture
def factory(server: Server) -> Iterator[SqlUnitOfWorkFactory]:
    made = SqlUnitOfWorkFactory(server.database_url)
    yield made
    made.dispose()


def over_http(server: Server, factory: SqlUnitOfWorkFactory) -> tuple[SimulatedDay, HttpUplink]:
    uplink = HttpUplink(server.url, server.key, events=OutboxEvents(factory.engine))
    backend = dataclasses.replace(sql_backend(factory), uplink=uplink)
    try:
        return simulate(SMALL, backend), uplink
    finally:
        uplink.close()


def test_a_day_over_http_is_stored_by_the_server_and_scores_as_in_process(
    server: Server, factory: SqlUnitOfWorkFactory, tmp_path: Path
) -> None:
    remote, uplink = over_http(server, factory)

    with factory.engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(ping_table)).scalar()
    assert uplink.sent["pings"] > 100 and stored == uplink.sent["pings"]
    delivered = [d for d in remote.log.deliveries if d.outcome is DayOutcome.DELIVERED]
    assert delivered and uplink.sent["pods"] == len(delivered)
    headers = {"X-API-Key": server.key}
    geofenced = 0
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as api:
        # Returns collected at the door are scanned picked_up, not loaded and delivered.
        drops = [d for d in delivered if not remote.parcels[d.order_ref].pickup]
        for d in drops[:12]:
            journey = api.get(f"/v1/tracking/orders/{d.order_ref}/timeline").json()
            kinds = {s["kind"] for s in journey["scans"] if s["result"] == "applied"}
            assert {"loaded", "delivered"} <= kinds, journey
            geofenced += any(s["actor"].startswith("geofence:") for s in journey["scans"])
            [pod] = api.get(f"/v1/tracking/orders/{d.order_ref}/pod").json()["pods"]
            assert pod["verified"] and pod["files"][0]["role"] == "signature"
    assert geofenced > 0, "the server's monitor saw the vans arrive (it follows their routes)"

    local_db = SqlUnitOfWorkFactory(init_database(f"sqlite:///{tmp_path / 'local.sqlite3'}"))
    try:
        local = simulate(SMALL, sql_backend(local_db))
    finally:
        local_db.dispose()
    assert kpis(remote) == kpis(local)
    assert remote.log.exceptions == local.log.exceptions
    drifts = [e for e in remote.log.exceptions if e.kind == "route_drift"]
    assert drifts, "drift is detected by the server's monitor and read back from its outbox"


def test_a_refused_upload_names_the_url_the_status_and_the_answer(server: Server) -> None:
    bad = HttpUplink(server.url, "lm_0000_not-a-key", attempts=2, backoff_s=0.01)
    with pytest.raises(ServerRefused) as refused:
        bad.follow("VAN-1", "P-1", "R-1")
    assert refused.value.status == 401
    assert f"{server.url}/v1/tracking/devices/VAN-1/follow" in str(refused.value)
    assert "unknown or revoked" in str(refused.value)
    assert bad.requests == 1, "a refusal is not retried"

    unknown = HttpUplink(server.url, server.key)
    with pytest.raises(ServerRefused, match="answered 404") as missing:
        unknown.follow("VAN-1", "P-nope", "R-nope")
    assert "P-nope" in missing.value.body or "R-nope" in missing.value.body
