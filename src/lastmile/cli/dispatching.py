"""CLI commands: dispatching (``dynamic`` days, and events on a stored plan's day)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from lastmile.domain.errors import LastMileError

T = TypeVar("T")
dispatch_app = typer.Typer(
    help="Events of the street on a stored plan's day (as POST /v1/dispatch/{plan}/events).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("dynamic")(dynamic)
    app.add_typer(dispatch_app, name="dispatch")
    dispatch_app.command("events")(dispatch_events)
    dispatch_app.command("show")(dispatch_show)
    dispatch_app.command("observe")(dispatch_observe)


def _events(event: str | None, file: Path | None) -> list[Any]:
    """The events to send, each checked like an API body; a bad one names its line."""
    from pydantic import TypeAdapter, ValidationError

    from lastmile.api.routers.dispatch import Event

    if (event is None) == (file is None):
        raise typer.BadParameter("give exactly one of --event JSON or --file FILE")
    adapter: TypeAdapter[Any] = TypeAdapter(Event)
    where = "--event"
    lines = [event] if event is not None else []
    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise typer.BadParameter(f"{file}: {exc.strerror}") from None
        where = str(file)
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            out.append(adapter.validate_json(line))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(x) for x in first["loc"]) or "event"
            raise typer.BadParameter(f"{where}, line {n}, {field}: {first['msg']}") from None
    if not out:
        raise typer.BadParameter(f"{where}: no events")
    return out


def _on_services(database: str | None, console: Any, work: Callable[[Any], T]) -> T:
    """``work`` on the API's services over the local database (or ``database``); an error
    is printed and exits 2."""
    from lastmile.api.services import ApiSettings, build_services, close_services
    from lastmile.bootstrap import init_database

    try:
        services = build_services(ApiSettings(init_database(database)))
        try:
            return work(services)
        finally:
            close_services(services)
    except LastMileError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def _table(*columns: str) -> Any:
    """A table whose cells wrap rather than cut: plan refs are long, terminals narrow."""
    from rich.table import Table

    table = Table()
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _hhmm(iso: str) -> str:
    """An event's time as the hub's clock shows it (stored with the hub's offset)."""
    return iso[11:16]


def _changes(replans: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for replan in replans:
        for kind, _, _ in replan["changes"]:
            counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "-"


def dispatch_events(
    plan_ref: str = typer.Argument(..., help="The day's first plan, or its plan in force."),
    event: str | None = typer.Option(None, "--event", help="One event: '{\"type\": ...}'."),
    file: Path | None = typer.Option(None, "--file", help="Events, one JSON object a line."),
    budget_s: float = typer.Option(5.0, "--budget-s", min=0.1, max=60, help="Re-plan seconds."),
    database: str | None = typer.Option(None, "--database", help="Database URL."),
) -> None:
    """Report events on a stored plan's day, in order; each may re-plan the day."""
    from rich.console import Console

    from lastmile.api.dispatcher import report
    from lastmile.api.services import ApiSettings, build_services, close_services
    from lastmile.bootstrap import init_database

    console = Console()
    events = _events(event, file)
    table = _table("step", "at", "event", "re-plans", "changes", "plan in force", "seconds")
    try:
        services = build_services(ApiSettings(init_database(database)))
    except LastMileError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    try:
        for n, body in enumerate(events, start=1):
            try:
                step = report(services, plan_ref, body.command, body.at, budget_s, "cli")
            except LastMileError as exc:
                console.print(table)
                console.print(f"[red]error:[/red] event {n} ({body.type}): {exc}")
                console.print(f"{n - 1} of {len(events)} events were stored before it.")
                raise typer.Exit(2) from None
            took = sum(step["timings_s"].values())
            table.add_row(
                str(step["seq"]), _hhmm(step["at"]), body.type, str(len(step["replans"])),
                _changes(step["replans"]), step["current_plan_ref"], f"{took:.1f}",
            )  # fmt: skip
    finally:
        close_services(services)
    console.print(table)


def dispatch_observe(
    plan_ref: str = typer.Argument(..., help="The day's first plan, or its plan in force."),
    at: str | None = typer.Option(
        None, "--at", help="The time now, ISO 8601 with its offset (default: now)."
    ),
    budget_s: float = typer.Option(5.0, "--budget-s", min=0.1, max=60, help="Re-plan seconds."),
    database: str | None = typer.Option(None, "--database", help="Database URL."),
) -> None:
    """Record the scans tracking saw on a dispatched day since it last looked; a van off
    its plan is re-planned (lastmile serve does this every --follow-tracking-s)."""
    from datetime import datetime

    from rich.console import Console

    from lastmile.api.dispatcher import observe

    console = Console()
    moment: datetime | None = None
    if at is not None:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            raise typer.BadParameter(f"--at {at!r} is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise typer.BadParameter(f"--at {at!r} needs its offset, e.g. +01:00")
    view = _on_services(database, console, lambda svc: observe(svc, plan_ref, moment, budget_s))
    if not view["tracked_steps"]:
        console.print(f"nothing new from tracking; plan in force {view['current_plan_ref']}")
        return
    table = _table("step", "at", "command", "re-plans", "changes", "plan in force")
    for s in view["tracked_steps"]:
        table.add_row(
            str(s["seq"]), _hhmm(s["at"]), s["command"], str(len(s["replans"])),
            _changes(s["replans"]), s["current_plan_ref"],
        )  # fmt: skip
    console.print(table)


def dispatch_show(
    plan_ref: str = typer.Argument(..., help="The day's first plan, or its plan in force."),
    database: str | None = typer.Option(None, "--database", help="Database URL."),
) -> None:
    """The steps of a dispatched day: each event, its re-plans and the plan in force."""
    from rich.console import Console

    from lastmile.api.dispatch_steps import day_view

    console = Console()
    day = _on_services(database, console, lambda svc: day_view(svc, plan_ref))
    if not day["dispatched"]:
        console.print(f"plan {day['plan_ref']} is not dispatched yet")
        return
    table = _table("step", "at", "command", "re-plans", "changes", "plans", "by")
    for s in day["steps"]:
        table.add_row(
            str(s["seq"]), _hhmm(s["at"]), s["command"], str(len(s["replans"])),
            _changes(s["replans"]), ", ".join(s["plan_refs"]) or "-", s["actor"],
        )  # fmt: skip
    console.print(table)
    console.print(
        f"{day['hub_ref']} on {day['service_date']}: plan in force {day['current_plan_ref']}"
    )


def dynamic(
    file: Path = typer.Argument(..., help="VRPLIB VRPTW instance (ORTEC format)."),
    seed: int = typer.Option(1, "--seed", help="Seed of the sampled day."),
    epoch_time_limit: float = typer.Option(
        60.0, "--epoch-time-limit", help="Seconds per epoch for the policy."
    ),
    policy: str = typer.Option("lastmile", "--policy", help="greedy|lazy|random|lastmile"),
    json_out: Path | None = typer.Option(None, "--json", help="Write the day as JSON here."),
    hindsight: float | None = typer.Option(
        None, "--hindsight", help="Also solve the hindsight problem for this many seconds."
    ),
) -> None:
    """Run one dynamic day (EURO Meets NeurIPS 2022 rules) and print the cost per epoch."""
    from rich.console import Console
    from rich.table import Table

    from lastmile.dispatch.dynamic.hindsight import solve_hindsight
    from lastmile.dispatch.dynamic.instance import load_instance, positive_seconds
    from lastmile.dispatch.dynamic.runner import EpochRecord, run_day

    console = Console()
    table = Table("epoch", "open", "must", "dispatched", "routes", "cost", "seconds")

    def show(record: EpochRecord) -> None:
        late = " [yellow](over the limit + 2 s grace)[/yellow]" if record.over_time else ""
        console.print(
            f"epoch {record.epoch}: {record.dispatched}/{record.open_requests} dispatched, "
            f"cost {record.cost}, {record.elapsed_s:.1f} s{late}"
        )
        table.add_row(
            *map(
                str,
                (
                    record.epoch,
                    record.open_requests,
                    record.must_dispatch,
                    record.dispatched,
                    len(record.routes),
                    record.cost,
                    f"{record.elapsed_s:.1f}",
                ),
            )
        )

    try:
        if hindsight is not None:  # checked before the day is played, not after it
            positive_seconds(hindsight, "hindsight")
        instance = load_instance(file)
        result = run_day(instance, seed, policy, epoch_time_limit, on_epoch=show)
        out: dict[str, object] = result.to_json()
        if hindsight is not None and result.requests is not None:
            best = solve_hindsight(instance, result.requests, hindsight, seed)
            out["hindsight_cost"] = best.cost
            out["hindsight_routes"] = best.routes
    except LastMileError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    console.print(table)
    console.print(f"total cost ({policy}, seed {seed}): [bold]{result.total_cost}[/bold]")
    if "hindsight_cost" in out:
        console.print(f"hindsight cost: {out['hindsight_cost']}")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(out, indent=1))
