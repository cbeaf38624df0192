"""Synthetic city days (the simulator's scenario): time to a first plan, and to a good one.

    .venv/bin/python benchmarks/city.py --sizes 1000,5000,10000 --reference-s 600 \
        --raw-stops 10000 --raw-vehicles 100 --raw-limit 120
    # one size in two holds of the machine, adding to the last run's results:
    .venv/bin/python benchmarks/city.py --sizes 5000 --part reference --raw-stops 0 --resume
    .venv/bin/python benchmarks/city.py --sizes 5000 --part ladder --raw-stops 0 --resume
    # one iteration-bounded plan per size, load-independent (one worker, printed only):
    .venv/bin/python benchmarks/city.py --sizes 1000 --seed 2 --iterations 1000

For each size: the time to the first feasible plan (problem build, diagnosis and the greedy
construction, re-timed), then plans at growing fractions of the reference budget, and the
first budget whose score is within 1 % of the reference run's. Score = cost in cents plus
10,000 cents (EUR 100) per required stop left out, so a plan cannot look cheap by serving
less.

Raw PyVRP cannot take the simulator's day whole (one city-wide matrix per vehicle class:
skills, zone rules and three hubs make eleven, tens of GB). So the head-to-head runs on a
plain day of the same size: one hub, identical vans, windows on part of the stops. lastmile
plans it as any day (decomposed, both cores); raw PyVRP gets lastmile's own encoding of the
whole day (so the same objective) in one ``pyvrp.solve`` on one core, for the same wall
time, its matrix and encoding not counted; both plans are re-timed, costed and checked the
same way.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "city.json"
MISSED_CENTS = 10_000
FRACTIONS = (0.05, 0.1, 0.2, 0.5)


def scenario_problem(size: int, seed: int, fleet_factor: int = 1) -> Any:
    """The simulator's day; with ``fleet_factor`` k, k copies of its vans, drivers and shifts."""
    from dataclasses import replace

    from lastmile.geo.haversine import HaversineProvider
    from lastmile.planning.build import build_from_orders
    from lastmile.sim.scenario import generate

    sc = generate(size, seed, date(2026, 3, 2))
    vehicles, drivers, shifts = list(sc.vehicles), list(sc.drivers), list(sc.shifts)
    for copy in range(1, fleet_factor):
        tag = f"-X{copy}"
        vehicles += [replace(v, ref=v.ref + tag) for v in sc.vehicles]
        drivers += [replace(d, ref=d.ref + tag) for d in sc.drivers]
        shifts += [
            replace(
                s,
                ref=s.ref + tag,
                driver_ref=s.driver_ref + tag,
                vehicle_ref=s.vehicle_ref + tag if s.vehicle_ref else None,
            )
            for s in sc.shifts
        ]
    return build_from_orders(
        sc.orders,
        sc.hubs,
        vehicles,
        provider=HaversineProvider(),
        shifts=shifts,
        drivers=drivers,
        zones=sc.zones,
    )


def score(result: Any, problem: Any) -> int:
    missed = sum(1 for u in result.unassigned if u.reason.value != "deferred")
    return int(result.cost_cents + MISSED_CENTS * missed)


def first_feasible(size: int, seed: int, fleet_factor: int = 1) -> dict[str, float]:
    from lastmile.planning.assemble import assemble
    from lastmile.planning.construct import construct
    from lastmile.planning.decompose import DECOMPOSE_FROM, first_plan
    from lastmile.planning.diagnose import precheck
    from lastmile.planning.validate import check

    scenario_problem(50, seed)  # imports and caches warm, so only the planning is timed
    began = time.perf_counter()
    problem = scenario_problem(size, seed, fleet_factor)
    servable, _ = precheck(problem)
    if size >= DECOMPOSE_FROM:
        plans = first_plan(problem, servable, part_size=1_000)
    else:
        plans = construct(problem, servable)
    routes, _ = assemble(problem, plans)
    seconds = time.perf_counter() - began
    served = sum(len(r.visits) for r in routes)
    violations = [v for v in check(problem, routes) if v.kind != "missing"]
    return {
        "first_feasible_s": seconds,
        "first_served": served,
        "first_violations": len(violations),
    }


def plan(
    size: int, seed: int, limit: float, fleet_factor: int = 1, iterations: int | None = None
) -> dict[str, Any]:
    """One plan of the scenario day: score, served, cost, wall time, checker violations and
    the stops left out by reason; with ``iterations``, one worker's iteration-bounded search
    (the same plan on any machine and load)."""
    from collections import Counter

    from lastmile.planning.decompose import DecomposingSolver
    from lastmile.planning.pyvrp_solver import PyVRPSolver
    from lastmile.planning.solver import SolveOptions
    from lastmile.planning.validate import check

    began = time.perf_counter()
    problem = scenario_problem(size, seed, fleet_factor)
    options = SolveOptions(time_limit_s=limit)
    if iterations is not None:
        options = SolveOptions(time_limit_s=limit, seed=1, workers=1, max_iterations=iterations)
    result = DecomposingSolver(PyVRPSolver()).solve(problem, options)
    wall = time.perf_counter() - began
    bad = len(check(problem, result.routes, result.unassigned))
    return {
        "score": score(result, problem),
        "served": result.served,
        "cost_cents": result.cost_cents,
        "wall_s": wall,
        "violations": bad,
        "left_out": dict(Counter(u.reason.value for u in result.unassigned)),
    }


def plain_day(stops: int, vehicles: int, seed: int) -> Any:
    """One hub, ``vehicles`` identical vans for 07:00-21:00, stops in a 10 km disc; a third
    of them with a three-hour window. Loose enough that every stop can be served."""
    import math
    from datetime import UTC, datetime, timedelta

    import numpy as np

    from lastmile.domain import (
        Address,
        Coordinate,
        Hub,
        Load,
        Stop,
        StopKind,
        TimeWindow,
        Vehicle,
        VehicleKind,
    )
    from lastmile.geo.haversine import HaversineProvider
    from lastmile.planning.build import build_problem

    rng = np.random.default_rng(seed)
    centre = Coordinate(lat=52.37, lon=4.90)
    start = datetime(2026, 3, 2, 7, tzinfo=UTC)
    radius = 10_000 * np.sqrt(rng.random(stops))
    angle = 2 * math.pi * rng.random(stops)
    lat = centre.lat + radius * np.sin(angle) / 111_320
    lon = centre.lon + radius * np.cos(angle) / (111_320 * math.cos(math.radians(centre.lat)))
    slots = [
        TimeWindow(start + timedelta(hours=h), start + timedelta(hours=h + 3))
        for h in (1, 4, 7, 10)
    ]
    day_stops = [
        Stop(
            ref=f"P{i}",
            kind=StopKind.DELIVERY,
            location=Address(raw=f"stop {i}", coordinate=Coordinate(float(lat[i]), float(lon[i]))),
            windows=(slots[int(rng.integers(4))],) if rng.random() < 1 / 3 else (),
            service_s=int(rng.choice([60, 120, 180])),
            load=Load(parcels=int(rng.integers(1, 4))),
        )
        for i in range(stops)
    ]
    fleet = [
        Vehicle(
            ref=f"V{k}",
            kind=VehicleKind.VAN,
            hub_ref="H",
            capacity=Load(parcels=4 * stops // vehicles),
            cost_per_km_cents=30,
            cost_per_hour_cents=2_500,
        )
        for k in range(vehicles)
    ]
    hub = Hub(ref="H", name="hub", location=centre)
    day = TimeWindow(start, start + timedelta(hours=14))
    return build_problem(day_stops, [hub], fleet, provider=HaversineProvider(), day=day)


_RAW: dict[str, Any] = {}


def _raw_pyvrp(send: Any) -> None:
    """One ``pyvrp.solve`` on the inherited encoding, stopped ``limit`` s after the call."""
    import pyvrp

    from lastmile.planning.pyvrp_solver import decode

    encoded, seed = _RAW["encoded"], int(_RAW["seed"])
    deadline = time.perf_counter() + float(_RAW["limit"])

    def stop(best_cost: int) -> bool:
        return time.perf_counter() >= deadline

    found = pyvrp.solve(encoded.data, stop, seed=seed, collect_stats=False)
    plans, starts = decode(encoded, found.best)
    send.send((plans, starts, found.num_iterations, found.best.is_feasible()))


def versus_raw(stops: int, vehicles: int, seed: int, limit: float) -> dict[str, Any]:
    """lastmile and raw PyVRP on the same plain day for the same wall time."""
    import multiprocessing

    from lastmile.planning.assemble import assemble
    from lastmile.planning.decompose import DecomposingSolver
    from lastmile.planning.diagnose import precheck
    from lastmile.planning.pyvrp_solver import PyVRPSolver, encode
    from lastmile.planning.solver import SolveOptions
    from lastmile.planning.validate import check

    out: dict[str, Any] = {"stops": stops, "vehicles": vehicles, "limit_s": limit}
    began = time.perf_counter()
    problem = plain_day(stops, vehicles, seed)
    result = DecomposingSolver(PyVRPSolver()).solve(problem, SolveOptions(time_limit_s=limit))
    out["lastmile"] = {
        "wall_s": time.perf_counter() - began,
        "cost_cents": result.cost_cents,
        "served": result.served,
        "score": score(result, problem),
        "violations": len(check(problem, result.routes, result.unassigned)),
    }
    del result
    problem = plain_day(stops, vehicles, seed)
    servable, _ = precheck(problem)
    t0 = time.perf_counter()
    encoded = encode(problem, servable)
    out["raw_encode_s"] = time.perf_counter() - t0
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    _RAW.update(encoded=encoded, limit=limit, seed=seed)
    child = ctx.Process(target=_raw_pyvrp, args=(send,))
    t0 = time.perf_counter()
    child.start()
    # PyVRP cannot be stopped inside its first local search: give up 30 s after the budget.
    answered = receive.poll(limit + 30)
    got = receive.recv() if answered else None
    wall = time.perf_counter() - t0
    child.kill()
    child.join()
    if got is None:
        out["pyvrp"] = {"wall_s": wall, "served": 0, "cost_cents": 0, "violations": 0}
        out["pyvrp"]["score"] = MISSED_CENTS * len(servable)
        out["pyvrp"]["note"] = "no solution by the budget + 30 s (first local search)"
        return out
    plans, starts, iterations, feasible = got
    routes, _ = assemble(problem, plans, starts)
    served = sum(len(r.visits) for r in routes)
    cost = sum(r.cost_cents for r in routes)
    out["pyvrp"] = {
        "wall_s": wall,
        "iterations": iterations,
        "feasible": feasible,
        "cost_cents": cost,
        "served": served,
        "score": cost + MISSED_CENTS * (len(servable) - served),
        "violations": len([v for v in check(problem, routes) if v.kind != "missing"]),
    }
    return out


def run_reference(row: dict[str, Any], seed: int, reference_s: float) -> None:
    """The first feasible plan and the reference run, into ``row``."""
    size = int(row["stops"])
    factor = int(row.get("fleet_factor", 1))
    row.update(first_feasible(size, seed, factor))
    ref = plan(size, seed, reference_s, factor)
    row.update(
        reference_s=reference_s,
        reference_score=ref["score"],
        reference_served=ref["served"],
        reference_wall_s=ref["wall_s"],
        reference_violations=ref["violations"],
        reference_cost_cents=ref["cost_cents"],
        reference_left_out=ref["left_out"],
    )


def run_ladder(row: dict[str, Any], seed: int, fractions: list[float]) -> None:
    """Plans at fractions of the reference budget; the first within 1 % of the reference."""
    if "reference_score" not in row:
        raise SystemExit(f"{row['stops']} stops: no reference yet (run --part reference first)")
    ref = row["reference_score"]
    row["ladder"] = []
    row["within_1pct_s"] = None
    for fraction in fractions:
        limit = row["reference_s"] * fraction
        rung = plan(int(row["stops"]), seed, limit, row.get("fleet_factor", 1))
        row["ladder"].append({"limit_s": limit, **rung})
        if row["within_1pct_s"] is None and rung["score"] <= ref * 1.01:
            row["within_1pct_s"] = rung["wall_s"]


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--reference-s", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--raw-stops", type=int, default=10_000, help="0 skips the raw run")
    parser.add_argument("--raw-vehicles", type=int, default=100)
    parser.add_argument("--raw-limit", type=float, default=120.0)
    parser.add_argument(
        "--part",
        choices=("all", "reference", "ladder"),
        default="all",
        help="reference: first plan and reference run; ladder: the budgets below a stored one",
    )
    parser.add_argument(
        "--fractions",
        default=",".join(f"{f:g}" for f in FRACTIONS),
        help="ladder budgets as fractions of the reference",
    )
    parser.add_argument(
        "--resume", action="store_true", help="add to the last run's results instead of anew"
    )
    parser.add_argument(
        "--fleet-factor",
        type=int,
        default=1,
        help="k copies of the scenario's vans, drivers and shifts (a day not over-subscribed)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    parser.add_argument(
        "--iterations", type=int, help="only one iteration-bounded plan per size (one worker)"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.iterations:
        for n in sizes:
            got = plan(n, args.seed, 1e6, args.fleet_factor, args.iterations)
            print(json.dumps({"stops": n, "seed": args.seed, "iterations": args.iterations, **got}))
        return
    fractions = [float(f) for f in args.fractions.split(",") if f]
    hold = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_at_start": os.getloadavg()[0],
        "sizes": sizes,
        "part": args.part,
    }
    meta: dict[str, Any] = {"cpus": os.cpu_count(), "holds": [hold]}
    body: dict[str, Any] = {"meta": meta, "rows": []}
    out: Path = args.out
    if args.resume and out.exists():
        body = json.loads(out.read_text())
        meta = body["meta"]
        meta.setdefault("holds", []).append(hold)
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.raw_stops:  # first: the head-to-head is the target that matters most
        body["versus_raw"] = versus_raw(
            args.raw_stops, args.raw_vehicles, args.seed, args.raw_limit
        )
        out.write_text(json.dumps(body, indent=1))
        print_duel(body["versus_raw"])
    rows = body["rows"]
    for n in sizes:
        key = {"stops": n, "fleet_factor": args.fleet_factor}
        row = next((r for r in rows if _same(r, key)), None)
        if row is None:
            row = key
            rows.append(row)
        if args.part in ("all", "reference"):
            run_reference(row, args.seed, args.reference_s)
        if args.part in ("all", "ladder"):
            run_ladder(row, args.seed, fractions)
        out.write_text(json.dumps(body, indent=1))
    hold["load_average_at_end"] = os.getloadavg()[0]
    table = Table(title="synthetic city days")
    for column in (
        "stops",
        "first plan s",
        "first served",
        "ref served",
        "ref score €",
        "ref wall s",
        "within 1 % s",
        "violations",
    ):
        table.add_column(column, justify="right")
    for r in (r for r in rows if "reference_score" in r):
        within = f"{r['within_1pct_s']:.1f}" if r.get("within_1pct_s") else "-"
        factor = r.get("fleet_factor", 1)
        table.add_row(
            f"{r['stops']} x{factor} fleet" if factor != 1 else str(r["stops"]),
            f"{r['first_feasible_s']:.2f}",
            str(r["first_served"]),
            str(r["reference_served"]),
            f"{r['reference_score'] / 100:,.0f}",
            f"{r['reference_wall_s']:.1f}",
            within,
            str(r["reference_violations"] + r["first_violations"]),
        )
    Console().print(table)
    out.write_text(json.dumps(body, indent=1))


def _same(row: dict[str, Any], key: dict[str, int]) -> bool:
    """The row of this size and fleet (rows before fleet factors have the scenario's own)."""
    return bool(row["stops"] == key["stops"] and row.get("fleet_factor", 1) == key["fleet_factor"])


def print_duel(head: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    duel = Table(title=f"plain day: {head['stops']:,} stops, {head['vehicles']} vans")
    for column in ("solver", "wall s", "served", "cost €", "score €", "violations"):
        duel.add_column(column, justify="right")
    for name in ("lastmile", "pyvrp"):
        r = head[name]
        duel.add_row(
            name,
            f"{r['wall_s']:.1f}",
            str(r["served"]),
            f"{r['cost_cents'] / 100:,.0f}",
            f"{r['score'] / 100:,.0f}",
            str(r["violations"]),
        )
    Console().print(duel)


if __name__ == "__main__":
    main()
