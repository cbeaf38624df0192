"""CLI commands: planning (``lastmile solve`` for standard instances, ``plan``, ``check``)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from lastmile.domain.errors import InvalidInput, LastMileError

if TYPE_CHECKING:
    from lastmile.planning.problem import PlanningProblem
    from lastmile.planning.solver import PlanResult


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("solve")(solve)
    app.command("plan")(plan)
    app.command("check")(check)


def _seconds(text: str) -> float:
    """``30``, ``30s``, ``2m`` or ``1.5`` -> seconds."""
    raw = text.strip().lower()
    factor = 60.0 if raw.endswith("m") else 1.0
    try:
        value = float(raw.rstrip("sm")) * factor
    except ValueError:
        raise typer.BadParameter(f"not a duration: {text!r} (try 30s or 2m)") from None
    if value <= 0:
        raise typer.BadParameter("the time limit must be positive")
    return value


def solve(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="VRPLIB or .vrptw file."),
    time_limit: str = typer.Option("10s", "--time-limit", help="Wall time, e.g. 10s or 2m."),
    seed: int = typer.Option(0, "--seed", help="Seed of the first worker."),
    fleet: int | None = typer.Option(None, "--fleet", help="Vehicles available (default: any)."),
    output: Path | None = typer.Option(None, "--output", help="Write the VRPLIB .sol here."),
    workers: int = typer.Option(2, "--workers", help="Parallel search processes."),
) -> None:
    """Solve a standard instance through lastmile's domain layer; print or write a .sol."""
    from rich.console import Console
    from rich.progress import Progress

    from lastmile.planning.instances import read_instance, solution_text
    from lastmile.planning.pyvrp_solver import PyVRPSolver
    from lastmile.planning.solver import SolveOptions

    console = Console(stderr=True)
    limit = _seconds(time_limit)
    began = time.perf_counter()
    try:
        instance = read_instance(file, fleet=fleet)
        problem = instance.problem()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"solving {instance.name}", total=1.0)
            options = SolveOptions(
                time_limit_s=limit - (time.perf_counter() - began),
                seed=seed,
                workers=workers,
                progress=lambda done, _msg: progress.update(task, completed=done),
            )
            result = PyVRPSolver().solve(problem, options)
    except LastMileError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    text = solution_text(instance, result)
    if output is not None:
        output.write_text(text)
    else:
        typer.echo(text, nl=False)
    missing = len(result.unassigned)
    console.print(
        f"{instance.name}: {len(result.routes)} routes, cost {text.splitlines()[-1][5:]}, "
        f"{missing} unassigned, {time.perf_counter() - began:.1f} s"
    )
    if missing:
        for u in result.unassigned[:10]:
            console.print(f"  {u.ref}: {u.reason.value} ({u.detail})")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read JSON: {exc}", location=str(path)) from None


def _problem_from_db(service_date: str) -> PlanningProblem:
    """All hubs' orders (created or ready) for the date, with that date's shifts."""
    from lastmile.api.planner import day_shifts
    from lastmile.bootstrap import uow_factory
    from lastmile.domain import LifecycleState
    from lastmile.geo.haversine import HaversineProvider
    from lastmile.planning.build import build_from_orders

    with uow_factory()() as uow:
        orders = uow.orders.list_by(
            states=(LifecycleState.CREATED, LifecycleState.READY), service_date=service_date
        )
        if not orders:
            raise InvalidInput(f"no created or ready orders on {service_date}", field="date")
        hubs = uow.hubs.list()
        shifts = day_shifts(uow, hubs, service_date)  # each hub's own calendar, as orders
        if not shifts:
            raise InvalidInput(f"no shifts on {service_date}", field="date")
        return build_from_orders(
            orders,
            hubs,
            uow.vehicles.list(),
            provider=HaversineProvider(),
            shifts=shifts,
            drivers=uow.drivers.list(),
            zones=uow.zones.list(),
        )


def _store(problem: PlanningProblem, result: PlanResult, service_date: str) -> str:
    """Save the plan and move the served orders to ``planned``, in one transaction."""
    from lastmile.bootstrap import uow_factory
    from lastmile.domain import LifecycleState

    ref = f"plan-{service_date}-{time.strftime('%H%M%S')}"
    plan = result.to_domain(problem, ref, service_date)
    served = {o for r in plan.routes for v in r.visits for o in v.order_refs}
    with uow_factory()() as uow:
        for order_ref in served:
            order = uow.orders.get(order_ref)
            if order is not None and order.state is not LifecycleState.PLANNED:
                order.advance(LifecycleState.PLANNED, actor=f"plan:{ref}")
                uow.orders.add(order)
                uow.publish(order.pull_events())
        uow.plans.add(plan)
        uow.commit()
    return ref


def _write_outputs(problem: PlanningProblem, result: PlanResult, out: Path) -> None:
    from lastmile.planning.contract import write_result
    from lastmile.planning.export import geojson, manifest_csv

    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_text(json.dumps(write_result(problem, result), indent=1))
    (out / "plan.geojson").write_text(json.dumps(geojson(problem, result)))
    for r in result.routes:
        name = f"manifest-{r.vehicle_ref}-{r.shift_ref or 'day'}.csv".replace("/", "_")
        (out / name).write_text(manifest_csv(problem, r))


def _summary(result: PlanResult) -> Any:
    from rich.table import Table

    table = Table(title=f"plan: {len(result.routes)} routes, {result.served} stops served")
    for column in ("vehicle", "stops", "km", "hours", "stops/h", "cost €", "CO2 kg"):
        table.add_column(column, justify="right" if column != "vehicle" else "left")
    for r in result.routes:
        table.add_row(
            r.vehicle_ref,
            str(len(r.visits)),
            f"{r.distance_m / 1000:.1f}",
            f"{r.duration_s / 3600:.2f}",
            f"{r.stops_per_hour:.1f}",
            f"{r.cost_cents / 100:.2f}",
            f"{r.co2_g / 1000:.1f}",
        )
    table.add_section()
    table.add_row(
        "total",
        str(result.served),
        f"{result.distance_m / 1000:.1f}",
        f"{result.duration_s / 3600:.2f}",
        "",
        f"{result.cost_cents / 100:.2f}",
        f"{result.co2_g / 1000:.1f}",
    )
    return table


def plan(
    date: str | None = typer.Option(None, "--date", help="Plan this day's orders (YYYY-MM-DD)."),
    input_file: Path | None = typer.Option(None, "--input", help="A problem JSON document."),
    time_limit: str = typer.Option("30s", "--time-limit", help="Wall time, e.g. 30s or 2m."),
    seed: int = typer.Option(0, "--seed"),
    output_dir: Path = typer.Option(Path("plan-out"), "--output-dir", help="Where files go."),
) -> None:
    """Plan a day: routes, manifests (CSV), map (GeoJSON), plan JSON; stored with --date."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from lastmile.geo.haversine import HaversineProvider
    from lastmile.planning.contract import read_problem
    from lastmile.planning.decompose import DecomposingSolver
    from lastmile.planning.pyvrp_solver import PyVRPSolver
    from lastmile.planning.solver import SolveOptions

    console = Console()
    limit = _seconds(time_limit)
    if (date is None) == (input_file is None):
        console.print("[red]error:[/red] give exactly one of --date or --input")
        raise typer.Exit(2)
    try:
        if input_file is not None:
            problem = read_problem(_read_json(input_file), HaversineProvider())
        else:
            problem = _problem_from_db(str(date))
        columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(f"planning {len(problem.jobs)} stops", total=1.0)
            options = SolveOptions(
                time_limit_s=limit,
                seed=seed,
                progress=lambda done, msg: progress.update(task, completed=done, description=msg),
            )
            result = DecomposingSolver(PyVRPSolver()).solve(problem, options)
        _write_outputs(problem, result, output_dir)
        stored = _store(problem, result, str(date)) if date is not None else None
    except LastMileError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(_summary(result))
    reasons: dict[str, int] = {}
    for u in result.unassigned:
        reasons[u.reason.value] = reasons.get(u.reason.value, 0) + 1
    if reasons:
        console.print("unassigned: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    console.print(f"written to {output_dir}" + (f"; stored as {stored}" if stored else ""))


def check(
    plan_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Plan JSON."),
    input_file: Path = typer.Option(..., "--input", exists=True, help="Its problem JSON."),
) -> None:
    """Check a (possibly hand-edited) plan against its problem; list every violation."""
    from rich.console import Console

    from lastmile.geo.haversine import HaversineProvider
    from lastmile.planning.contract import read_problem, read_routes
    from lastmile.planning.validate import check as check_plan

    console = Console()
    try:
        problem = read_problem(_read_json(input_file), HaversineProvider())
        routes, unassigned = read_routes(problem, _read_json(plan_file))
    except LastMileError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    violations = check_plan(problem, routes, unassigned)
    for v in violations:
        console.print(f"[red]✗[/red] {v}")
    if violations:
        raise typer.Exit(1)
    console.print(f"[green]✓[/green] {len(routes)} routes, no violations")
