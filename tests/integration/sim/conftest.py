"""A real ``lastmile serve`` (uvicorn in a thread, any free port) over the test database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import uvicorn

from lastmile.api.app import create_app
from lastmile.api.auth import Role
from lastmile.api.routers.keys import create_key
from lastmile.api.services import ApiSettings, build_services, close_services
from lastmile.bootstrap import init_database
from lastmile.sim.day import SimConfig

#: A small day: 50 orders (the generator's least), two vans, a light planner.
SMALL = SimConfig(
    orders=50, vehicles=2, seed=5, plan_work=4_000, replan_work=1_000, replan_every_s=1800.0,
    day=datetime.now(UTC).date() - timedelta(days=2),  # the server takes pings of the last week
)  # fmt: skip


@dataclass(frozen=True)
class Server:
    url: str
    database_url: str
    key: str


@pytest.fixture
def server(database_url: str) -> Iterator[Server]:
    """The API as ``lastmile serve`` runs it, with a dispatcher key for the devices."""
    url = init_database(database_url)
    services = build_services(ApiSettings(url))
    try:
        _, key = create_key(services, Role.DISPATCHER, "simulated devices", None)
    finally:
        close_services(services)
    app = create_app(ApiSettings(url, rate_per_s=1000, burst=1000))
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=running.run, name="api-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not running.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert running.started, "the API did not start"
    port = running.servers[0].sockets[0].getsockname()[1]
    yield Server(f"http://127.0.0.1:{port}", url, key)
    running.should_exit = True
    thread.join(10)
