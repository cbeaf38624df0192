"""Dynamic VRPTW benchmark: every policy and the hindsight bound on the same sampled days.

The EURO Meets NeurIPS 2022 dynamic rules on the ORTEC instances in ../shared/data/ortec
(never copied into the repository: their license is non-commercial). Each (instance, seed,
epoch limit) is one sampled day; every policy plays the same day, then the hindsight
problem of that day is solved. Results are written after every day, so an interrupted run
keeps what it measured, and ``--resume`` continues it.

    python benchmarks/dynamic.py                      # the issue's configuration
    python benchmarks/dynamic.py --instances n204 --seeds 1 --epoch-limits 5 --resume
    python benchmarks/dynamic.py --bounded --instances n204 --seeds 1 --policies greedy lastmile \
        --hindsight-factor 0 --setting undecided_prize=0.7   # a load-independent variant

Each finished run is merged into ``--out`` under a file lock, so several processes (for
example two single-core greedy runs on a 2-core machine) can fill one result file.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import sys
import time
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from lastmile.dispatch.dynamic.instance import DayInstance
    from lastmile.dispatch.dynamic.policies import Policy

ROOT = Path(__file__).resolve().parents[1]
ORTEC = ROOT.parent / "shared" / "data" / "ortec" / "instances"
RESULTS = ROOT / "benchmarks" / "results" / "dynamic.json"
POLICIES = ["greedy", "lazy", "random", "lastmile"]
# Development mode: fixed scenarios and iterations, so a day's cost does not depend on the
# machine's load (the settings of the tuning rounds in docs/benchmarks/dynamic.md).
BOUNDED: dict[str, object] = {
    "scenarios_per_round": 12,
    "base_iterations": 300,
    "final_iterations": 2000,
    "max_scenario_s": 30.0,
    "workers": 1,
}
BOUNDED_ITERATIONS = 2000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--instances",
        nargs="*",
        default=None,
        help="instance files or name fragments (default: all in ../shared)",
    )
    parser.add_argument("--seeds", nargs="*", type=int, default=[1, 2, 3])
    parser.add_argument("--epoch-limits", nargs="*", type=float, default=[15.0, 60.0])
    parser.add_argument("--policies", nargs="*", default=POLICIES, choices=POLICIES)
    parser.add_argument(
        "--hindsight-factor",
        type=float,
        default=2.0,
        help="hindsight solve time = factor x epoch limit (0 to skip)",
    )
    parser.add_argument(
        "--bounded",
        action="store_true",
        help="iteration-bounded development runs (load-independent, one worker; recorded "
        "with epoch limit 0): lastmile with BOUNDED settings, greedy/lazy/random with "
        "2,000 search iterations per epoch",
    )
    parser.add_argument(
        "--setting",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=JSON",
        help="ScenarioSettings overrides for lastmile, e.g. hold_prize=0.2 (repeatable)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--resume", action="store_true", help="keep the runs already in --out and skip them"
    )
    return parser.parse_args()


def find_instances(wanted: list[str] | None) -> list[Path]:
    if not ORTEC.is_dir():
        raise SystemExit(f"{ORTEC} is absent: the ORTEC instances live beside the checkout")
    every = sorted(ORTEC.glob("*.txt"))
    if not wanted:
        return every
    chosen = [
        p
        for w in wanted
        for p in ([Path(w)] if Path(w).is_file() else [q for q in every if w in q.name])
    ]
    if not chosen:
        raise SystemExit(f"no instance matches {wanted}")
    return chosen


def key(run: dict[str, object]) -> tuple[str, int, float, str]:
    return (
        str(run["instance"]),
        int(str(run["seed"])),
        float(str(run["epoch_limit_s"])),
        str(run["policy"]),
    )


def bounded_policy(name: str, seed: int, setting: list[str]) -> Policy:
    """A policy whose every search stops after a fixed number of iterations."""
    from lastmile.dispatch.dynamic.policies import GreedyPolicy, LazyPolicy, RandomPolicy
    from lastmile.dispatch.dynamic.rollout import ScenarioPolicy, ScenarioSettings

    if name == "lastmile":
        overrides = {k: json.loads(v) for k, v in (s.split("=", 1) for s in setting)}
        unknown = set(overrides) - {f.name for f in fields(ScenarioSettings)}
        if unknown:
            raise SystemExit(f"unknown ScenarioSettings field(s): {', '.join(sorted(unknown))}")
        return ScenarioPolicy(seed, ScenarioSettings(**{**BOUNDED, **overrides}))
    kind = {"greedy": GreedyPolicy, "lazy": LazyPolicy, "random": RandomPolicy}[name]
    return kind(seed, max_iterations=BOUNDED_ITERATIONS)


def play(
    instance: DayInstance, seed: int, limit: float, policy: str, args: argparse.Namespace
) -> tuple[int, list[list[float]] | None]:
    """One policy's day, or the day's hindsight solve (``--hindsight-factor`` x limit s)."""
    from lastmile.dispatch.dynamic.hindsight import sample_day, solve_hindsight
    from lastmile.dispatch.dynamic.policies import make_policy
    from lastmile.dispatch.dynamic.runner import run_day

    if policy == "hindsight":
        day = sample_day(instance, seed)
        return solve_hindsight(instance, day, args.hindsight_factor * limit, seed).cost, None
    if args.bounded:
        chosen, limit = bounded_policy(policy, seed, args.setting), 10_000.0
    elif args.setting and policy == "lastmile":
        raise SystemExit("--setting needs --bounded (timed runs use the defaults)")
    else:
        chosen = make_policy(policy, seed)
    try:
        result = run_day(instance, seed, policy, limit, policy=chosen)
    finally:
        chosen.close()
    epochs = [[e.epoch, e.dispatched, e.cost, e.elapsed_s] for e in result.epochs]
    return result.total_cost, epochs


def measure(args: argparse.Namespace) -> dict[str, object]:
    from lastmile.dispatch.dynamic.instance import load_instance

    old = json.loads(args.out.read_text()) if args.resume and args.out.exists() else {}
    runs: list[dict[str, object]] = list(old.get("runs", []))
    done = {key(r) for r in runs}
    report: dict[str, object] = {
        "command": "python benchmarks/dynamic.py " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared, noisy)",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": runs,
    }
    names = [*args.policies, *(["hindsight"] if args.hindsight_factor > 0 else [])]
    if args.bounded:  # no epoch limit; hindsight is a timed solve
        names = [p for p in names if p != "hindsight"]
    for limit in [0.0] if args.bounded else args.epoch_limits:
        for path in find_instances(args.instances):
            instance = load_instance(path)
            for seed, policy in ((s, p) for s in args.seeds for p in names):
                if (instance.name, seed, limit, policy) in done:
                    continue
                start, load = time.perf_counter(), os.getloadavg()[0]
                cost, epochs = play(instance, seed, limit, policy, args)
                runs.append(
                    {
                        "instance": instance.name,
                        "seed": seed,
                        "epoch_limit_s": limit,
                        "policy": policy,
                        "total_cost": cost,
                        "wall_s": round(time.perf_counter() - start, 1),
                        "load_before": round(load, 2),
                        "epochs": epochs,
                    }
                )
                mode = "bounded" if args.bounded else f"{limit:g} s"
                Console().print(f"{instance.name} seed {seed} {mode} {policy}: {cost}")
                runs[:] = save(args.out, report, runs[-1])
    return report


def save(out: Path, report: dict[str, object], run: dict[str, object]) -> list[dict[str, object]]:
    """Merge one run into ``out`` (re-read under a lock: other processes may write too)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "a+") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.seek(0)
        text = file.read()
        on_disk = json.loads(text).get("runs", []) if text.strip() else []
        runs: list[dict[str, object]] = [r for r in on_disk if key(r) != key(run)]
        runs.append(run)
        file.seek(0)
        file.truncate()
        file.write(json.dumps({**report, "runs": runs}, indent=1))
    return runs


def show(report: dict[str, object]) -> None:
    runs = report["runs"]
    assert isinstance(runs, list)
    cost = {key(r): int(r["total_cost"]) for r in runs}
    days = sorted({k[:3] for k in cost}, key=lambda k: (k[2], k[0], k[1]))
    names = [*POLICIES, "hindsight"]
    table = Table(
        "epoch s",
        "instance",
        "seed",
        *names,
        *(f"{p}/greedy" for p in names[1:]),
        title="Dynamic VRPTW: total driving duration per sampled day (s)",
    )
    ratios: dict[tuple[float, str], list[float]] = {}
    for inst, seed, limit in days:
        row = [cost.get((inst, seed, limit, p)) for p in names]
        greedy = row[0]
        shares = []
        for p, c in zip(names[1:], row[1:], strict=True):
            if greedy and c:
                ratios.setdefault((limit, p), []).append(c / greedy)
                shares.append(f"{c / greedy:.3f}")
            else:
                shares.append("-")
        table.add_row(
            "bounded" if limit == 0 else f"{limit:g}",
            inst.replace("ORTEC-VRPTW-ASYM-", ""),
            str(seed),
            *("-" if c is None else str(c) for c in row),
            *shares,
        )
    for limit in sorted({k[2] for k in days}):
        means = [ratios.get((limit, p)) for p in names[1:]]
        table.add_row(
            "bounded" if limit == 0 else f"{limit:g}",
            "mean ratio",
            "",
            *[""] * len(names),
            *("-" if not m else f"{sum(m) / len(m):.3f} (n={len(m)})" for m in means),
        )
    Console(width=240).print(table)


def main() -> None:
    args = parse_args()
    show(measure(args))


if __name__ == "__main__":
    main()
