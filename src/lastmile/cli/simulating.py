"""CLI commands: simulate — one day of the city through the platform, or two policies compared.

``lastmile simulate --orders N --vehicles V --seed S --policy dynamic --json OUT`` runs one
day and writes its KPI scorecard; ``--compare static dynamic --seeds 10`` runs the same
scenario under both policies over seeds S..S+9 (two worker processes) and reports each KPI's
paired difference with its confidence interval.

``--via http://127.0.0.1:8000 --api-key KEY --database URL`` drives a running ``lastmile
serve`` instead: the devices upload over HTTP (pings over MQTT with ``--mqtt``), while orders
and plans go into the server's database, as the platform's own dispatcher would.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from lastmile.domain.errors import LastMileError

if TYPE_CHECKING:
    from lastmile.analytics.daylog import DayLog
    from lastmile.bootstrap import SqlUnitOfWorkFactory
    from lastmile.cli.remote import Remote
    from lastmile.sim.day import SimConfig
    from lastmile.sim.uplink import Uplink

console = Console()


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("simulate")(simulate)


def simulate(
    orders: Annotated[int, typer.Option(help="Orders in the day (50 to 20,000).")] = 300,
    vehicles: Annotated[
        int | None, typer.Option(help="Vehicles (default: the fleet sized for the orders).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the day (the first seed with --seeds).")] = 1,
    policy: Annotated[str, typer.Option(help="static or dynamic.")] = "dynamic",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the KPIs (or the comparison) here.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write an HTML report with charts into this folder.")
    ] = None,
    osm: Annotated[Path | None, typer.Option(help="An .osm.pbf extract for real streets.")] = None,
    compare: Annotated[
        tuple[str, str] | None,
        typer.Option(help="Compare two policies on the same days, e.g. --compare static dynamic."),
    ] = None,
    seeds: Annotated[int, typer.Option(help="Days (seeds) to compare over.")] = 10,
    defer_value: Annotated[
        int,
        typer.Option(
            help="Dynamic re-plans: cents a stop not yet loaded is worth today; one whose "
            "detour costs more waits for tomorrow (0: serve every stop that fits).",
            min=0,
        ),
    ] = 1_000,
    improve_idle: Annotated[
        bool,
        typer.Option(
            help="Dynamic days: at a re-plan interval with no event waiting, search the plan "
            "again and keep it when it is better.",
        ),
    ] = False,
    database: Annotated[
        str | None,
        typer.Option(
            help="Write the day to this database (default: kept in memory); with --via, the "
            "database the server serves."
        ),
    ] = None,
    day: Annotated[
        str | None,
        typer.Option(
            help="Service date YYYY-MM-DD (default 2026-03-02; with --via, two days ago: the "
            "server refuses pings from its future or older than 7 days)."
        ),
    ] = None,
    via: Annotated[
        str | None,
        typer.Option(
            help="Base URL of a running `lastmile serve`: devices upload pings, scans and "
            "proofs of delivery to it over HTTP, as driver apps do. Needs --api-key and "
            "--database."
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="LASTMILE_API_KEY",
            help="API key for --via, one that writes routes (role dispatcher or admin).",
        ),
    ] = None,
    mqtt: Annotated[
        str | None,
        typer.Option(
            help="HOST:PORT of the MQTT broker `lastmile mqtt-bridge` listens to: pings go "
            "there (topic lastmile/devices/<vehicle>/pings), scans and proofs of delivery "
            "still over --via."
        ),
    ] = None,
) -> None:
    """Simulate a day of the city through the real platform and score it."""
    from lastmile.cli.remote import Remote
    from lastmile.sim.day import SimConfig

    try:
        service_date = _service_date(day, via)
        config = SimConfig(
            orders=orders,
            vehicles=vehicles,
            seed=seed,
            policy=policy,
            osm=osm,
            day=service_date,
            defer_value_cents=defer_value or None,
            improve_idle=improve_idle,
        )
        remote = Remote(via, api_key, mqtt) if via or mqtt else None
        if remote is not None:
            remote.check(database, compare)
        if compare is None:
            _one_day(config, json_out, report, database, remote)
        else:
            _compare(config, compare, seeds, json_out, report)
    except LastMileError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(2) from err


def run_day_with_progress(
    config: SimConfig,
    out: Console,
    title: str,
    *,
    uow_factory: SqlUnitOfWorkFactory | None = None,
    pace: float | None = None,
    uplink: Uplink | None = None,
) -> DayLog:
    """One simulated day with a progress bar over its simulated clock."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from lastmile.sim.day import memory_backend, simulate, sql_backend

    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=True) as bar:
        task = bar.add_task(title, total=1.0)

        def progress(done_s: float, total_s: float, doing: str) -> None:
            clock = f"{int(done_s // 3600):02d}:{int(done_s % 3600 // 60):02d}"
            bar.update(task, completed=done_s / total_s, description=f"+{clock} {doing}")

        backend = sql_backend(uow_factory) if uow_factory is not None else memory_backend()
        backend.uplink = uplink
        return simulate(config, backend, pace=pace, progress=progress).log


def _service_date(day: str | None, via: str | None) -> date:
    from lastmile.domain.errors import InvalidInput
    from lastmile.sim.day import SimConfig

    if day is None:
        return datetime.now(UTC).date() - timedelta(days=2) if via else SimConfig().day
    try:
        return date.fromisoformat(day)
    except ValueError:
        raise InvalidInput(f"expected YYYY-MM-DD, got {day!r}", field="--day") from None


def _one_day(
    config: SimConfig,
    json_out: Path | None,
    report: Path | None,
    database: str | None,
    remote: Remote | None = None,
) -> None:
    from lastmile.analytics.report import print_scorecard, write_html, write_json
    from lastmile.analytics.scorecard import score

    factory, uplink = None, None
    if database is not None:
        from lastmile.bootstrap import SqlUnitOfWorkFactory, init_database

        factory = SqlUnitOfWorkFactory(init_database(database))
    title = f"{config.policy} day, seed {config.seed}"
    try:
        if remote is not None and factory is not None:
            uplink = remote.uplink(factory)
            title += f", devices -> {remote.where}"
        log = run_day_with_progress(config, console, title, uow_factory=factory, uplink=uplink)
    finally:
        if uplink is not None:
            uplink.close()
        if factory is not None:
            factory.dispose()
    card = score(log)
    print_scorecard(console, card)
    console.print(_timings(log))
    if remote is not None:
        console.print(f"devices uploaded to {remote.where}")
    if json_out is not None:
        write_json(card, json_out)
        console.print(f"KPIs written to {json_out}")
    if report is not None:
        console.print(f"report: {write_html(card, report)}")


def _timings(log: DayLog) -> str:
    keys = ("morning_plan_s", "simulation_s", "replan_s", "total_s")
    parts = ", ".join(f"{k[:-2].replace('_', ' ')} {log.notes.get(k, '?')} s" for k in keys)
    improved = log.notes.get("improvements", "0")
    steps = f", plan improved {improved} times between events" if improved != "0" else ""
    return f"replans {log.notes.get('replans', '0')}{steps}; wall time: {parts}"


def _compare(
    config: SimConfig,
    policies: tuple[str, str],
    seeds: int,
    json_out: Path | None,
    report: Path | None,
) -> None:
    from lastmile.analytics.compare import compare
    from lastmile.analytics.report import print_comparison, write_html, write_json
    from lastmile.domain.errors import InvalidInput
    from lastmile.sim.day import run_policies
    from lastmile.sim.policies import POLICIES

    for p in policies:
        if p not in POLICIES:
            raise InvalidInput(f"--compare takes two of {', '.join(POLICIES)}, got {p!r}")
    if seeds < 2:
        raise InvalidInput(f"--seeds needs at least 2 days for an interval, got {seeds}")
    with console.status(f"{len(policies) * seeds} days, two at a time ..."):
        a, b = run_policies(config, policies, seeds)
    comparison = compare(a, b)
    print_comparison(console, comparison)
    if json_out is not None:
        write_json(comparison, json_out)
        console.print(f"comparison written to {json_out}")
    if report is not None:
        console.print(f"report: {write_html(comparison, report)}")
