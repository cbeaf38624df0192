"""ETA benchmark: 150-stop route refresh time, ping -> refreshed ETA latency, and accuracy of
the learned P10/P50/P90 correction against the plain route-based ETA on held-out days.

The accuracy days come from the synthetic trace generator (``tracking/eta/traces.py``) until
the simulator issue provides simulated days: zones slower than the speed profile, a stronger
peak than the congestion curve, per-driver pace, service times by address type, leg noise.

    python benchmarks/eta.py                         # all three parts
    python benchmarks/eta.py --days 10 --test-days 3 --pings 100     # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from lastmile.dispatch.tracking import ingest_pings  # noqa: E402
from lastmile.dispatch.tracking_live import LiveMonitor  # noqa: E402
from lastmile.domain import (  # noqa: E402
    Address,
    AddressType,
    Coordinate,
    Hub,
    Load,
    Order,
    Plan,
    Route,
    TimeWindow,
    Vehicle,
    VehicleKind,
    Visit,
)  # fmt: skip
from lastmile.domain.enums import LifecycleState  # noqa: E402
from lastmile.geo.haversine import HaversineProvider  # noqa: E402
from lastmile.store.db import make_engine, migrate  # noqa: E402
from lastmile.store.tracking_journal import SqlTrackingUnitOfWork  # noqa: E402
from lastmile.store.tracking_repositories import SqlTrackingStore  # noqa: E402
from lastmile.tracking.eta.accuracy import from_errors  # noqa: E402
from lastmile.tracking.eta.features import RouteContext, feature_rows  # noqa: E402
from lastmile.tracking.eta.learned import EtaModel, TrainSettings, train  # noqa: E402
from lastmile.tracking.eta.route import LegCache, RemainingStop, route_etas  # noqa: E402
from lastmile.tracking.eta.traces import ZONE_CODES, generate  # noqa: E402
from lastmile.tracking.model import Ping  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "eta.json"
HUB = Coordinate(48.8566, 2.3522)
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stops", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--pings", type=int, default=200, help="pings for the latency part")
    parser.add_argument("--days", type=int, default=20, help="simulated training days")
    parser.add_argument("--test-days", type=int, default=5)
    parser.add_argument("--routes", type=int, default=12, help="routes per simulated day")
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args()


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {"median_ms": round(float(np.median(ms)), 3),
            "p99_ms": round(float(np.percentile(ms, 99)), 3),
            "max_ms": round(float(ms.max()), 3), "runs": len(ms)}  # fmt: skip


def stop_at(i: int) -> Coordinate:
    """A loop of stops about 200 m apart around the hub."""
    angle = 2 * np.pi * i / 150
    return Coordinate(HUB.lat + 0.03 * np.sin(angle), HUB.lon + 0.045 * np.cos(angle))


def remaining(stops: int) -> list[RemainingStop]:
    kinds = list(AddressType)
    return [RemainingStop(f"S{i}", stop_at(i), 180, (f"O{i}",), None, kinds[i % 4], "core")
            for i in range(stops)]  # fmt: skip


def refresh_times(stops: int, repeats: int, model: EtaModel | None) -> dict[str, Any]:
    """Three refreshes per repeat, interleaved so the machine's load falls on all alike: the
    full one (one stops x stops matrix), the steady state while the vehicle drives (legs
    between stops reused, only the vehicle's leg asked for), and the latter with the model."""
    provider, rows = HaversineProvider(), remaining(stops)
    legs = LegCache()
    route_etas(HUB, START, rows, provider, legs=legs)  # the first ping of the route fills it
    full, plain, learned = [], [], []
    for k in range(repeats):
        here = Coordinate(HUB.lat + 1e-5 * k, HUB.lon)  # the vehicle moves between pings
        t0 = time.perf_counter()
        route_etas(here, START, rows, provider)
        t1 = time.perf_counter()
        etas = route_etas(here, START, rows, provider, legs=legs)
        t2 = time.perf_counter()
        if model is not None:
            context = RouteContext(VehicleKind.VAN, 300.0)
            model.predict(feature_rows(START, rows, etas, context, ZONE_CODES))
        t3 = time.perf_counter()
        full.append(t1 - t0)
        plain.append(t2 - t1)
        learned.append(t3 - t1)
    result = {"route_full_matrix": percentiles(full), "route": percentiles(plain)}
    if model is not None:
        result["route_plus_model"] = percentiles(learned)
    return result


def seed_world(url: str, stops: int) -> None:
    window = TimeWindow(START, START + timedelta(hours=10))
    visits = []
    with SqlTrackingUnitOfWork(make_engine(url)) as uow:
        uow.hubs.add(Hub("HUB", "Hub", HUB))
        uow.vehicles.add(Vehicle("VAN", VehicleKind.VAN, "HUB", Load(10**6, 10**6, 500)))
        for i in range(stops):
            order = Order(f"O{i}", "HUB", Address(f"Stop {i}", stop_at(i)), window=window)
            order.state = LifecycleState.DISPATCHED
            uow.orders.add(order)
            at = START + timedelta(minutes=3 * (i + 1))
            visits.append(Visit(f"O{i}", (f"O{i}",), at, at, at + timedelta(minutes=2)))
        route = Route("R", "VAN", START, START + timedelta(hours=9), visits=visits)
        uow.plans.add(Plan("P", ("HUB",), START.date().isoformat(), routes=[route]))
        uow.commit()


def ping_latency(stops: int, pings: int, model: EtaModel | None) -> dict[str, Any]:
    """One ping at a time through ingestion, geofences, drift and the ETA refresh (SQLite)."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'eta.sqlite3'}"
        migrate(url)
        seed_world(url, stops)
        engine = make_engine(url)
        store = SqlTrackingStore(engine)
        monitor = LiveMonitor(lambda: SqlTrackingUnitOfWork(engine), store, HaversineProvider(),
                              model=model)  # fmt: skip
        monitor.follow("phone", "P", "R")
        times = []
        for k in range(pings):
            here = stop_at(0)
            at = START + timedelta(seconds=5 * k)
            ping = Ping("phone", k, at, here.lat + 0.004 - k * 2e-5, here.lon)
            t0 = time.perf_counter()
            report = ingest_pings(store, [ping], now=datetime.now(UTC))
            monitor.observe([ping], datetime.now(UTC)) if report.accepted else None
            times.append(time.perf_counter() - t0)
        engine.dispose()
    return {"backend": "sqlite", "stops": stops, **percentiles(times)}


def accuracy(days: int, test_days: int, routes: int, trees: int) -> tuple[dict[str, Any], Any]:
    t0 = time.perf_counter()
    history = generate(days, routes, seed=1)
    held_out = generate(test_days, routes, seed=10_001)
    t1 = time.perf_counter()
    model = train(history.features, history.error_s, TrainSettings(trees=trees, seed=1),
                  history.route, ZONE_CODES)  # fmt: skip
    t2 = time.perf_counter()
    figures = from_errors(held_out.error_s, model.predict(held_out.features))
    return {
        "train_rows": len(history), "test_rows": len(held_out), "days": days,
        "test_days": test_days, "routes_per_day": routes, "trees": trees,
        "generate_s": round(t1 - t0, 1), "train_s": round(t2 - t1, 1),
        "mae_route_min": round((figures.mae_route_s or 0) / 60, 2),
        "mae_p50_min": round((figures.mae_p50_s or 0) / 60, 2),
        "improvement": round(figures.improvement or 0, 3),
        "p10_p90_coverage": round(figures.p10_p90_coverage or 0, 3),
        "bias_route_min": round(float(np.mean(held_out.error_s)) / 60, 2),
    }, model  # fmt: skip


def main() -> None:
    args = parse_args()
    console = Console()
    console.print("accuracy: simulating days and training ...")
    learned, model = accuracy(args.days, args.test_days, args.routes, args.trees)
    console.print("refresh of one route ...")
    refresh = refresh_times(args.stops, args.repeats, model)
    console.print("ping -> refreshed ETA ...")
    latency = ping_latency(args.stops, args.pings, model)
    report = {
        "command": "python benchmarks/eta.py " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared, noisy)",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "refresh": {"stops": args.stops, **refresh}, "ping_to_eta": latency,
        "accuracy": learned,
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    show(console, report)


def show(console: Console, report: dict[str, Any]) -> None:
    table = Table("figure", "value", "target", title=f"ETAs ({report['machine']})")
    r, p, a = report["refresh"], report["ping_to_eta"], report["accuracy"]
    if "route_full_matrix" in r:
        f = r["route_full_matrix"]
        table.add_row(
            f"{r['stops']}-stop refresh, full matrix, median / p99",
            f"{f['median_ms']} / {f['p99_ms']} ms", "",
        )  # fmt: skip
    table.add_row(
        f"{r['stops']}-stop refresh, legs reused, median / p99",
        f"{r['route']['median_ms']} / {r['route']['p99_ms']} ms",
        "≤ 5 ms",
    )
    if "route_plus_model" in r:
        m = r["route_plus_model"]
        table.add_row("  with the learned model", f"{m['median_ms']} / {m['p99_ms']} ms", "")
    table.add_row(
        "ping → refreshed ETA, median / p99",
        f"{p['median_ms']} / {p['p99_ms']} ms",
        "p99 ≤ 1000 ms",
    )
    table.add_row("route ETA MAE (held-out days)", f"{a['mae_route_min']} min", "")
    table.add_row("learned P50 MAE", f"{a['mae_p50_min']} min", "")
    table.add_row("improvement", f"{a['improvement']:.0%}", "≥ 25 %")
    table.add_row("inside P10–P90", f"{a['p10_p90_coverage']:.0%}", "75–85 %")  # fmt: skip
    console.print(table)
    _ = statistics


if __name__ == "__main__":
    main()
