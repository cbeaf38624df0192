"""HTTP API throughput: batch order creation, list and get latency, webhook delivery rate.

    .venv/bin/python benchmarks/api.py                       # SQLite
    .venv/bin/python benchmarks/api.py --backends sqlite postgresql

Requests go through the whole ASGI stack (middleware, auth, rate limiter, handlers, storage)
in-process via Starlette's test client, so the figures exclude socket and TLS costs. Webhooks
are delivered by the real worker to an HTTP server on loopback that verifies signatures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from scratch import add_backends, migrated, write_report

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "api.json"
HUB = {"ref": "H1", "name": "Hub", "lat": 52.52, "lon": 13.40, "timezone": "Europe/Berlin"}


def order(n: int) -> dict[str, Any]:
    return {
        "ref": f"O{n:06d}", "hub_ref": "H1", "lat": 52.45 + (n % 100) * 0.002,
        "lon": 13.30 + (n // 100 % 100) * 0.002, "recipient_name": "Ann Smith",
        "window_start": "2026-11-24T09:00", "window_end": "2026-11-24T17:00", "weight_kg": 2,
    }  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def run_http(url: str, batches: int) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from lastmile.api.app import create_app
    from lastmile.api.auth import Role
    from lastmile.api.routers.keys import create_key
    from lastmile.api.services import ApiSettings, build_services, close_services

    services = build_services(ApiSettings(url))
    key = create_key(services, Role.ADMIN, "bench", None)[1]
    close_services(services)
    h = {"X-API-Key": key}
    out: dict[str, float] = {}
    with TestClient(create_app(ApiSettings(url, rate_per_s=1e6, burst=10**6))) as client:
        client.post("/v1/hubs", json=HUB, headers=h)
        began = time.perf_counter()
        for b in range(batches):
            body = {"orders": [order(b * 1000 + n) for n in range(1000)]}
            result = client.post("/v1/orders/batch", json=body, headers=h).json()
            assert len(result["inserted"]) == 1000, result
        out["batch_1000_s"] = (time.perf_counter() - began) / batches
        out["orders_per_s"] = 1000 * batches / (time.perf_counter() - began)
        lists, gets = [], []
        for n in range(100):
            t = time.perf_counter()
            client.get("/v1/orders?limit=100&date=2026-11-24", headers=h).raise_for_status()
            lists.append(time.perf_counter() - t)
            t = time.perf_counter()
            client.get(f"/v1/orders/O{n * 7:06d}", headers=h).raise_for_status()
            gets.append(time.perf_counter() - t)
        out["list_100_p50_ms"] = 1000 * statistics.median(lists)
        out["list_100_p95_ms"] = 1000 * percentile(lists, 95)
        out["get_p50_ms"] = 1000 * statistics.median(gets)
        out["get_p95_ms"] = 1000 * percentile(gets, 95)
    return out


def run_webhooks(url: str, events: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from tests.integration.notify.receiver import Received, Receiver
    from tests.integration.notify.test_webhook_delivery import place_orders, subscribe

    from lastmile.api.worker import build_worker

    received = Received(secret="whsec_test")
    with Receiver(received) as receiver:
        subscribe(url, receiver.url)
        place_orders(url, events, prefix="W")
        worker, dispose = build_worker(url)
        began = time.perf_counter()
        while worker.run_once():
            pass
        elapsed = time.perf_counter() - began
        dispose()
    assert len(received.ids) >= events and received.bad_signatures == 0
    return {"webhook_events_per_s": len(received.ids) / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_backends(parser)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = []
    for name, load, url in migrated(args.backends):
        figures = run_http(url, args.batches) | run_webhooks(url, args.events)
        runs.append({"backend": name, "figures": figures, "load": load})
    report = write_report("api.py", runs, args.out)
    show(report)


def show(report: dict[str, Any]) -> None:
    table = Table(title=f"HTTP API ({report['machine']})")
    names = list(report["runs"][0]["figures"]) if report["runs"] else []
    for column in ("backend", *names, "load avg"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    for run in report["runs"]:
        figures = run["figures"]
        table.add_row(run["backend"], *(f"{figures[n]:.1f}" for n in names), f"{run['load']:.1f}")
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
