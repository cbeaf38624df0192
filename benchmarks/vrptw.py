"""Solomon VRPTW, side by side: lastmile (domain layer, both cores) vs raw PyVRP, VROOM, OR-Tools.

    .venv/bin/python benchmarks/vrptw.py --time-limit 10            # all 56 instances
    .venv/bin/python benchmarks/vrptw.py --only R101,C201 --solvers lastmile,pyvrp

Distances follow the exact-method convention (arcs truncated to one decimal, scaled by 10 to
integers) and gaps are measured against the distance-only best-known solutions of
``../shared/benchmarks/vrptw/solomon_100_bks.csv``. Every solver's routes are re-checked here
(windows, capacity, every customer once) before their distance counts.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "benchmarks" / "vrptw"
RESULTS = ROOT / "benchmarks" / "results" / "vrptw.json"


@dataclass
class Raw:
    """An instance in plain arrays, as the external solvers take it (depot is node 0)."""

    name: str
    dist: np.ndarray
    demand: np.ndarray
    capacity: int
    tw: np.ndarray
    service: np.ndarray

    @property
    def n(self) -> int:
        return len(self.demand)


def load_raw(path: Path) -> Raw:
    import vrplib

    d = vrplib.read_instance(str(path), compute_edge_weights=False)
    xy = np.asarray(d["node_coord"], dtype=np.float64)
    euclid = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) * 10
    dist = np.floor(euclid + 1e-7).astype(np.int64)
    n = int(d["dimension"])
    service = np.full(n, int(d["service_time"]) * 10, dtype=np.int64)
    service[0] = 0
    tw = np.asarray(d["time_window"], dtype=np.int64) * 10
    return Raw(str(d["name"]), dist, np.asarray(d["demand"]), int(d["capacity"]), tw, service)


def route_check(raw: Raw, routes: list[list[int]]) -> tuple[bool, int]:
    """(feasible, distance) of routes of customer node numbers, recomputed from the arrays."""
    seen: list[int] = []
    total = 0
    ok = True
    for route in routes:
        t, pos, load = int(raw.tw[0, 0]), 0, 0
        for node in [*route, 0]:
            total += int(raw.dist[pos, node])
            t = max(t + int(raw.service[pos]) + int(raw.dist[pos, node]), int(raw.tw[node, 0]))
            ok &= t <= raw.tw[node, 1]
            load += int(raw.demand[node])
            pos = node
        ok &= load <= raw.capacity
        seen += route
    ok &= sorted(seen) == list(range(1, raw.n))
    return bool(ok), total


def run_lastmile(path: Path, raw: Raw, limit: float, seed: int) -> list[list[int]]:
    from lastmile.planning.instances import read_instance
    from lastmile.planning.pyvrp_solver import PyVRPSolver
    from lastmile.planning.solver import SolveOptions

    began = time.perf_counter()
    problem = read_instance(path).problem()
    left = limit - (time.perf_counter() - began)
    result = PyVRPSolver().solve(problem, SolveOptions(time_limit_s=left, seed=seed, workers=2))
    return [[int(v.ref) for v in r.visits] for r in result.routes if r.visits]


def run_pyvrp(path: Path, raw: Raw, limit: float, seed: int) -> list[list[int]]:
    import pyvrp
    from pyvrp.stop import MaxRuntime

    locs = [pyvrp.Location(x=0, y=0) for _ in range(raw.n)]
    depot = pyvrp.Depot(0, tw_early=int(raw.tw[0, 0]), tw_late=int(raw.tw[0, 1]))
    clients = [
        pyvrp.Client(
            i,
            delivery=[int(raw.demand[i])],
            service_duration=int(raw.service[i]),
            tw_early=int(raw.tw[i, 0]),
            tw_late=int(raw.tw[i, 1]),
        )
        for i in range(1, raw.n)
    ]
    vt = pyvrp.VehicleType(
        raw.n - 1, capacity=[raw.capacity], tw_early=int(raw.tw[0, 0]), tw_late=int(raw.tw[0, 1])
    )
    data = pyvrp.ProblemData(locs, clients, [depot], [vt], [raw.dist], [raw.dist])
    res = pyvrp.solve(data, MaxRuntime(limit), seed=seed, collect_stats=False)
    return [[a.idx + 1 for a in r.schedule() if a.is_client()] for r in res.best.routes()]


def run_vroom(path: Path, raw: Raw, limit: float, seed: int) -> list[list[int]]:
    from datetime import timedelta

    import vroom

    problem = vroom.Input()
    problem.set_durations_matrix("car", raw.dist)
    horizon = vroom.TimeWindow(int(raw.tw[0, 0]), int(raw.tw[0, 1]))
    problem.add_vehicle(
        [
            vroom.Vehicle(k, start=0, end=0, capacity=[raw.capacity], time_window=horizon)
            for k in range(raw.n - 1)
        ]
    )
    problem.add_job(
        [
            vroom.Job(
                i,
                location=i,
                delivery=[int(raw.demand[i])],
                default_service=int(raw.service[i]),
                time_windows=[vroom.TimeWindow(int(raw.tw[i, 0]), int(raw.tw[i, 1]))],
            )
            for i in range(1, raw.n)
        ]
    )
    sol = problem.solve(exploration_level=5, nb_threads=2, timeout=timedelta(seconds=limit))
    routes: dict[int, list[int]] = {}
    for row in sol.routes.itertuples():
        if row.type == "job":
            routes.setdefault(int(row.vehicle_id), []).append(int(row.id))
    return list(routes.values())


def run_ortools(path: Path, raw: Raw, limit: float, seed: int) -> list[list[int]]:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    fleet = 25  # Solomon's own fleet size; OR-Tools slows down badly with 100 idle vehicles
    manager = pywrapcp.RoutingIndexManager(raw.n, fleet, 0)
    routing = pywrapcp.RoutingModel(manager)
    dist = raw.dist.tolist()
    service = raw.service.tolist()

    def arc(i: int, j: int) -> int:
        return int(dist[manager.IndexToNode(i)][manager.IndexToNode(j)])

    def travel(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return int(dist[a][b] + service[a])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc))
    time_cb = routing.RegisterTransitCallback(travel)
    horizon = int(raw.tw[0, 1])
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    dim = routing.GetDimensionOrDie("time")
    for node in range(1, raw.n):
        dim.CumulVar(manager.NodeToIndex(node)).SetRange(int(raw.tw[node, 0]), int(raw.tw[node, 1]))
    demand = raw.demand.tolist()
    cap_cb = routing.RegisterUnaryTransitCallback(lambda i: int(demand[manager.IndexToNode(i)]))
    routing.AddDimensionWithVehicleCapacity(cap_cb, 0, [raw.capacity] * fleet, True, "load")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(limit * 1000))
    sol = routing.SolveWithParameters(params)
    if sol is None:
        return []
    routes = []
    for k in range(fleet):
        idx, route = routing.Start(k), []
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            if node:
                route.append(node)
            idx = sol.Value(routing.NextVar(idx))
        if route:
            routes.append(route)
    return routes


SOLVERS: dict[str, Callable[[Path, Raw, float, int], list[list[int]]]] = {
    "lastmile": run_lastmile,
    "pyvrp": run_pyvrp,
    "vroom": run_vroom,
    "ortools": run_ortools,
}


@dataclass
class Row:
    instance: str
    solver: str
    distance: float
    gap_pct: float
    routes: int
    feasible: bool
    seconds: float


def bks_table() -> dict[str, float]:
    with (SHARED / "solomon_100_bks.csv").open() as fh:
        return {r["instance"]: float(r["dist_only_distance_trunc1"]) for r in csv.DictReader(fh)}


def run(names: list[str], solvers: list[str], limit: float, seed: int) -> list[Row]:
    from rich.progress import Progress

    bks = bks_table()
    rows: list[Row] = []
    with Progress() as progress:
        task = progress.add_task("solving", total=len(names) * len(solvers))
        for name in names:
            path = SHARED / "solomon_100" / f"{name}.vrptw"
            raw = load_raw(path)
            for solver in solvers:
                began = time.perf_counter()
                routes = SOLVERS[solver](path, raw, limit, seed)
                seconds = time.perf_counter() - began
                ok, total = route_check(raw, routes)
                distance = total / 10
                rows.append(
                    Row(
                        name,
                        solver,
                        distance,
                        100 * (distance / bks[name] - 1),
                        len(routes),
                        ok,
                        seconds,
                    )
                )
                progress.advance(task)
    return rows


def report(rows: list[Row], solvers: list[str], meta: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Solomon VRPTW, {meta['time_limit_s']:g} s per instance")
    table.add_column("instance")
    for s in solvers:
        table.add_column(f"{s} gap %", justify="right")
    by = {(r.instance, r.solver): r for r in rows}
    for name in dict.fromkeys(r.instance for r in rows):
        cells = []
        for s in solvers:
            r = by[(name, s)]
            cells.append(f"{r.gap_pct:.2f}" + ("" if r.feasible else " ✗"))
        table.add_row(name, *cells)
    summary = {}
    for s in solvers:
        mine = [r for r in rows if r.solver == s]
        summary[s] = {
            "mean_gap_pct": statistics.fmean(r.gap_pct for r in mine if r.feasible),
            "infeasible": sum(not r.feasible for r in mine),
            "mean_seconds": statistics.fmean(r.seconds for r in mine),
        }
    table.add_section()
    table.add_row("mean", *(f"{summary[s]['mean_gap_pct']:.3f}" for s in solvers))
    table.add_row("mean s", *(f"{summary[s]['mean_seconds']:.2f}" for s in solvers))
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"meta": meta, "summary": summary, "rows": [asdict(r) for r in rows]}, indent=1)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="comma-separated instance names")
    parser.add_argument("--solvers", default=",".join(SOLVERS))
    args = parser.parse_args()
    if not SHARED.exists():
        raise SystemExit(f"{SHARED} is absent: the Solomon data lives beside the checkout")
    names = sorted(p.stem for p in (SHARED / "solomon_100").glob("*.vrptw"))
    if args.only:
        names = [n for n in names if n in set(args.only.split(","))]
    solvers = args.solvers.split(",")
    meta = {
        "time_limit_s": args.time_limit,
        "seed": args.seed,
        "instances": len(names),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_at_start": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }
    rows = run(names, solvers, args.time_limit, args.seed)
    meta["load_average_at_end"] = os.getloadavg()[0]
    report(rows, solvers, meta)


if __name__ == "__main__":
    main()
