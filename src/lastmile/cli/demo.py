"""CLI commands: demo — generate a city, import it into a fresh database, summarise it.

The demo goes through the same paths a user does (scenario files, ``lastmile import``), so a
working demo means a working import. It never waits for input; ``--headless`` (or
``LASTMILE_DEMO_HEADLESS=1``) also leaves out the hints meant for a person.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Sequence
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
    from lastmile.dispatch.ports import UnitOfWork

DEFAULT_EXTRACT = ("data", "osm", "Helsinki.osm.pbf")


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
    orders: Annotated[int, typer.Option(help="Orders in the day (50 to 20,000).")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic city.")] = 42,
    osm: Annotated[Path | None, typer.Option(help="An .osm.pbf extract for real streets.")] = None,
    no_osm: Annotated[bool, typer.Option("--no-osm", help="Ignore ../shared extracts.")] = False,
    headless: Annotated[
        bool, typer.Option(help="No hints for a person (LASTMILE_DEMO_HEADLESS=1).")
    ] = False,
) -> None:
    """Generate a city, import it into a fresh SQLite database under ./var/demo, summarise it."""
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
        f"streets: {extract.name if extract else 'synthetic'}"
    )
    paths = write_city(folder / "city", orders, seed, day, extract, Format.CSV)
    url, uow = database(f"sqlite:///{(folder / 'lastmile.sqlite3').as_posix()}")
    reports = import_files(read_files(paths, None, None), uow, all_or_nothing=True, out=out)
    print_reports(reports, out)
    if any(r.rejections for r in reports):
        raise typer.Exit(EXIT_REJECTED)
    summarise(uow, out)
    out.print(f"Done in {time.perf_counter() - started:.1f} s. Database: {url}")
    if not headless:
        hints(folder, out)


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
