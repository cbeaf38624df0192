"""Pings over MQTT to the broker ``lastmile mqtt-bridge`` listens to; the rest over HTTP.

Against the real Mosquitto on 127.0.0.1:1883 (skipped, with the reason, when none answers).
The bridge stores every published ping in the shared database before the scans that follow
them are sent, so the day's deliveries, kilometres and costs are those of the in-process day.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lastmile.analytics.daylog import DayOutcome
from lastmile.bootstrap import SqlUnitOfWorkFactory, init_database
from lastmile.cli.tracking import MqttBridge
from lastmile.sim.day import simulate, sql_backend
from lastmile.sim.uplink import HttpUplink, MqttUplink
from lastmile.store.tracking_repositories import SqlTrackingStore
from lastmile.store.tracking_tables import pings as ping_table
from tests.integration.sim.conftest import SMALL, Server

pytestmark = pytest.mark.storage
BROKER = ("127.0.0.1", 1883)


@pytest.fixture
def broker() -> None:
    try:
        socket.create_connection(BROKER, timeout=1).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("Mosquitto is not answering on 127.0.0.1:1883 (required in CI)")
        pytest.skip("no MQTT broker answers on 127.0.0.1:1883 (start Mosquitto to run this)")


@pytest.fixture
def bridge(broker: None, server: Server) -> Iterator[MqttBridge]:
    """``lastmile mqtt-bridge`` on the server's database, flushing every 20 ms."""
    factory = SqlUnitOfWorkFactory(server.database_url)
    running = MqttBridge(SqlTrackingStore(factory.engine), host=BROKER[0], port=BROKER[1],
                         topic="lastmile/devices/+/pings", flush_s=0.02)  # fmt: skip
    running.start()
    assert running.connected.wait(5), "the bridge did not connect to the broker"
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(running.flush_s):
            running.flush()

    thread = threading.Thread(target=loop, name="bridge-under-test", daemon=True)
    thread.start()
    yield running
    stop.set()
    thread.join(5)
    running.stop()
    factory.dispose()


def test_a_day_with_pings_over_mqtt_is_stored_and_delivers_as_in_process(
    bridge: MqttBridge, server: Server, tmp_path: Path
) -> None:
    factory = SqlUnitOfWorkFactory(server.database_url)
    store = SqlTrackingStore(factory.engine)
    http = HttpUplink(server.url, server.key)
    uplink = MqttUplink(BROKER[0], BROKER[1], http, stored=store.known)
    try:
        remote = simulate(SMALL, dataclasses.replace(sql_backend(factory), uplink=uplink))
    finally:
        uplink.close()
    vans = set(remote.vans)
    with factory.engine.connect() as conn:
        c = ping_table.c
        ours = sa.select(sa.func.count()).where(c.device_id.in_(vans))
        stored = conn.execute(ours).scalar()
    factory.dispose()
    assert uplink.messages > 10 and stored == uplink.sent["pings"] > 100
    # The bridge hears the whole broker: other tests publish (some deliberately bad) pings
    # of their own devices on it at the same time, so only this day's devices count.
    ours_bad = [e for e in bridge.stats.errors if any(f"/{van}/" in e for van in vans)]
    assert not ours_bad, ours_bad

    local_db = SqlUnitOfWorkFactory(init_database(f"sqlite:///{tmp_path / 'local.sqlite3'}"))
    try:
        local = simulate(SMALL, sql_backend(local_db))
    finally:
        local_db.dispose()
    outcomes = {d.order_ref: (d.outcome, d.completed_at, d.has_pod) for d in local.log.deliveries}
    assert {
        d.order_ref: (d.outcome, d.completed_at, d.has_pod) for d in remote.log.deliveries
    } == outcomes
    assert [dataclasses.asdict(v) for v in remote.log.vehicles] == [
        dataclasses.asdict(v) for v in local.log.vehicles
    ]
    assert any(o == DayOutcome.DELIVERED for o, _, _ in outcomes.values())
