"""What re-timing keeps of the search's routes: stops routed, kept, and re-inserted.

    .venv/bin/python benchmarks/retiming.py --days 1000:1:1 1500:2:1 2000:1:3 2000:4:3

PyVRP plans without the driver's break (each shift is shortened by it) and on one travel
band per vehicle; :func:`lastmile.planning.assemble.assemble` then times every route with
the day's hour-by-hour travel and the break, and takes out what no longer fits. Each day
(``stops:seed:fleet`` of the simulator's synthetic city, ``fleet`` copies of each crew) is
searched for a fixed number of iterations, so every run sees the same sequences, and
assembled twice: keeping each route's order (only the break is placed, in a wait where that
avoids lateness) and with the dropped stops re-inserted where a timed route still fits them.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from replan import day_problem

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "retiming.json"


def run_day(stops: int, seed: int, fleet: int, iterations: int) -> dict[str, Any]:
    from lastmile.planning.assemble import assemble
    from lastmile.planning.pyvrp_solver import PyVRPSolver
    from lastmile.planning.solver import SolveOptions

    problem = day_problem(stops, seed, fleet)
    options = SolveOptions(time_limit_s=3600, seed=seed, max_iterations=iterations)
    searched = PyVRPSolver().search_plans(problem, options)
    row: dict[str, Any] = {"day": f"{stops}:{seed}:{fleet}", "routed": len(searched.routed)}
    for name, reinsert in (("in_order", False), ("reinserted", True)):
        began = time.perf_counter()
        routes, dropped = assemble(
            problem, searched.plans or [], searched.starts, reinsert=reinsert
        )
        row[f"{name}_s"] = time.perf_counter() - began
        row[f"{name}_kept"] = sum(len(r.visits) for r in routes)
        row[f"{name}_cost_cents"] = sum(r.cost_cents for r in routes)
        row[f"{name}_dropped"] = {d.detail: 0 for d in dropped}
        for d in dropped:
            row[f"{name}_dropped"][d.detail] += 1
    return row


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--days",
        nargs="+",
        default=["1000:1:1", "1500:2:1", "2000:1:3", "2000:4:3"],
        help="stops:seed:fleet of each synthetic day",
    )
    parser.add_argument("--iterations", type=int, default=300, help="search iterations per day")
    args = parser.parse_args()
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
        **vars(args),
    }
    rows = []
    for day in args.days:
        stops, seed, fleet = (int(x) for x in day.split(":"))
        rows.append(run_day(stops, seed, fleet, args.iterations))
    meta["load_average_at_end"] = os.getloadavg()[0]
    table = Table(title="stops the search routed that survive re-timing with the break")
    for column in (
        "day",
        "routed",
        "kept (order)",
        "kept (re-insert)",
        "kept ratio",
        "cost ratio",
        "assembly s",
    ):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            row["day"],
            str(row["routed"]),
            str(row["in_order_kept"]),
            str(row["reinserted_kept"]),
            f"{row['reinserted_kept'] / max(1, row['in_order_kept']):.4f}",
            f"{row['reinserted_cost_cents'] / max(1, row['in_order_cost_cents']):.4f}",
            f"{row['in_order_s']:.2f}, {row['reinserted_s']:.2f}",
        )
    Console().print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
