"""Re-planning a 2,000-stop day in progress: a 5 s re-plan against a 60 s re-solve.

    .venv/bin/python benchmarks/replan.py --stops 2000 --budget-s 5 --reference-s 60

The simulator's synthetic city gives the day; it is planned once (``--plan-s``, or
``--plan-iterations`` for the same state in every run), advanced to
mid-day (half of the served stops done), and hit by events: new orders, cancellations, a
slipped readiness, a delay, a failed attempt and a breakdown with a rescue van. Then the
rest of the day is re-planned with the budget (warm start from the current plan, wall time
counted from the state to the validated plan) and re-solved with the reference budget
from the same state without a warm start. With ``--idle-s``, the plan is first improved
for that long before the events (``ImprovePlan`` steps of the re-plan budget, as the
dispatcher does while no event is waiting). Score = cost in cents plus 10,000 cents per
required stop left out. Both plans are checked by planning/validate.py, and every parcel
loaded on a van must be on that van or left out.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "replan.json"
MISSED_CENTS = 10_000


def day_problem(stops: int, seed: int, fleet: int = 1) -> Any:
    """The simulator's day; ``fleet`` copies of each crew so the day can be served in full."""

    from lastmile.geo.haversine import HaversineProvider
    from lastmile.planning.build import build_from_orders
    from lastmile.sim.scenario import generate

    sc = generate(stops, seed, date(2026, 3, 2))
    problem = build_from_orders(
        sc.orders,
        sc.hubs,
        sc.vehicles,
        provider=HaversineProvider(),
        shifts=sc.shifts,
        drivers=sc.drivers,
        zones=sc.zones,
    )
    copies = [replace(v, ref=f"{v.ref}-{k}") for k in range(1, fleet) for v in problem.vehicles]
    problem.vehicles = (*problem.vehicles, *copies)
    return problem


def score(result: Any) -> int:
    missed = sum(1 for u in result.unassigned if u.reason.value != "deferred")
    return int(result.cost_cents + MISSED_CENTS * missed)


def midday(result: Any) -> int:
    """The moment half of the served stops are done."""
    departures = sorted(v.departure_s for r in result.routes for v in r.visits)
    return int(departures[len(departures) // 2])


def hit(ctx: Any, bus: Any, rng: random.Random) -> list[str]:
    """A burst of events, applied without re-planning (the rules are emptied first)."""
    from lastmile.dispatch import commands as c
    from lastmile.domain import Coordinate

    state = ctx.state
    origin = state.problem.origin
    done: list[str] = []
    waiting = [r for r in state.open_jobs() if state.carrier(r) is None]
    on_road = [v for v in state.vehicles.values() if not v.at_hub and v.loaded]
    free = [v for v in state.vehicles.values() if v.at_hub and v.started_s is None]
    hub = state.problem.hubs[0]
    for n in range(20):
        base = state.problem.points[
            state.problem.jobs[rng.randrange(len(state.problem.jobs))].point
        ]
        where = Coordinate(
            base.lat + rng.uniform(-0.004, 0.004), base.lon + rng.uniform(-0.004, 0.004)
        )
        start = origin + timedelta(seconds=state.now_s + 3600)
        bus.handle(
            c.AddStopToDay(
                stop_ref=f"NEW-{n}",
                hub_ref=hub.ref,
                location=where,
                windows=((start, start + timedelta(hours=4)),),
            )
        )
    done.append("20 new orders")
    for ref in rng.sample(waiting, 10):
        bus.handle(c.CancelStop(stop_ref=ref))
    done.append("10 cancellations")
    slipped = tuple(r for r in rng.sample(waiting, 30) if r not in state.cancelled)
    ready = origin + timedelta(seconds=state.now_s + 40 * 60)
    bus.handle(c.SlipReadiness(stop_refs=slipped, ready_at=ready))
    done.append(f"{len(slipped)} parcels ready 40 min late")
    bus.handle(c.ReportDelay(vehicle_ref=on_road[0].ref, delay_s=30 * 60))
    done.append("one van 30 min late")
    attempt = next(v for v in on_road[1:] if v.in_progress)
    bus.handle(c.RecordFailedAttempt(stop_ref=attempt.in_progress, reason="not at home"))
    done.append("one failed attempt")
    if free:
        bus.handle(c.ReportBreakdown(vehicle_ref=on_road[-1].ref, rescue_vehicle_ref=free[0].ref))
        done.append("one breakdown, rescue van")
    else:
        bus.handle(c.ReportBreakdown(vehicle_ref=on_road[-1].ref))
        done.append("one breakdown, parcels back to the hub")
    return done


def loads_kept(state: Any, result: Any) -> int:
    """Parcels served by a van other than the one carrying them (must be 0)."""
    return sum(
        1
        for r in result.routes
        for v in r.visits
        if state.carrier(v.ref) not in (None, r.vehicle_ref)
    )


def between_events(ctx: Any, bus: Any, seconds: float) -> list[dict[str, Any]]:
    """The idle time before the events, spent improving the plan one re-plan budget at a
    time (``ImprovePlan``), as the dispatcher's machine does while no event is waiting."""
    from lastmile.dispatch import commands as c
    from lastmile.dispatch.improve import current_standing
    from lastmile.dispatch.replan_problem import rest_of_day

    if seconds <= 0:
        return []
    start = current_standing(rest_of_day(ctx.state))
    steps: list[dict[str, Any]] = [
        {
            "wall_s": 0.0,
            "adopted": False,
            "left_out": start.left_out,
            "cost_cents": start.cost_cents,
        }
    ]
    began = time.perf_counter()
    while time.perf_counter() - began + ctx.policy.time_limit_s <= seconds + 0.5:
        t0 = time.perf_counter()
        adopted = bool(bus.handle(c.ImprovePlan()))
        now = current_standing(rest_of_day(ctx.state))
        steps.append(
            {
                "wall_s": round(time.perf_counter() - t0, 2),
                "adopted": adopted,
                "left_out": now.left_out,
                "cost_cents": now.cost_cents,
            }
        )
    return steps


def then_improve(ctx: Any, bus: Any, first: Any, steps: int) -> list[dict[str, Any]]:
    """The re-plan adopted, then ``steps`` improvement steps while no new event comes: the
    plan the drivers have after each (scored as the re-plan is)."""
    from lastmile.dispatch import commands as c
    from lastmile.planning.validate import check

    ctx.state.plan, ctx.last = first.day_plan, first
    out: list[dict[str, Any]] = []
    for _ in range(steps):
        t0 = time.perf_counter()
        adopted = bool(bus.handle(c.ImprovePlan()))
        now = ctx.last
        out.append(
            {
                "wall_s": round(time.perf_counter() - t0, 2),
                "adopted": adopted,
                "score": score(now.result),
                "served": now.result.served,
                "loads_moved": loads_kept(ctx.state, now.result),
                "violations": len(
                    check(now.rest.problem, now.result.routes, now.result.unassigned)
                ),
            }
        )
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    from lastmile.bootstrap import memory_uow_factory
    from lastmile.dispatch.handlers import DispatchContext
    from lastmile.dispatch.replan import ReplanPolicy, diff, replan
    from lastmile.dispatch.replan_problem import rest_of_day
    from lastmile.dispatch.replanning import dispatch_bus
    from lastmile.dispatch.rules import RuleSet
    from lastmile.dispatch.state import advance
    from lastmile.planning.pyvrp_solver import PyVRPSolver
    from lastmile.planning.solver import SolveOptions
    from lastmile.planning.validate import check

    began = time.perf_counter()
    problem = day_problem(args.stops, args.seed, args.fleet)
    if args.plan_iterations is None:
        morning = SolveOptions(time_limit_s=args.plan_s, seed=args.seed)
    else:  # the same state on any machine and load, for comparing code versions
        morning = SolveOptions(
            time_limit_s=3600, seed=args.seed, max_iterations=args.plan_iterations
        )
    first = PyVRPSolver().solve(problem, morning)
    now = midday(first)
    state = advance(problem, first, now)
    policy = ReplanPolicy(time_limit_s=args.budget_s, seed=args.seed, next_stop_change_cents=500)
    ctx = DispatchContext(state, PyVRPSolver(), policy, rules=RuleSet(()))
    bus = dispatch_bus(ctx, memory_uow_factory())
    idle = between_events(ctx, bus, args.idle_s)
    events = [] if args.no_events else hit(ctx, bus, random.Random(args.seed))
    planned = {v.ref for r in state.plan.routes for v in r.visits}
    planned_open = len(planned & set(state.open_jobs()))
    setup_s = time.perf_counter() - began
    quick = replan(state, PyVRPSolver(), policy)
    # The same state again with other search seeds: one re-plan is one draw of a search.
    seeds = [s for s in args.replan_seeds if s != args.seed]
    others = [replan(state, PyVRPSolver(), replace(policy, seed=s)) for s in seeds]
    rest = rest_of_day(state)
    t0 = time.perf_counter()
    ref = PyVRPSolver().solve(
        rest.problem, SolveOptions(time_limit_s=args.reference_s, seed=args.seed)
    )
    ref_wall = time.perf_counter() - t0
    # The re-solve is one draw of a timed search too: more seeds give its spread.
    more_refs = [
        PyVRPSolver().solve(rest.problem, SolveOptions(time_limit_s=args.reference_s, seed=s))
        for s in args.reference_seeds
        if s != args.seed
    ]
    ref_scores = [score(ref)] + [score(r) for r in more_refs]
    ref_mean = sum(ref_scores) / len(ref_scores)
    ref_changes = diff(state, rest, ref, policy)
    steps = then_improve(ctx, bus, quick, args.then_improve)
    return {
        "stops": args.stops,
        "setup_s": setup_s,
        "now_s": now,
        "open_stops": len(rest.problem.jobs),
        "planned_open_stops": planned_open,
        "on_road": sum(1 for v in state.vehicles.values() if not v.at_hub),
        "loaded": sum(len(v.loaded) for v in state.vehicles.values()),
        "events": events,
        "idle_steps": idle,
        "after_steps": [{**x, "ratio": x["score"] / max(1.0, ref_mean)} for x in steps],
        "replan_wall_s": quick.runtime_s,
        "replan_score": score(quick.result),
        "replan_unassigned": len(quick.result.unassigned),
        "replan_violations": len(
            check(quick.rest.problem, quick.result.routes, quick.result.unassigned)
        ),
        "replan_loads_moved": loads_kept(state, quick.result),
        "replan_kept_order": len(quick.kept_order),
        "replan_served": quick.result.served,
        "replan_changed_next_stops": quick.changed_next_stops(),
        "reference_wall_s": ref_wall,
        "reference_score": score(ref),
        "reference_unassigned": len(ref.unassigned),
        "reference_violations": len(check(rest.problem, ref.routes, ref.unassigned)),
        "reference_loads_moved": loads_kept(state, ref),
        "reference_served": ref.served,
        "reference_changed_next_stops": sum(1 for c in ref_changes if c.kind == "next_stops"),
        "ratio": score(quick.result) / max(1, score(ref)),
        "reference_scores": ref_scores,
        "reference_served_all": [ref.served] + [r.served for r in more_refs],
        "ratio_to_mean_reference": score(quick.result) / max(1.0, ref_mean),
        "other_seeds": [
            {
                "seed": s,
                "wall_s": r.runtime_s,
                "score": score(r.result),
                "served": r.result.served,
                "loads_moved": loads_kept(state, r.result),
                "violations": len(check(r.rest.problem, r.result.routes, r.result.unassigned)),
                "ratio": score(r.result) / max(1, score(ref)),
                "ratio_to_mean_reference": score(r.result) / max(1.0, ref_mean),
            }
            for s, r in zip(seeds, others, strict=True)
        ],
    }


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stops", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plan-s", type=float, default=30.0)
    parser.add_argument(
        "--plan-iterations",
        type=int,
        default=None,
        help="plan the morning with this many search iterations instead of --plan-s seconds, "
        "so every run (and every code version with the same search) starts from the same state",
    )
    parser.add_argument("--fleet", type=int, default=2, help="copies of each crew")
    parser.add_argument(
        "--no-events",
        action="store_true",
        help="re-plan the day as it stands: what a re-plan keeps of the current plan",
    )
    parser.add_argument(
        "--idle-s",
        type=float,
        default=0.0,
        help="before the events, improve the plan for this long, one re-plan budget a step "
        "(ImprovePlan), as the dispatcher does between events; 0: the morning plan as it is",
    )
    parser.add_argument(
        "--then-improve",
        type=int,
        default=0,
        help="after the re-plan, this many improvement steps (ImprovePlan) while no new event "
        "comes; each step's plan is scored against the re-solves' mean",
    )
    parser.add_argument("--budget-s", type=float, default=5.0)
    parser.add_argument("--reference-s", type=float, default=60.0)
    parser.add_argument(
        "--replan-seeds",
        type=lambda text: [int(x) for x in text.split(",")],
        default=[],
        help="re-plan the same state again with these search seeds (comma-separated)",
    )
    parser.add_argument(
        "--reference-seeds",
        type=lambda text: [int(x) for x in text.split(",")],
        default=[],
        help="re-solve the same state again with these seeds (comma-separated): the ratios to "
        "their mean are printed too",
    )
    args = parser.parse_args()
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
        **vars(args),
    }
    row = run(args)
    meta["load_average_at_end"] = os.getloadavg()[0]
    table = Table(title=f"re-plan of a {args.stops}-stop day in progress")
    columns = ("run", "wall s", "score €", "served", "left out", "violations", "loads moved")
    for column in (*columns, "drivers' next stops changed"):
        table.add_column(column, justify="right")
    for name, key in (
        (f"re-plan {args.budget_s:g} s", "replan"),
        (f"re-solve {args.reference_s:g} s", "reference"),
    ):
        table.add_row(
            name,
            f"{row[f'{key}_wall_s']:.2f}",
            f"{row[f'{key}_score'] / 100:,.2f}",
            str(row[f"{key}_served"]),
            str(row[f"{key}_unassigned"]),
            str(row[f"{key}_violations"]),
            str(row[f"{key}_loads_moved"]),
            str(row[f"{key}_changed_next_stops"]),
        )
    console = Console()
    console.print(table)
    if row["idle_steps"]:
        first, *steps = row["idle_steps"]
        last = row["idle_steps"][-1]
        adopted = sum(1 for s in steps if s["adopted"])
        console.print(
            f"before the events: {len(steps)} improvement steps, {adopted} adopted; required "
            f"stops the plan leaves out {first['left_out']} -> {last['left_out']}, "
            f"its cost EUR {first['cost_cents'] / 100:,.2f} -> {last['cost_cents'] / 100:,.2f}"
        )
    console.print(
        f"cost ratio re-plan / re-solve: {row['ratio']:.4f}; "
        f"events: {', '.join(row['events']) or 'none'}; open stops {row['open_stops']}, "
        f"{row['planned_open_stops']} of them in the current plan"
    )
    if len(row["reference_scores"]) > 1:
        console.print(
            "re-solves: served "
            + ", ".join(str(n) for n in row["reference_served_all"])
            + "; scores "
            + ", ".join(f"{x / 100:,.2f}" for x in row["reference_scores"])
            + f"; re-plan / their mean: {row['ratio_to_mean_reference']:.4f}"
        )
    elapsed = row["replan_wall_s"]
    for n, step in enumerate(row["after_steps"], 1):
        elapsed += step["wall_s"]
        console.print(
            f"improvement step {n} ({'adopted' if step['adopted'] else 'kept the plan'}): "
            f"{elapsed:.1f} s after the events, served {step['served']}, ratio to the "
            f"re-solves' mean {step['ratio']:.4f}, violations {step['violations']}, "
            f"loads moved {step['loads_moved']}"
        )
    for other in row["other_seeds"]:
        console.print(
            f"re-plan seed {other['seed']}: {other['wall_s']:.2f} s, "
            f"score {other['score'] / 100:,.2f}, served {other['served']}, "
            f"ratio {other['ratio']:.4f} (to the re-solves' mean "
            f"{other['ratio_to_mean_reference']:.4f}), violations {other['violations']}, "
            f"loads moved {other['loads_moved']}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"meta": meta, "rows": [row]}, indent=1))


if __name__ == "__main__":
    main()
