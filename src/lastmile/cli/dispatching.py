"""CLI commands: dispatching."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from lastmile.domain.errors import LastMileError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("dynamic")(dynamic)


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
