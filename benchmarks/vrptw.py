"""Solomon VRPTW, side by side: lastmile (domain layer, both cores) vs raw PyVRP, VROOM, OR-Tools.

    .venv/bin/python benchmarks/vrptw.py --time-limit 10            # all 56 instances
    .venv/bin/python benchmarks/vrptw.py --only R101,C201 --solvers lastmile,pyvrp
    .venv/bin/python benchmarks/vrptw.py --families C,RC            # then, to finish:
    .venv/bin/python benchmarks/vrptw.py --families R --resume      # one table of all
    .venv/bin/python benchmarks/vrptw.py --iterations 6000 --solvers lastmile,pyvrp  # no clock

Solvers run side by side per instance, so each instance sees all of them under the same load.
Cores: lastmile uses two cooperating search processes; raw PyVRP runs once on one core (the
baseline to beat at equal wall time); VROOM runs 2 threads; OR-Tools one.

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

from vrptw_rivals import Raw, load_raw, route_check, run_ortools, run_vroom

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "benchmarks" / "vrptw"
RESULTS = ROOT / "benchmarks" / "results" / "vrptw.json"
#: With ``--iterations``: lastmile's workers and raw PyVRP stop after that many iterations
#: (each worker), so the comparison does not depend on the machine's load.
ITERATIONS: list[int] = []


#: Seconds of the last lastmile run spent outside PyVRP's search (reading the file, domain
#: objects, integer problem, encoding, decoding, re-timing and checking the plan).
DOMAIN_S: list[float] = []


def run_lastmile(path: Path, raw: Raw, limit: float, seed: int) -> list[list[int]]:
    """The instance through the domain layer, wall time including reading the file."""
    from lastmile.planning.instances import read_instance
    from lastmile.planning.pyvrp_solver import PyVRPSolver
    from lastmile.planning.solver import SolveOptions

    began = time.perf_counter()
    problem = read_instance(path).problem()
    left = limit - (time.perf_counter() - began)
    cap = ITERATIONS[0] if ITERATIONS else None
    options = SolveOptions(
        time_limit_s=3600 if cap else left, seed=seed, workers=2, max_iterations=cap
    )
    result = PyVRPSolver().solve(problem, options)
    if not cap:  # an iteration-bounded search has no budget to subtract
        DOMAIN_S.append(time.perf_counter() - began - result.stats["search_s"])
    return [[int(v.ref) for v in r.visits] for r in result.routes if r.visits]


def run_pyvrp(path: Path, raw: Raw, limit: float, seed: int) -> list[list[int]]:
    import pyvrp
    from pyvrp.stop import MaxIterations, MaxRuntime

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
    dist: Any = raw.dist
    data = pyvrp.ProblemData(locs, clients, [depot], [vt], [dist], [dist])
    stop = MaxIterations(ITERATIONS[0]) if ITERATIONS else MaxRuntime(limit)
    res = pyvrp.solve(data, stop, seed=seed, collect_stats=False)
    return [[a.idx + 1 for a in r.schedule() if a.is_client()] for r in res.best.routes()]


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
    #: lastmile only: seconds outside the search (the domain layer's cost).
    domain_s: float | None = None


def bks_table() -> dict[str, float]:
    with (SHARED / "solomon_100_bks.csv").open() as fh:
        return {r["instance"]: float(r["dist_only_distance_trunc1"]) for r in csv.DictReader(fh)}


def run(
    names: list[str], solvers: list[str], limit: float, seed: int, done: list[Row], meta: Any
) -> list[Row]:
    """Every solver on every instance not in ``done``; the JSON is rewritten after each."""
    from rich.progress import Progress

    bks = bks_table()
    rows = list(done)
    have = {(r.instance, r.solver) for r in done}
    todo = [(n, s) for n in names for s in solvers if (n, s) not in have]
    with Progress() as progress:
        task = progress.add_task("solving", total=len(todo))
        for name in names:
            path = SHARED / "solomon_100" / f"{name}.vrptw"
            raw = load_raw(path)
            for solver in solvers:
                if (name, solver) not in todo:
                    continue
                DOMAIN_S.clear()
                began = time.perf_counter()
                routes = SOLVERS[solver](path, raw, limit, seed)
                seconds = time.perf_counter() - began
                ok, total = route_check(raw, routes)
                distance = total / 10
                gap = 100 * (distance / bks[name] - 1)
                domain = DOMAIN_S[0] if DOMAIN_S else None
                rows.append(Row(name, solver, distance, gap, len(routes), ok, seconds, domain))
                progress.advance(task)
            save(rows, meta)
    return rows


def results_path() -> Path:
    """The timed run's JSON, or a separate one for an iteration-bounded run."""
    return RESULTS.with_name("vrptw_iterations.json") if ITERATIONS else RESULTS


def save(rows: list[Row], meta: dict[str, Any], summary: Any = None) -> None:
    results_path().parent.mkdir(parents=True, exist_ok=True)
    body = {"meta": meta, "summary": summary, "rows": [asdict(r) for r in rows]}
    results_path().write_text(json.dumps(body, indent=1))


def previous(limit: float) -> tuple[list[Row], list[dict[str, Any]]]:
    """Rows (and the run notes) of an earlier, interrupted run at the same time limit."""
    if not results_path().exists():
        return [], []
    old = json.loads(results_path().read_text())
    if old["meta"].get("time_limit_s") != limit:
        raise SystemExit(f"{results_path()} is from a {old['meta'].get('time_limit_s')} s run")
    return [Row(**r) for r in old["rows"]], old["meta"].get("holds", [])


def _number(name: str) -> int:
    """C101 → 101: odd-numbered instances of each family are the tuning half."""
    return int(name.lstrip("CR"))


def report(rows: list[Row], solvers: list[str], meta: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    budget = f"{meta['time_limit_s']:g} s per instance"
    if meta.get("iterations"):
        budget = f"{meta['iterations']} iterations (per lastmile worker)"
    table = Table(title=f"Solomon VRPTW, {budget}")
    table.add_column("instance")
    for s in solvers:
        table.add_column(f"{s} gap %", justify="right")
    if "pyvrp" in solvers:
        for s in solvers:
            if s != "pyvrp":
                table.add_column(f"{s}/pyvrp", justify="right")
    by = {(r.instance, r.solver): r for r in rows}
    names = [
        n for n in dict.fromkeys(r.instance for r in rows) if all((n, s) in by for s in solvers)
    ]
    for name in names:
        cells = []
        for s in solvers:
            r = by[(name, s)]
            cells.append(f"{r.gap_pct:.2f}" if r.feasible else "✗")
        if "pyvrp" in solvers:
            base = by[(name, "pyvrp")].distance
            for s in solvers:
                if s != "pyvrp":
                    r = by[(name, s)]
                    cells.append(f"{r.distance / base:.4f}" if r.feasible else "✗")
        table.add_row(name, *cells)
    summary: dict[str, dict[str, Any]] = {}
    for s in solvers:
        mine = [by[(n, s)] for n in names]
        good = [r for r in mine if r.feasible]
        summary[s] = {
            "instances": len(mine),
            "mean_gap_pct": statistics.fmean(r.gap_pct for r in good) if good else None,
            "infeasible": sum(not r.feasible for r in mine),
            "mean_seconds": statistics.fmean(r.seconds for r in mine),
        }
        if "pyvrp" in solvers and s != "pyvrp":
            pairs = [(r, by[(r.instance, "pyvrp")]) for r in good]
            pairs = [(r, b) for r, b in pairs if b.feasible]
            summary[s]["vs_pyvrp"] = {
                "better": sum(r.distance < b.distance - 1e-9 for r, b in pairs),
                "equal": sum(abs(r.distance - b.distance) <= 1e-9 for r, b in pairs),
                "worse": sum(r.distance > b.distance + 1e-9 for r, b in pairs),
                "mean_ratio": statistics.fmean(r.distance / b.distance for r, b in pairs),
            }
        domain = [r.domain_s for r in mine if r.domain_s is not None]
        if domain:
            summary[s]["mean_domain_s"] = statistics.fmean(domain)
            summary[s]["domain_share_pct"] = 100 * sum(domain) / sum(r.seconds for r in mine)
    for s in solvers:  # odd-numbered instances tuned the search; even ones were held out
        for part, odd in (("tuned_half", 1), ("held_out_half", 0)):
            part_rows = [by[(n, s)] for n in names if _number(n) % 2 == odd]
            gaps = [r.gap_pct for r in part_rows if r.feasible]
            summary[s][f"{part}_mean_gap_pct"] = statistics.fmean(gaps) if gaps else None
    table.add_section()
    means = [summary[s]["mean_gap_pct"] for s in solvers]
    table.add_row("mean", *(f"{m:.3f}" if m is not None else "-" for m in means))
    for part in ("tuned_half", "held_out_half"):
        cells = [summary[s][f"{part}_mean_gap_pct"] for s in solvers]
        table.add_row(
            part.replace("_", " "), *(f"{m:.3f}" if m is not None else "-" for m in cells)
        )
    table.add_row("mean s", *(f"{summary[s]['mean_seconds']:.2f}" for s in solvers))
    Console().print(table)
    for s, v in summary.items():
        if "vs_pyvrp" in v:
            c = v["vs_pyvrp"]
            Console().print(
                f"{s} vs raw pyvrp: better {c['better']}, equal {c['equal']}, worse "
                f"{c['worse']}, mean distance ratio {c['mean_ratio']:.4f}"
            )
        if "mean_domain_s" in v:
            Console().print(
                f"{s}: domain layer {v['mean_domain_s']:.3f} s per instance "
                f"({v['domain_share_pct']:.2f} % of wall time)"
            )
    save(rows, meta, summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="comma-separated instance names")
    parser.add_argument("--solvers", default=",".join(SOLVERS))
    parser.add_argument("--families", default="", help="comma-separated: C, R, RC")
    parser.add_argument(
        "--iterations",
        type=int,
        help="iteration bound instead of the clock (lastmile, pyvrp only); own JSON file",
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep the rows of the last run's JSON, add the rest"
    )
    args = parser.parse_args()
    if not SHARED.exists():
        raise SystemExit(f"{SHARED} is absent: the Solomon data lives beside the checkout")
    names = sorted(p.stem for p in (SHARED / "solomon_100").glob("*.vrptw"))
    if args.only:
        unknown = set(args.only.split(",")) - set(names)
        if unknown:
            raise SystemExit(f"--only: no such instance {', '.join(sorted(unknown))}")
        names = [n for n in names if n in set(args.only.split(","))]
    if args.families:
        families = set(args.families.upper().split(","))
        if families - {"C", "R", "RC"}:
            raise SystemExit(f"--families: expected C, R or RC, got {args.families!r}")
        names = [n for n in names if n.rstrip("0123456789") in families]
    solvers = args.solvers.split(",")
    if set(solvers) - set(SOLVERS):
        raise SystemExit(f"--solvers: expected some of {', '.join(SOLVERS)}")
    if args.iterations:
        if set(solvers) - {"lastmile", "pyvrp"}:
            raise SystemExit("--iterations: only lastmile and pyvrp take an iteration bound")
        ITERATIONS.append(args.iterations)
    done, holds = previous(args.time_limit) if args.resume else ([], [])
    hold = {
        "instances": names,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_at_start": os.getloadavg()[0],
    }
    meta: dict[str, Any] = {
        "time_limit_s": args.time_limit,
        "iterations": args.iterations,
        "seed": args.seed,
        "solvers": solvers,
        "cpus": os.cpu_count(),
        "cores": {"lastmile": 2, "pyvrp": 1, "vroom": 2, "ortools": 1},
        "holds": [*holds, hold],
    }
    import importlib

    for module in ("lastmile.planning.instances", "lastmile.planning.pyvrp_solver", "pyvrp"):
        importlib.import_module(module)  # imports out of the first instance's timing
    for solver, module in (("vroom", "vroom"), ("ortools", "ortools.constraint_solver.pywrapcp")):
        if solver in solvers:
            importlib.import_module(module)

    rows = run(names, solvers, args.time_limit, args.seed, done, meta)
    hold["load_average_at_end"] = os.getloadavg()[0]
    report(rows, solvers, meta)


if __name__ == "__main__":
    main()
