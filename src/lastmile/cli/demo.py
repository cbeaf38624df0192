"""CLI commands: demo — a city imported, a day simulated through the platform, a scorecard.

The demo goes through the same paths a user does: scenario files and ``lastmile import``,
then the simulator drives the day through the same dispatch and tracking code the API uses,
on the same SQLite database that ``lastmile serve`` reads, so the API shows the day as it
happens. It never waits for input. ``--headless`` (or ``LASTMILE_DEMO_HEADLESS=1``) runs the
day as fast as it can without serving and exits 0 after the scorecard; otherwise the API
keeps serving until Ctrl-C so the user can look around.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from lastmile.cli.data import (
    EXIT_REJECTED,
    UowFactory,
    console,
    database,
    import_files,
    print_reports,
    read_files,
    tomorrow,
    write_city,
)
from lastmile.exchange import Format

if TYPE_CHECKING:
    import uvicorn

    from lastmile.analytics.daylog import DayLog
    from lastmile.bootstrap import SqlUnitOfWorkFactory
    from lastmile.dispatch.ports import UnitOfWork

DEFAULT_EXTRACT = ("data", "osm", "Helsinki.osm.pbf")
#: A day that simulates on SQLite in 1.5 minutes on an idle two-core machine, re-plans included.
DEMO_ORDERS = 300


def default_osm() -> Path | None:
    """The Helsinki extract beside the checkout (../shared), if this machine has it.

    It is small (0.7 MB, read in well under a second), so using it costs the demo nothing.
    """
    roots = (Path(__file__).resolve().parents[3].parent, Path.cwd().parent)
    for root in roots:
        candidate = root.joinpath("shared", *DEFAULT_EXTRACT)
        if candidate.is_file():
            return candidate
    return None


def demo_command(
    orders: Annotated[
        int, typer.Option(help="Orders in the day (50 to 20,000; large days simulate slowly).")
    ] = DEMO_ORDERS,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic city and its day.")] = 42,
    osm: Annotated[Path | None, typer.Option(help="An .osm.pbf extract for real streets.")] = None,
    no_osm: Annotated[bool, typer.Option("--no-osm", help="Ignore ../shared extracts.")] = False,
    headless: Annotated[
        bool,
        typer.Option(help="Run the day without serving and exit (LASTMILE_DEMO_HEADLESS=1)."),
    ] = False,
    policy: Annotated[str, typer.Option(help="Dispatch policy: dynamic or static.")] = "dynamic",
    host: Annotated[str, typer.Option(help="Interface the API listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the API (0: any free port).")] = 8000,
    pace: Annotated[
        float, typer.Option(help="Simulated seconds per wall second while serving.")
    ] = 600.0,
) -> None:
    """Generate a city, import it, simulate its day through the platform, print the scorecard."""
    from lastmile.config import get_settings

    settings = get_settings()
    headless = headless or settings.demo_headless
    started = time.perf_counter()
    folder = settings.data_dir / "demo"
    if folder.exists():
        shutil.rmtree(folder)  # a fresh city and database every run
    extract = osm or (None if no_osm else default_osm())
    out = console()
    day = tomorrow()
    out.print(
        f"[bold]lastmile demo[/bold]: {orders:,} orders for {day}, seed {seed}, "
        f"streets and travel times: {extract.name if extract else 'synthetic (haversine)'}"
    )
    paths = write_city(folder / "city", orders, seed, day, extract, Format.CSV)
    url, uow = database(f"sqlite:///{(folder / 'lastmile.sqlite3').as_posix()}")
    reports = import_files(read_files(paths, None, None), uow, all_or_nothing=True, out=out)
    print_reports(reports, out)
    if any(r.rejections for r in reports):
        raise typer.Exit(EXIT_REJECTED)
    summarise(uow, out)

    from lastmile.bootstrap import SqlUnitOfWorkFactory

    server = None if headless else _serve(url, host, port, out)
    sql = SqlUnitOfWorkFactory(url)
    try:
        log = _simulate(orders, seed, day, extract, policy, sql, None if headless else pace, out)
        _scorecard(log, folder / "report", out)
        out.print(f"Done in {time.perf_counter() - started:.1f} s. Database: {url}")
        if server is not None:
            hints(folder, out)
            _wait_for_ctrl_c(server, out)
    finally:
        sql.dispose()
        if server is not None:
            server.should_exit = True


def _serve(url: str, host: str, port: int, out: Console) -> uvicorn.Server:
    """``lastmile serve`` in a thread over the demo's database, with an admin key to try it."""
    import uvicorn

    from lastmile.api.app import create_app
    from lastmile.api.auth import Role
    from lastmile.api.routers.keys import create_key
    from lastmile.api.services import ApiSettings, build_services, close_services

    services = build_services(ApiSettings(database_url=url))
    try:
        _, key = create_key(services, Role.ADMIN, "demo", None)
    finally:
        close_services(services)
    app = create_app(ApiSettings(database_url=url, run_worker=True))
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="lastmile-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        server.should_exit = True
        out.print(f"[red]error:[/red] the API could not listen on {host}:{port} (port in use?)")
        raise typer.Exit(2)
    bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
    base = f"http://{host}:{bound}"
    out.print(f"\n[bold]API[/bold] serving the day as it runs: {base}/docs")
    out.print(f"  admin key (shown once): {key}", highlight=False)
    out.print(
        f'  try: curl -H "X-API-Key: {key}" "{base}/v1/routes?limit=5"\n',
        highlight=False,
    )
    return server


def _simulate(
    orders: int,
    seed: int,
    day: date,
    extract: Path | None,
    policy: str,
    uow: SqlUnitOfWorkFactory,
    pace: float | None,
    out: Console,
) -> DayLog:
    from lastmile.cli.simulating import run_day_with_progress
    from lastmile.sim.day import SimConfig

    config = SimConfig(orders=orders, seed=seed, policy=policy, day=day, osm=extract)
    title = f"simulating the day ({policy} dispatch)"
    return run_day_with_progress(config, out, title, uow_factory=uow, pace=pace)


def _scorecard(log: DayLog, report: Path, out: Console) -> None:
    from lastmile.analytics.report import print_scorecard, write_html, write_json
    from lastmile.analytics.scorecard import score

    card = score(log)
    print_scorecard(out, card)
    write_json(card, report / "scorecard.json")
    out.print(f"Scorecard: {report / 'scorecard.json'}; report: {write_html(card, report)}")


def _wait_for_ctrl_c(server: uvicorn.Server, out: Console) -> None:
    out.print("[bold]Still serving[/bold]; press Ctrl-C to stop.")
    try:
        while not server.should_exit:
            time.sleep(0.5)
    except KeyboardInterrupt:
        out.print("stopping")


def summarise(uow: UowFactory, out: Console) -> None:
    """What is now stored: hubs, zones, fleet, people and the day's orders."""
    with uow() as work:
        out.print(_hubs(work))
        out.print(_zones(work))
        out.print(_fleet(work))
        out.print(_orders(work))


def _hubs(work: UnitOfWork) -> Table:
    orders = Counter(o.hub_ref for o in work.orders.list())
    vehicles = Counter(v.hub_ref for v in work.vehicles.list())
    drivers = Counter(d.hub_ref for d in work.drivers.list())
    shifts = Counter(s.hub_ref for s in work.shifts.list())
    table = Table(title="Hubs")
    for column in ("hub", "name", "timezone", "vehicles", "drivers", "shifts", "orders"):
        table.add_column(
            column,
            justify="right" if column in ("vehicles", "drivers", "shifts", "orders") else "left",
        )
    for hub in work.hubs.list():
        counts = (vehicles[hub.ref], drivers[hub.ref], shifts[hub.ref], orders[hub.ref])
        table.add_row(hub.ref, hub.name, hub.timezone, *map(str, counts))
    return table


def _zones(work: UnitOfWork) -> Table:
    orders = Counter(o.zone_ref for o in work.orders.list())
    table = Table(title="Zones")
    for column in ("zone", "hub", "access rules", "orders"):
        table.add_column(column, justify="right" if column == "orders" else "left")
    for zone in work.zones.list():
        rules = ", ".join(sorted(r.value for r in zone.access)) or "-"
        table.add_row(zone.ref, zone.hub_ref or "", rules, str(orders[zone.ref]))
    return table


def _fleet(work: UnitOfWork) -> Table:
    vehicles = work.vehicles.list()
    shifts = work.shifts.list()
    table = Table(title=f"Fleet: {len(work.drivers.list())} drivers, {len(shifts)} shifts")
    for column in ("vehicle kind", "vehicles", "kg each", "parcels each", "with a shift"):
        table.add_column(column, justify="left" if column == "vehicle kind" else "right")
    assigned = {s.vehicle_ref for s in shifts}
    for kind, count in sorted(Counter(v.kind for v in vehicles).items()):
        example = next(v for v in vehicles if v.kind is kind)
        staffed = sum(1 for v in vehicles if v.kind is kind and v.ref in assigned)
        capacity = example.capacity
        table.add_row(
            kind.value,
            str(count),
            f"{capacity.weight_g / 1000:,.0f}",
            str(capacity.parcels),
            str(staffed),
        )
    return table


def _orders(work: UnitOfWork) -> Table:
    orders = work.orders.list()
    mix = Counter((o.channel.value, o.service_level.value) for o in orders)
    levels = sorted({level for _, level in mix})
    table = Table(title=f"Orders by channel and service level ({len(orders):,})")
    table.add_column("channel")
    for level in [*levels, "total"]:
        table.add_column(level, justify="right")
    for channel in sorted({c for c, _ in mix}):
        row = [mix[(channel, level)] for level in levels]
        table.add_row(channel, *map(str, row), str(sum(row)))
    return table


def hints(folder: Path, out: Console) -> None:
    out.print("\nTry next:")
    for line in _hint_lines(folder):
        out.print(f"  {line}", highlight=False)


def _hint_lines(folder: Path) -> Sequence[str]:
    db = f"LASTMILE_DATABASE_URL=sqlite:///{(folder / 'lastmile.sqlite3').as_posix()}"
    return (
        f"{db} lastmile orders --hub HUB-CENTRE --limit 10",
        f"{db} lastmile export --kind vehicles --format json",
        f"lastmile import {folder / 'city' / 'orders.csv'}   # into ./var: try it twice",
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("demo")(demo_command)
