"""The MQTT bridge against the real Mosquitto on 127.0.0.1:1883."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from lastmile.cli.tracking import MqttBridge
from lastmile.store.db import make_engine, migrate
from lastmile.store.tracking_repositories import SqlTrackingStore
from lastmile.tracking.model import Ping
from lastmile.tracking.wire import ping_to_json

pytestmark = pytest.mark.storage
BROKER = ("127.0.0.1", 1883)


def _broker_answers() -> bool:
    try:
        with socket.create_connection(BROKER, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def broker() -> None:
    if not _broker_answers():
        if os.environ.get("CI"):
            pytest.fail("Mosquitto is not answering on 127.0.0.1:1883 (required in CI)")
        pytest.skip("no MQTT broker answers on 127.0.0.1:1883 (start Mosquitto to run this)")


@pytest.fixture
def bridge(broker: None, database_url: str) -> Iterator[MqttBridge]:
    migrate(database_url)
    engine = make_engine(database_url)
    topic = "lastmile/devices/+/pings"
    running = MqttBridge(SqlTrackingStore(engine), host=BROKER[0], port=BROKER[1], topic=topic,
                         flush_s=0.1)  # fmt: skip
    running.start()
    assert running.connected.wait(5), "the bridge did not connect to the broker"
    yield running
    running.stop()
    engine.dispose()


def publish(messages: list[tuple[str, bytes]]) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
    client.connect(*BROKER)
    client.loop_start()
    for topic, payload in messages:
        client.publish(topic, payload, qos=1).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()


def wait_for(condition: object, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    pytest.fail(f"the bridge did not receive the published messages within {seconds:.0f} s")


def test_pings_published_over_mqtt_are_stored_once_even_when_replayed(
    bridge: MqttBridge,
) -> None:
    device = f"van-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    pings = [Ping(device, i, now - timedelta(seconds=60 - i), 52.52 + i * 1e-5, 13.4)
             for i in range(20)]  # fmt: skip
    topic = f"lastmile/devices/{device}/pings"
    batch = json.dumps([ping_to_json(p) for p in pings[:10]]).encode()
    singles = [(topic, json.dumps(ping_to_json(p)).encode()) for p in pings[10:]]
    publish([(topic, batch), *singles, (topic, batch), (topic, b"not json")])
    wait_for(lambda: bridge.stats.messages >= 13)
    bridge.flush()
    track = bridge.store.track(device, now - timedelta(hours=1), now + timedelta(hours=1))
    assert [p.seq for p in track] == list(range(20))
    assert bridge.stats.bad_messages == 1 and "not JSON" in bridge.stats.errors[-1]
    assert bridge.store.latest([device])[device].seq == 19


def test_the_bridge_refreshes_etas_of_a_followed_route(broker: None, database_url: str) -> None:
    from lastmile.dispatch.tracking_live import LiveMonitor
    from lastmile.geo.haversine import HaversineProvider
    from lastmile.store.tracking_journal import SqlTrackingUnitOfWork

    from .world import HUB, build

    world = build(database_url)
    w = next(world)
    engine = w.store._engine
    monitor = LiveMonitor(lambda: SqlTrackingUnitOfWork(engine), w.store, HaversineProvider())
    device = f"phone-{uuid.uuid4().hex[:8]}"
    monitor.follow(device, "P1", "R1")
    bridge = MqttBridge(w.store, host=BROKER[0], port=BROKER[1], topic="lastmile/devices/+/pings",
                        flush_s=0.1, monitor=monitor)  # fmt: skip
    bridge.start()
    try:
        assert bridge.connected.wait(5)
        fix = Ping(device, 1, datetime.now(UTC), HUB.lat, HUB.lon)
        publish([(f"lastmile/devices/{device}/pings", json.dumps(ping_to_json(fix)).encode())])
        wait_for(lambda: bridge.stats.messages >= 1)
        bridge.flush()
    finally:
        bridge.stop()
    assert set(w.store.etas("R1")) == {"O-0", "O-1", "O-2"}
    world.close()
