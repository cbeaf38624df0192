"""Synthetic city days (the simulator's scenario): time to a first plan, and to a good one.

    .venv/bin/python benchmarks/city.py --sizes 1000,5000,10000 --reference-s 600

For each size: the time to the first feasible plan (problem build, diagnosis and the greedy
construction, re-timed), then plans at growing fractions of the reference budget, and the
first budget whose score is within 1 % of the reference run's. Score = cost in cents plus
10,000 cents (EUR 100) per required stop left out, so a plan cannot look cheap by serving
less. (Raw PyVRP on the whole 10,000-stop day is not run: its city-wide matrices, one per
vehicle class, need tens of GB on this machine.)
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


def scenario_problem(size: int, seed: int) -> Any:
    from lastmile.geo.haversine import HaversineProvider
    from lastmile.planning.build import build_from_orders
    from lastmile.sim.scenario import generate

    sc = generate(size, seed, date(2026, 3, 2))
    return build_from_orders(
        sc.orders,
        sc.hubs,
        sc.vehicles,
        provider=HaversineProvider(),
        shifts=sc.shifts,
        drivers=sc.drivers,
        zones=sc.zones,
    )


def score(result: Any, problem: Any) -> int:
    missed = sum(1 for u in result.unassigned if u.reason.value != "deferred")
    return int(result.cost_cents + MISSED_CENTS * missed)


def first_feasible(size: int, seed: int) -> dict[str, float]:
    from lastmile.planning.assemble import assemble
    from lastmile.planning.construct import construct
    from lastmile.planning.decompose import DECOMPOSE_FROM, first_plan
    from lastmile.planning.diagnose import precheck
    from lastmile.planning.validate import check

    scenario_problem(50, seed)  # imports and caches warm, so only the planning is timed
    began = time.perf_counter()
    problem = scenario_problem(size, seed)
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


def plan(size: int, seed: int, limit: float) -> tuple[int, int, float, int]:
    from lastmile.planning.decompose import DecomposingSolver
    from lastmile.planning.pyvrp_solver import PyVRPSolver
    from lastmile.planning.solver import SolveOptions
    from lastmile.planning.validate import check

    began = time.perf_counter()
    problem = scenario_problem(size, seed)
    result = DecomposingSolver(PyVRPSolver()).solve(problem, SolveOptions(time_limit_s=limit))
    wall = time.perf_counter() - began
    bad = len(check(problem, result.routes, result.unassigned))
    return score(result, problem), result.served, wall, bad


def run_size(size: int, seed: int, reference_s: float) -> dict[str, Any]:
    row: dict[str, Any] = {"stops": size, **first_feasible(size, seed)}
    ref, served, wall, bad = plan(size, seed, reference_s)
    row.update(
        reference_s=reference_s,
        reference_score=ref,
        reference_served=served,
        reference_wall_s=wall,
        reference_violations=bad,
    )
    row["ladder"] = []
    row["within_1pct_s"] = None
    for fraction in FRACTIONS:
        limit = reference_s * fraction
        value, served, wall, bad = plan(size, seed, limit)
        row["ladder"].append(
            {"limit_s": limit, "score": value, "served": served, "wall_s": wall, "violations": bad}
        )
        if row["within_1pct_s"] is None and value <= ref * 1.01:
            row["within_1pct_s"] = wall
    return row


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--reference-s", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
        "reference_s": args.reference_s,
    }
    rows = [run_size(n, args.seed, args.reference_s) for n in sizes]
    meta["load_average_at_end"] = os.getloadavg()[0]
    table = Table(title=f"synthetic city days, reference {args.reference_s:g} s")
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
    for r in rows:
        within = f"{r['within_1pct_s']:.1f}" if r["within_1pct_s"] else "-"
        table.add_row(
            str(r["stops"]),
            f"{r['first_feasible_s']:.2f}",
            str(r["first_served"]),
            str(r["reference_served"]),
            f"{r['reference_score'] / 100:,.0f}",
            f"{r['reference_wall_s']:.1f}",
            within,
            str(r["reference_violations"] + r["first_violations"]),
        )
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
