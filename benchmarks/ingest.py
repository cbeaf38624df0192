"""Ping ingestion benchmark: validated, deduplicated pings per second into SQLite and PostgreSQL.

Simulated devices drive at urban speeds with GPS noise, one fix every 5 s. Each upload batch
is shuffled (offline apps send out of order), about 1 % of pings are replays and 0.5 % are
GPS glitches the jump check must reject. The whole path is timed: ``ingest_pings`` (dedupe,
time order, physics checks, ``COPY``/``INSERT ... ON CONFLICT DO NOTHING``, forward-only
positions). The same uploads are then replayed to time the all-duplicates path. The 1-minute
load average is recorded beside each run: on the shared 2-core machine the wall clock mostly
measures how busy the other developers are.

    python benchmarks/ingest.py                       # both backends, batches of 2,000
    python benchmarks/ingest.py --batches 500 5000 --backends sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from lastmile.dispatch.tracking import ingest_pings
from lastmile.store.db import make_engine, migrate
from lastmile.store.tracking_repositories import SqlPingStore
from lastmile.tracking.model import Ping
from scratch import scratch_database

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "ingest.json"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=40)
    parser.add_argument("--pings", type=int, default=2500, help="pings per device")
    parser.add_argument("--batches", nargs="*", type=int, default=[2000])
    parser.add_argument("--backends", nargs="*", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args()


def traces(devices: int, per_device: int, now: datetime, seed: int) -> list[Ping]:
    """Every device's track (time order), with replays and glitches mixed in."""
    rng = np.random.default_rng(seed)
    start = now - timedelta(seconds=5 * per_device + 60)
    pings: list[Ping] = []
    for d in range(devices):
        lat, lon = 48.85 + rng.normal(0, 0.03), 2.35 + rng.normal(0, 0.04)
        heading = rng.uniform(0, 2 * np.pi)
        for s in range(per_device):
            heading += rng.normal(0, 0.3)
            step = max(0.0, rng.normal(8.0, 3.0)) * 5  # metres in 5 s
            lat += step * np.cos(heading) / 111_200
            lon += step * np.sin(heading) / 73_000
            glitch = rng.random() < 0.005
            fix_lat = lat + (0.05 if glitch else rng.normal(0, 4e-5))
            at = start + timedelta(seconds=5 * s)
            pings.append(Ping(f"van-{d:03d}", s, at, float(fix_lat), float(lon),
                              accuracy_m=float(rng.uniform(3, 15)), speed_mps=step / 5, battery=0.8,
                              heading_deg=float(np.degrees(heading) % 360)))  # fmt: skip
    return pings


def uploads(pings: list[Ping], batch: int, seed: int) -> list[list[Ping]]:
    """Batches in arrival order (by time), each shuffled, with ~1 % replays of earlier pings."""
    rng = np.random.default_rng(seed + 1)
    ordered = sorted(pings, key=lambda p: p.recorded_at)
    result = []
    for i in range(0, len(ordered), batch):
        chunk = ordered[i : i + batch]
        replays = [ordered[int(j)] for j in rng.integers(0, i + len(chunk), len(chunk) // 100)]
        mixed = chunk + replays
        rng.shuffle(mixed)  # type: ignore[arg-type]
        result.append(mixed)
    return result


def run(backend: str, batch: int, pings: list[Ping], now: datetime, seed: int) -> dict[str, Any]:
    with scratch_database(backend) as url:
        migrate(url)
        engine = make_engine(url)
        store = SqlPingStore(engine)
        batches = uploads(pings, batch, seed)
        sent = sum(len(b) for b in batches)
        started, cpu = time.perf_counter(), time.process_time()
        reports = [ingest_pings(store, b, now=now) for b in batches]
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        replay_start = time.perf_counter()
        replayed = sum(ingest_pings(store, b, now=now).stored for b in batches)
        replay_wall = time.perf_counter() - replay_start
        stored, rejected = store.counts()
        engine.dispose()
    return {
        "backend": backend, "batch": batch, "sent": sent, "stored": stored,
        "rejected": rejected, "duplicates": sent - stored - rejected,
        "seconds": round(wall, 3), "process_cpu_s": round(cpu, 3),
        "pings_per_s": round(sent / wall), "client_cpu_pings_per_s": round(sent / cpu),
        "load_avg_1min": round(os.getloadavg()[0], 1), "stored_once": replayed == 0
        and stored == sum(r.stored for r in reports),
        "replay_pings_per_s": round(sent / replay_wall),
    }  # fmt: skip


def main() -> None:
    args = parse_args()
    now = datetime.now(UTC)
    pings = traces(args.devices, args.pings, now, args.seed)
    console = Console()
    runs = []
    for backend in args.backends:
        for batch in args.batches:
            console.print(f"{backend}, batches of {batch:,} ...")
            runs.append(run(backend, batch, pings, now, args.seed))
    report = {
        "command": "python benchmarks/ingest.py " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared, noisy)",
        "date": now.isoformat(timespec="seconds"),
        "devices": args.devices, "pings_per_device": args.pings, "runs": runs,
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    title = f"ping ingestion ({report['machine']})"
    table = Table("backend", "batch", "sent", "stored", "rejected", "dupes", "pings/s",
                  "replay/s", "load", "once", title=title)  # fmt: skip
    for r in runs:
        once = "yes" if r["stored_once"] else "NO"
        table.add_row(r["backend"], f"{r['batch']:,}", f"{r['sent']:,}", f"{r['stored']:,}",
                      f"{r['rejected']:,}", f"{r['duplicates']:,}", f"{r['pings_per_s']:,}",
                      f"{r['replay_pings_per_s']:,}", str(r["load_avg_1min"]), once)  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    main()
