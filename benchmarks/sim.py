"""The simulator: a 2,000-order day headless, and static against dynamic dispatch over seeds.

    flock /tmp/lastmile-bench.lock .venv/bin/python benchmarks/sim.py \
        --orders 2000 --vehicles 25 --compare-orders 300 --seeds 10

(a) one dynamic day of ``--orders`` orders and ``--vehicles`` vehicles, in memory, with the
wall time of each phase (scenario, morning plan, the simulated day, of which re-planning);
target: at most 3 minutes. (b) the same scenario under the static morning plan and under
lastmile's dynamic dispatch over ``--seeds`` seeds of ``--compare-orders`` orders (two
worker processes), each KPI's paired difference with its 95 % interval; target: dynamic
better on on-time rate and km per stop with intervals that exclude zero.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "sim.json"
PHASES = ("scenario_s", "setup_s", "morning_plan_s", "simulation_s", "replan_s", "total_s")


def one_day(args: argparse.Namespace) -> dict[str, Any]:
    from collections import Counter

    from lastmile.analytics.kpis import HEADLINE
    from lastmile.analytics.scorecard import score
    from lastmile.sim.day import SimConfig, run_day

    config = SimConfig(orders=args.orders, vehicles=args.vehicles, seed=args.seed)
    if args.replan_stops is not None:
        config = replace(config, replan_stops=args.replan_stops or None)
    began = time.perf_counter()
    log = run_day(config)
    wall = time.perf_counter() - began
    outcomes = Counter(d.outcome.value for d in log.deliveries)
    kpis = {k.name: k.read(score(log).overall) for k in HEADLINE}
    return {
        "orders": args.orders,
        "vehicles": len(log.vehicles),
        "wall_s": wall,
        "phases": {k: float(log.notes.get(k, "nan")) for k in PHASES},
        "replans": int(log.notes.get("replans", "0")),
        "outcomes": dict(outcomes),
        "eta_samples": len(log.etas),
        "exceptions": len(log.exceptions),
        "on_time": kpis["on_time"],
        "km_per_stop": kpis["km_per_stop"],
    }


def comparison(args: argparse.Namespace) -> dict[str, Any]:
    from lastmile.analytics.compare import compare
    from lastmile.analytics.serial import to_json
    from lastmile.sim.day import SimConfig

    config = SimConfig(
        orders=args.compare_orders, vehicles=args.compare_vehicles, seed=args.first_seed
    )
    if args.replan_work is not None:
        config = replace(config, replan_work=args.replan_work)
    if args.hold_stops is not None:
        config = replace(config, hold_stops=args.hold_stops)
    if args.defer_value is not None:
        config = replace(config, defer_value_cents=args.defer_value or None)
    if args.improve_idle is not None:
        config = replace(config, improve_idle=args.improve_idle)
    began = time.perf_counter()
    static, dynamic = _days(config, args)
    wall = time.perf_counter() - began
    result = compare(static, dynamic)
    per_seed = [
        {"seed": a.seed, "static": _headline(a), "dynamic": _headline(b)}
        for a, b in zip(static, dynamic, strict=True)
    ]
    return {
        "wall_s": wall,
        "comparison": json.loads(to_json(result)),
        "per_seed": per_seed,
        "object": result,
    }


def _days(config: Any, args: argparse.Namespace) -> tuple[list[Any], list[Any]]:
    """Each policy's day for each seed, ``--workers`` at a time; with ``--days``, each
    finished day is kept there (a pickled day log) and reused by the next run."""
    import multiprocessing
    import pickle
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from lastmile.sim.day import run_day

    jobs = {
        (p, config.seed + k): replace(config, policy=p, seed=config.seed + k, workers=1)
        for p in ("dynamic", "static")  # the longer days first
        for k in range(args.seeds)
    }
    logs: dict[tuple[str, int], Any] = {}
    folder: Path | None = args.days
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for key in jobs:
            path = folder / f"{key[0]}-{key[1]}.pkl"
            if path.exists():
                logs[key] = pickle.loads(path.read_bytes())
    todo = [key for key in jobs if key not in logs]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=context) as pool:
        running = {pool.submit(run_day, jobs[key]): key for key in todo}
        for done in as_completed(running):
            key = running[done]
            logs[key] = done.result()
            print(f"{key[0]} seed {key[1]} done", flush=True)
            if folder is not None:
                (folder / f"{key[0]}-{key[1]}.pkl").write_bytes(pickle.dumps(logs[key]))
    seeds = range(config.seed, config.seed + args.seeds)
    return [logs["static", s] for s in seeds], [logs["dynamic", s] for s in seeds]


def _headline(log: Any) -> dict[str, float | None]:
    """On-time, km per stop and their parts for one day (the per-seed table)."""
    from lastmile.analytics.kpis import HEADLINE
    from lastmile.analytics.scorecard import score

    overall = score(log).overall
    kpis = {k.name: k.read(overall) for k in HEADLINE}
    return {
        "on_time": kpis["on_time"],
        "km_per_stop": kpis["km_per_stop"],
        "km": overall.fleet.km,
        "stops": overall.fleet.stops,
        "trips": float(log.notes.get("trips", "nan")),
        "small_trips": float(log.notes.get("small_trips", "nan")),
    }


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    from lastmile.analytics.report import print_comparison

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--vehicles", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compare-orders", type=int, default=300)
    parser.add_argument("--compare-vehicles", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1, help="of the comparison's seeds")
    parser.add_argument(
        "--replan-stops", type=int, default=None, help="open stops per re-plan interval; 0: off"
    )
    parser.add_argument(
        "--replan-work", type=int, default=None, help="comparison: SimConfig.replan_work"
    )
    parser.add_argument(
        "--hold-stops", type=int, default=None, help="comparison: SimConfig.hold_stops"
    )
    parser.add_argument(
        "--defer-value",
        type=int,
        default=None,
        help="comparison: SimConfig.defer_value_cents; 0: serve every stop that fits",
    )
    parser.add_argument(
        "--improve-idle",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="comparison: SimConfig.improve_idle (improve the plan when no event waits)",
    )
    parser.add_argument("--workers", type=int, default=2, help="comparison days at a time")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--days", type=Path, default=None, help="folder keeping finished comparison days"
    )
    parser.add_argument("--skip-day", action="store_true")
    parser.add_argument("--skip-compare", action="store_true")
    args = parser.parse_args()
    console = Console()
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
        **vars(args),
    }
    out: dict[str, Any] = {"meta": meta}
    if not args.skip_day:
        day = one_day(args)
        out["day"] = day
        table = Table(title=f"a {day['orders']}-order, {day['vehicles']}-vehicle day, dynamic")
        table.add_column("phase")
        table.add_column("wall s", justify="right")
        for name, value in day["phases"].items():
            table.add_row(name[:-2].replace("_", " "), f"{value:.1f}")
        console.print(table)
        console.print(
            f"replans {day['replans']}; outcomes {day['outcomes']}; on time "
            f"{day['on_time']:.1%}; km per stop {day['km_per_stop']:.2f}; target ≤ 180 s"
        )
    if not args.skip_compare:
        cmp = comparison(args)
        print_comparison(console, cmp.pop("object"))
        console.print(f"{2 * args.seeds} days in {cmp['wall_s']:.0f} s")
        for row in cmp["per_seed"]:
            a, b = row["static"], row["dynamic"]
            console.print(
                f"seed {row['seed']}: km/stop {a['km_per_stop']:.2f} -> {b['km_per_stop']:.2f}"
                f" ({a['km']:.0f} km/{a['stops']:.0f} -> {b['km']:.0f} km/{b['stops']:.0f});"
                f" on time {a['on_time']:.3f} -> {b['on_time']:.3f};"
                f" trips {a['trips']:.0f} ({a['small_trips']:.0f}) ->"
                f" {b['trips']:.0f} ({b['small_trips']:.0f})"
            )
        out["compare"] = cmp
    meta["load_average_at_end"] = os.getloadavg()[0]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
