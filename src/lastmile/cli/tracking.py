"""CLI commands: tracking (`lastmile mqtt-bridge`, `lastmile eta train`)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from lastmile.domain.errors import LastMileError

eta_app = typer.Typer(
    help="Micro-ETAs: train the learned correction, measure accuracy.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("mqtt-bridge")(mqtt_bridge)
    eta_app.command("train")(eta_train)
    eta_app.command("accuracy")(eta_accuracy)
    app.add_typer(eta_app, name="eta")


@dataclass
class BridgeStats:
    messages: int = 0
    bad_messages: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    events: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.messages} messages, {self.stored} pings stored, {self.duplicates} "
            f"duplicates, {self.rejected} rejected, {self.bad_messages} unreadable, "
            f"{self.events} tracking events"
        )


class MqttBridge:
    """Subscribes to device topics and stores their pings in batches.

    paho's network thread only parses and queues; the caller's thread drains the queue every
    ``flush_s`` and ingests one batch, so a slow database never blocks the broker connection.
    QoS 1 means the broker may deliver a message twice: ingestion is idempotent on the key.
    """

    def __init__(
        self,
        store: Any,
        *,
        host: str,
        port: int,
        topic: str,
        flush_s: float,
        monitor: Any = None,
    ) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.store, self.topic, self.flush_s = store, topic, flush_s
        self.monitor = monitor
        self.stats = BridgeStats()
        # Set once the broker has acknowledged the subscription, not merely the connection:
        # a message published between the two would never reach this bridge.
        self.connected = threading.Event()
        self._queue: deque[Any] = deque()
        # A client id of its own: the broker drops the older of two clients sharing an id,
        # so two bridges (or a bridge and its test twin) with one fixed id evict each other.
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"lastmile-bridge-{uuid.uuid4().hex[:12]}"
        )
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._host, self._port = host, port

    def _on_connect(self, client: Any, _userdata: Any, _flags: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            client.subscribe(self.topic, qos=1)

    def _on_subscribe(self, _client: Any, _userdata: Any, _mid: int, reasons: Any, _p: Any) -> None:
        if reasons and not any(r.is_failure for r in reasons):
            self.connected.set()

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        from lastmile.tracking.wire import device_from_topic, pings_from_payload

        try:
            device = device_from_topic(message.topic)
            self._queue.extend(pings_from_payload(message.payload, device, message.topic))
        except LastMileError as exc:
            self.stats.bad_messages += 1
            self.stats.errors = [*self.stats.errors[-9:], str(exc)]
        # Counted only once its pings are queued, so a caller who sees the count and then
        # flushes is sure to ingest them.
        self.stats.messages += 1

    def start(self) -> None:
        self._client.connect(self._host, self._port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self.flush()
        self._client.loop_stop()
        self._client.disconnect()

    def flush(self) -> int:
        """Ingest what is queued; returns how many pings were new."""
        from lastmile.dispatch.tracking import ingest_pings

        batch = []
        while self._queue:
            batch.append(self._queue.popleft())
        if not batch:
            return 0
        now = datetime.now(UTC)
        report = ingest_pings(self.store, batch, now=now)
        if self.monitor is not None and self.monitor.followed:
            fresh = [p for p in batch if p.key not in report.rejected]
            self.stats.events += len(self.monitor.observe(fresh, now))
        self.stats.stored += report.stored
        self.stats.duplicates += report.duplicates + report.accepted - report.stored
        self.stats.rejected += len(report.rejected)
        return report.stored

    def run(self, duration_s: float | None = None) -> None:
        """Flush every ``flush_s`` until ``duration_s`` has passed (forever without it)."""
        end = None if duration_s is None else time.monotonic() + duration_s
        while end is None or time.monotonic() < end:
            time.sleep(self.flush_s)
            self.flush()


def mqtt_bridge(
    host: str = typer.Option("127.0.0.1", "--host", help="MQTT broker host."),
    port: int = typer.Option(1883, "--port", help="MQTT broker port."),
    topic: str = typer.Option(
        "lastmile/devices/+/pings", "--topic", help="Topic filter; the device id is level 3."
    ),
    flush_s: float = typer.Option(0.5, "--flush", help="Seconds between batch inserts."),
    duration_s: float | None = typer.Option(None, "--duration", help="Stop after N seconds."),
    follow: list[str] = typer.Option(
        [], "--follow", help="DEVICE=PLAN/ROUTE: geofences, drift and ETAs for that route."
    ),
    database: str | None = typer.Option(None, "--database", help="Database URL."),
) -> None:
    """Subscribe to device pings over MQTT and store them (idempotent, batched)."""
    from rich.console import Console

    from lastmile.bootstrap import init_database
    from lastmile.store.db import make_engine
    from lastmile.store.tracking_repositories import SqlTrackingStore

    console = Console()
    try:
        engine = make_engine(init_database(database))
        store = SqlTrackingStore(engine)
        monitor = _monitor(engine, store, follow) if follow else None
        bridge = MqttBridge(store, host=host, port=port, topic=topic, flush_s=flush_s,
                            monitor=monitor)  # fmt: skip
        bridge.start()
    except (LastMileError, OSError) as exc:
        console.print(f"[red]cannot start the bridge:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(f"listening on mqtt://{host}:{port}/{topic}")
    try:
        bridge.run(duration_s)
    except KeyboardInterrupt:
        pass
    finally:
        bridge.stop()
        engine.dispose()
    console.print(bridge.stats.summary())


def _monitor(engine: Any, store: Any, follow: list[str]) -> Any:
    """A live monitor following ``DEVICE=PLAN/ROUTE`` pairs."""
    from lastmile.dispatch.tracking_live import LiveMonitor
    from lastmile.domain.errors import InvalidInput
    from lastmile.geo.haversine import HaversineProvider
    from lastmile.store.tracking_journal import SqlTrackingUnitOfWork

    monitor = LiveMonitor(lambda: SqlTrackingUnitOfWork(engine), store, HaversineProvider())
    for item in follow:
        device, _, rest = item.partition("=")
        plan_ref, _, route_ref = rest.partition("/")
        if not device or not plan_ref or not route_ref:
            raise InvalidInput(f"expected DEVICE=PLAN/ROUTE, got {item!r}", field="--follow")
        monitor.follow(device, plan_ref, route_ref)
    return monitor


def eta_train(
    out: Path = typer.Option(Path("var/eta-model.json"), "--out", help="Where to save the model."),
    days: int = typer.Option(20, "--days", help="Simulated days of history to learn from."),
    routes: int = typer.Option(12, "--routes", help="Routes per simulated day."),
    test_days: int = typer.Option(5, "--test-days", help="Held-out days to measure on."),
    trees: int = typer.Option(100, "--trees", help="Boosting rounds per quantile."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulated days."),
) -> None:
    """Fit the LightGBM P10/P50/P90 ETA correction and report accuracy on held-out days.

    History comes from the synthetic trace generator until the simulator provides days.
    """
    from rich.console import Console
    from rich.progress import Progress

    from lastmile.tracking.eta.accuracy import from_errors
    from lastmile.tracking.eta.learned import TrainSettings, train
    from lastmile.tracking.eta.traces import ZONE_CODES, generate

    console = Console()
    if days < 1 or test_days < 1 or routes < 1:
        console.print("[red]--days, --test-days and --routes must be at least 1[/red]")
        raise typer.Exit(2)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("simulating history", total=3)
        history = generate(days, routes, seed=seed)
        held_out = generate(test_days, routes, seed=seed + 10_000)
        progress.update(task, advance=1, description="training quantile models")
        settings = TrainSettings(trees=trees, seed=seed)
        model = train(history.features, history.error_s, settings, history.route, ZONE_CODES)
        progress.update(task, advance=1, description="measuring")
        accuracy = from_errors(held_out.error_s, model.predict(held_out.features))
        progress.update(task, advance=1)
    model.meta["held_out"] = {
        "rows": accuracy.predictions, "mae_route_s": accuracy.mae_route_s,
        "mae_p50_s": accuracy.mae_p50_s, "coverage": accuracy.p10_p90_coverage,
    }  # fmt: skip
    model.save(out)
    _show_accuracy(console, accuracy, len(history), out)


def _show_accuracy(console: Any, accuracy: Any, rows: int, out: Path) -> None:
    from rich.table import Table

    table = Table("figure", "value", title=f"ETA model trained on {rows:,} rows")
    table.add_row("held-out predictions", f"{accuracy.predictions:,}")
    table.add_row("route ETA MAE", f"{accuracy.mae_route_s / 60:.1f} min")
    table.add_row("learned P50 MAE", f"{accuracy.mae_p50_s / 60:.1f} min")
    table.add_row("improvement", f"{accuracy.improvement:.0%}")
    table.add_row("inside P10–P90", f"{accuracy.p10_p90_coverage:.0%}")
    console.print(table)
    console.print(f"saved to {out}")


def eta_accuracy(
    route: str | None = typer.Option(None, "--route", help="Only this route."),
    database: str | None = typer.Option(None, "--database", help="Database URL."),
) -> None:
    """ETA accuracy from the journey: stored ETA snapshots against recorded arrivals."""
    from rich.console import Console
    from rich.table import Table

    from lastmile.bootstrap import init_database
    from lastmile.store.db import make_engine
    from lastmile.store.tracking_repositories import SqlTrackingStore
    from lastmile.tracking.eta.accuracy import from_journey

    console = Console()
    try:
        engine = make_engine(init_database(database))
    except LastMileError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    store = SqlTrackingStore(engine)
    figures = from_journey(store.eta_snapshots(route), store.arrivals(route))
    engine.dispose()

    def minutes(seconds: float | None) -> str:
        return "–" if seconds is None else f"{seconds / 60:.1f} min"

    def share(value: float | None) -> str:
        return "–" if value is None else f"{value:.0%}"

    table = Table("figure", "value", title="ETA accuracy from the journey")
    table.add_row("predictions with a known arrival", f"{figures.predictions:,}")
    table.add_row("route ETA MAE", minutes(figures.mae_route_s))
    table.add_row("learned P50 MAE", minutes(figures.mae_p50_s))
    table.add_row("arrivals inside P10–P90", share(figures.p10_p90_coverage))
    table.add_row("arrived before the window's end", share(figures.in_window_share))
    console.print(table)
