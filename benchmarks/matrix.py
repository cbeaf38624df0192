"""Travel-time matrix benchmark: road-graph build time and N x N matrix seconds per provider.

Runs on the largest OpenStreetMap extract in ../shared/data/osm (Andorra) by default, with
points a few metres off randomly chosen road nodes (as geocoded addresses are). Single
threaded: run it with the thread variables set so numpy and scipy use one core.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/matrix.py
    python benchmarks/matrix.py --sizes 100 1000 --repeats 1      # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # before numpy loads, in case the command did not say

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from lastmile.domain import Coordinate  # noqa: E402
from lastmile.geo.haversine import HaversineProvider  # noqa: E402
from lastmile.geo.osm import OsmProvider, RoadNetwork  # noqa: E402
from lastmile.geo.osm.reader import read_highways  # noqa: E402
from lastmile.geo.travel import Profile  # noqa: E402
from lastmile.geo.zones import ZoneIndex  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OSM = ROOT.parent / "shared" / "data" / "osm"
RESULTS = ROOT / "benchmarks" / "results" / "matrix.json"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extract", type=Path, default=None, help="default: largest in ../shared")
    parser.add_argument("--sizes", nargs="*", type=int, default=[100, 1000, 5000])
    parser.add_argument("--repeats", type=int, default=3, help="median of this many runs")
    parser.add_argument("--profiles", nargs="*", default=["car", "bicycle"],
                        choices=[p.value for p in Profile])  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args()


def largest_extract() -> Path:
    extracts = sorted(OSM.glob("*.osm.pbf"), key=lambda p: p.stat().st_size)
    if not extracts:
        raise SystemExit(f"no .osm.pbf in {OSM}: the extracts live beside the checkout")
    return extracts[-1]


def timed(action: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds over ``repeats`` runs, and the last result.

    On a shared machine the wall clock includes waiting for a core; the process's CPU time
    mostly does not, so both are recorded.
    """
    seconds, cpu, result = [], [], None
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = action()
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(seconds), statistics.median(cpu), result


def sample_points(network: RoadNetwork, count: int, seed: int) -> list[Coordinate]:
    graph = network.graph(Profile.CAR)
    rng = np.random.default_rng(seed)
    nodes = rng.choice(graph.node_count, count, replace=False)
    jitter = rng.normal(0, 1e-4, (count, 2))
    return [Coordinate(float(graph.lat[n] + d[0]), float(graph.lon[n] + d[1]))
            for n, d in zip(nodes, jitter, strict=True)]  # fmt: skip


def build_figures(extract: Path, repeats: int, tmp: Path) -> tuple[dict[str, Any], RoadNetwork]:
    parse_s, _, raw = timed(lambda: read_highways(extract), repeats)
    network = RoadNetwork.from_osm(extract)
    per_profile = {}
    for profile in Profile:
        from lastmile.geo.osm.graph import build_graph

        seconds, cpu, graph = timed(lambda p=profile: build_graph(raw, p), repeats)
        per_profile[profile.value] = {
            "build_s": round(seconds, 3), "build_cpu_s": round(cpu, 3), "nodes": graph.node_count,
            "segments": len(graph.seg_u), "junctions": len(graph.chains.junction_nodes),
        }  # fmt: skip
    saved = tmp / "network.npz"
    save_s, _, _ = timed(lambda: network.save(saved), 1)
    load_s, _, _ = timed(lambda: RoadNetwork.load(saved), repeats)
    figures = {
        "parse_s": round(parse_s, 3),
        "build_all_profiles_s": round(parse_s + sum(p["build_s"] for p in per_profile.values()), 3),
        "profiles": per_profile, "save_s": round(save_s, 3), "load_s": round(load_s, 3),
        "file_mb": round(saved.stat().st_size / 1e6, 1),
    }  # fmt: skip
    return figures, network


def matrix_figures(
    network: RoadNetwork, sizes: list[int], repeats: int, profiles: list[str]
) -> list[dict[str, Any]]:
    rows = []
    osm = OsmProvider(network)
    for profile in (Profile(p) for p in profiles):
        osm.router(profile).snap(np.zeros((1, 2)) + 42.5)  # KD-tree built outside the timing
        for size in sizes:
            points = sample_points(network, size, seed=size)
            runs = repeats if size <= 1000 else 1
            for name, provider in (("haversine", HaversineProvider()), ("osm", osm)):
                seconds, cpu, result = timed(
                    lambda p=provider, q=points, f=profile: p.matrix(q, q, profile=f, hour=8), runs
                )
                rows.append({
                    "provider": name, "profile": profile.value, "size": size,
                    "seconds": round(seconds, 3), "cpu_s": round(cpu, 3), "runs": runs,
                    "median_trip_s": int(np.median(result.durations_s)),
                })  # fmt: skip
    return rows


def zone_figures(repeats: int) -> dict[str, Any]:
    """Point-in-zone for 100,000 points against polygon and H3 zones (issue item 5)."""
    from lastmile.domain import Zone

    rng = np.random.default_rng(7)
    lat_lon = np.column_stack(
        [rng.uniform(42.43, 42.65, 100_000), rng.uniform(1.42, 1.75, 100_000)]
    )
    zones = []
    for i, (lat, lon) in enumerate(rng.uniform([42.45, 1.45], [42.62, 1.72], (20, 2))):
        ring = [(lon + 0.02 * np.cos(a), lat + 0.015 * np.sin(a)) for a in np.linspace(0, 6.2, 40)]
        zones.append(Zone(ref=f"Z{i}", name=f"z{i}", polygon=((*ring, ring[0]),)))
    import h3

    cells = tuple(h3.grid_disk(h3.latlng_to_cell(42.51, 1.54, 9), 6))
    zones.append(Zone(ref="H3", name="cells", h3_cells=cells))
    index = ZoneIndex(zones)
    seconds, cpu, member = timed(lambda: index.membership(lat_lon), repeats)
    return {"points": 100_000, "polygon_zones": 20, "h3_zones": 1, "h3_cells": len(cells),
            "seconds": round(seconds, 3), "cpu_s": round(cpu, 3),
            "hits": int(member.sum())}  # fmt: skip


def machine() -> dict[str, Any]:
    import scipy

    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0], "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
        "numpy": np.__version__, "scipy": scipy.__version__,
        "threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
        "note": "2-core machine shared with other work: timings are noisy",
        "load_average": os.getloadavg(),
    }  # fmt: skip


def show(result: dict[str, Any]) -> None:
    console = Console()
    build = result["build"]
    table = Table(title=f"Road graph of {result['extract']}")
    for column in ("profile", "nodes", "junctions", "build (s)", "CPU (s)"):
        table.add_column(column, justify="right")
    for name, p in build["profiles"].items():
        table.add_row(name, f"{p['nodes']:,}", f"{p['junctions']:,}", f"{p['build_s']:.2f}",
                      f"{p['build_cpu_s']:.2f}")  # fmt: skip
    table.caption = (
        f"parse {build['parse_s']:.2f} s, all profiles {build['build_all_profiles_s']:.2f} s, "
        f"save {build['save_s']:.2f} s, load {build['load_s']:.3f} s"
    )
    console.print(table)
    table = Table(title="Matrix seconds (N x N, departure 08:00, one core)")
    for column in ("provider", "profile", "N", "wall (s)", "CPU (s)", "runs", "median trip (s)"):
        table.add_column(column, justify="right")
    for r in result["matrices"]:
        table.add_row(r["provider"], r["profile"], f"{r['size']:,}", f"{r['seconds']:.3f}",
                      f"{r['cpu_s']:.3f}", str(r["runs"]), str(r["median_trip_s"]))  # fmt: skip
    console.print(table)
    z = result["zones"]
    console.print(
        f"Point-in-zone: {z['points']:,} points x {z['polygon_zones']} polygons + "
        f"{z['h3_cells']} H3 cells in {z['seconds']:.3f} s ({z['cpu_s']:.3f} s CPU)"
    )


def main() -> None:
    import tempfile

    args = parse_args()
    extract = args.extract or largest_extract()
    with tempfile.TemporaryDirectory() as tmp:
        build, network = build_figures(extract, args.repeats, Path(tmp))
    result = {
        "extract": extract.name, "machine": machine(), "build": build,
        "matrices": matrix_figures(network, args.sizes, args.repeats, args.profiles),
        "zones": zone_figures(args.repeats),
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    show(result)
    Console().print(f"written to {args.out}")


if __name__ == "__main__":
    main()
