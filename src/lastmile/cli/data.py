"""CLI commands: data — init, import, export, scenario, orders.

Exit codes: 0 done, 1 some rows were rejected, 2 the command could not run (bad file, bad
option). Heavy libraries (SQLAlchemy, numpy, osmium) load inside the commands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from lastmile.domain import InvalidInput, LifecycleState, Order
from lastmile.exchange import Format, Kind

if TYPE_CHECKING:
    from lastmile.dispatch.imports import ImportReport
    from lastmile.dispatch.ports import UnitOfWork

EXIT_REJECTED, EXIT_FAILED = 1, 2
MAX_REJECTIONS_SHOWN = 50

UowFactory = Callable[[], "UnitOfWork"]


def console() -> Console:
    return Console(soft_wrap=True)


def fail(message: str) -> typer.Exit:
    """Print an error to stderr and return the exit to raise."""
    Console(stderr=True, soft_wrap=True).print(Text(f"error: {message}", style="bold red"))
    return typer.Exit(EXIT_FAILED)


def database(url: str | None = None) -> tuple[str, UowFactory]:
    """The migrated database (``LASTMILE_DATABASE_URL`` or ./var) and its unit-of-work maker."""
    from sqlalchemy.exc import SQLAlchemyError

    from lastmile import bootstrap

    url = url or bootstrap.database_url()
    try:
        bootstrap.init_database(url)
        return url, bootstrap.uow_factory(url)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        reason = str(cause).strip().splitlines()[0]
        raise InvalidInput(f"cannot open the database {shown_url(url)}: {reason}") from None


def shown_url(url: str) -> str:
    """The URL without a password, for printing."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable URL)"


def file_format(path: Path, given: Format | None) -> Format:
    if given is not None:
        return given
    suffix = path.suffix.lower().lstrip(".")
    if suffix in {f.value for f in Format}:
        return Format(suffix)
    raise InvalidInput(f"cannot tell the format of {path.name}; use --format csv|json")


# --- import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    path: Path
    kind: Kind
    table: Any  # lastmile.exchange.Table


def _expand(paths: Sequence[Path]) -> list[Path]:
    """A folder stands for the CSV and JSON files in it (what ``lastmile scenario`` writes)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".json")))
        else:
            found.append(path)
    return found


def read_files(paths: Sequence[Path], kind: Kind | None, fmt: Format | None) -> list[Pending]:
    """Read every file and settle its kind, in import order (hubs before orders)."""
    from lastmile.exchange import infer_kind, read_table

    pending = []
    for path in _expand(paths):
        try:
            content = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InvalidInput("no such file", location=str(path)) from None
        except (UnicodeDecodeError, IsADirectoryError) as exc:
            raise InvalidInput(f"cannot read the file: {exc}", location=str(path)) from None
        table = read_table(content, path.name, file_format(path, fmt))
        found = kind or infer_kind(path.name, table.columns)
        if found is None:
            raise InvalidInput(
                "cannot tell which kind of data this is; name the file after it "
                "(orders.csv) or give --kind",
                location=str(path),
            )
        pending.append(Pending(path, found, table))
    return sorted(pending, key=lambda p: list(Kind).index(p.kind))


def import_files(
    pending: Sequence[Pending], uow: UowFactory, *, all_or_nothing: bool, out: Console
) -> list[ImportReport]:
    """Import each file in its own transaction, with a progress bar per file."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from lastmile.dispatch.imports import import_table

    reports = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=out, transient=True) as progress:
        for item in pending:
            task = progress.add_task(f"{item.path.name}", total=len(item.table.rows))

            def advance(n: int, task: TaskID = task) -> None:
                progress.advance(task, n)

            reports.append(
                import_table(
                    uow(), item.kind, item.table, all_or_nothing=all_or_nothing, progress=advance
                )
            )
    return reports


def print_reports(reports: Sequence[ImportReport], out: Console) -> None:
    table = Table(title="Import")
    for column in ("file", "kind", "inserted", "updated", "unchanged", "rejected"):
        table.add_column(column, justify="left" if column in ("file", "kind") else "right")
    for r in reports:
        rejected = f"{len(r.rejections)}" + (" (file refused)" if r.refused else "")
        counts = (len(r.inserted), len(r.updated), len(r.unchanged))
        table.add_row(r.source, r.kind.value, *map(str, counts), rejected)
    out.print(table)
    for r in reports:
        for warning in r.warnings:
            out.print(Text(f"warning: {warning}", style="yellow"))
        for rejection in r.rejections[:MAX_REJECTIONS_SHOWN]:
            out.print(Text(str(rejection), style="red"))
        if len(r.rejections) > MAX_REJECTIONS_SHOWN:
            more = len(r.rejections) - MAX_REJECTIONS_SHOWN
            out.print(Text(f"{r.source}: ... and {more} more rejected rows", style="red"))


def import_command(
    files: Annotated[
        list[Path], typer.Argument(help="CSV or JSON files, or folders of them; hubs go first.")
    ],
    kind: Annotated[
        Kind | None, typer.Option(help="What the file holds (default: from its name or header).")
    ] = None,
    fmt: Annotated[
        Format | None, typer.Option("--format", help="csv or json (default: from the suffix).")
    ] = None,
    all_or_nothing: Annotated[
        bool, typer.Option("--all-or-nothing", help="Refuse a whole file if any row is bad.")
    ] = False,
) -> None:
    """Import hubs, zones, vehicles, drivers, shifts or orders; rows are upserted by ref."""
    if kind is not None and len(files) > 1:
        raise fail("--kind applies to one file; name several files after their kind instead")
    try:
        pending = read_files(files, kind, fmt)
        _, uow = database()
    except InvalidInput as error:
        raise fail(str(error)) from None
    out = console()
    reports = import_files(pending, uow, all_or_nothing=all_or_nothing, out=out)
    print_reports(reports, out)
    if any(r.rejections for r in reports):
        raise typer.Exit(EXIT_REJECTED)


# --- export ----------------------------------------------------------------------------------


def export_text(uow: UowFactory, kind: Kind, fmt: Format) -> tuple[str, int]:
    """Everything stored of ``kind`` as a file in ``fmt``, and how many rows it holds."""
    from lastmile.exchange import Context, to_rows, write_table

    with uow() as work:
        context = Context({h.ref: h.timezone for h in work.hubs.list()})
        entities = getattr(work, kind.value).list()
        rows = to_rows(kind, entities, context)
    return write_table(kind, rows, fmt), len(rows)


def export_command(
    kind: Annotated[Kind, typer.Option(help="What to export.")],
    fmt: Annotated[
        Format | None, typer.Option("--format", help="csv or json (default: from -o, else csv).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="File to write (default: standard output)."),
    ] = None,
) -> None:
    """Export stored data in the import format: importing the file again changes nothing."""
    try:
        chosen = fmt or (file_format(output, None) if output else Format.CSV)
        _, uow = database()
    except InvalidInput as error:
        raise fail(str(error)) from None
    text, count = export_text(uow, kind, chosen)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8", newline="")
    console().print(f"Wrote {count} {kind.value} to {output}")


# --- scenario --------------------------------------------------------------------------------


def tomorrow() -> date:
    return date.today() + timedelta(days=1)


def scenario_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for the import files.")] = Path(
        "var/scenario"
    ),
    orders: Annotated[int, typer.Option(help="Orders in the day (50 to 20,000).")] = 1000,
    seed: Annotated[int, typer.Option(help="Same seed and date give byte-identical files.")] = 1,
    day: Annotated[
        datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="Service day (default: tomorrow)."),
    ] = None,
    osm: Annotated[
        Path | None, typer.Option(help="An .osm.pbf extract: customers live on its streets.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.CSV,
    timezone: Annotated[str, typer.Option(help="IANA timezone of the city.")] = "Europe/Helsinki",
    city_name: Annotated[str, typer.Option("--city", help="City name for addresses.")] = "Helsinki",
    country: Annotated[str, typer.Option(help="ISO country code for addresses.")] = "FI",
) -> None:
    """Generate a synthetic city and write it as import files."""
    city = (city_name, country, timezone)
    paths = write_city(out, orders, seed, day.date() if day else tomorrow(), osm, fmt, city)
    table = Table(title=f"Scenario written to {out}")
    table.add_column("file")
    table.add_column("bytes", justify="right")
    for path in paths:
        table.add_row(path.name, f"{path.stat().st_size:,}")
    console().print(table)


def write_city(
    out: Path,
    orders: int,
    seed: int,
    day: date,
    osm: Path | None,
    fmt: Format,
    place: tuple[str, str, str] = ("Helsinki", "FI", "Europe/Helsinki"),
) -> list[Path]:
    """Generate and write a scenario for (city, country, timezone); bad options exit 2."""
    from lastmile.domain.values import zone_info
    from lastmile.sim.city import City
    from lastmile.sim.scenario import generate, write_scenario

    name, country, timezone = place
    try:
        zone_info(timezone)
        city = City(name=name, country=country, timezone=timezone)
        with console().status(f"Generating {orders:,} orders (seed {seed}, {day})..."):
            scenario = generate(orders, seed, day, osm=osm, city=city)
            return write_scenario(scenario, out, fmt)
    except InvalidInput as error:
        raise fail(str(error)) from None


# --- orders ----------------------------------------------------------------------------------


def orders_command(
    hub: Annotated[str | None, typer.Option(help="Only orders of this hub.")] = None,
    state: Annotated[
        list[LifecycleState] | None, typer.Option(help="Only orders in this state (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many rows.")] = 20,
) -> None:
    """List stored orders."""
    try:
        _, uow = database()
    except InvalidInput as error:
        raise fail(str(error)) from None
    with uow() as work:
        zones = {h.ref: ZoneInfo(h.timezone) for h in work.hubs.list()}
        found = work.orders.list_by(hub_ref=hub, states=state or None, limit=limit)
        total = work.orders.count()
    console().print(_orders_table(found, total, zones, hub))


def _orders_table(
    found: Sequence[Order], total: int, zones: dict[str, ZoneInfo], hub: str | None
) -> Table:
    """Fixed columns keep their full width; only the address gives way on a narrow terminal."""
    headers = ["ref", "hub", "state", "level", "window", "zone", "kg"]
    rows = [
        [
            o.ref,
            o.hub_ref,
            o.state.value,
            o.service_level.value,
            _window(o, zones),
            o.zone_ref or "",
            f"{o.load.weight_g / 1000:.1f}",
            o.address.raw,
        ]
        for o in found
    ]
    if hub is not None:  # the title names it; the column would repeat it on every line
        headers.remove("hub")
        rows = [row[:1] + row[2:] for row in rows]
    title = f"Orders{f' of {hub}' if hub else ''} ({len(found)} shown of {total:,} stored)"
    table = Table(title=title, box=box.SIMPLE, pad_edge=False)
    for index, column in enumerate(headers):
        width = max([len(column), *(len(r[index]) for r in rows)])
        justify: JustifyMethod = "right" if column == "kg" else "left"
        table.add_column(column, no_wrap=True, min_width=width, justify=justify)
    table.add_column("address", no_wrap=True, overflow="ellipsis", ratio=1)
    for row in rows:
        table.add_row(*row)
    return table


def _window(order: Order, zones: dict[str, ZoneInfo]) -> str:
    """The window in the hub's local time, as people there read it."""
    if order.window is None:
        return "any time"
    tz = zones.get(order.hub_ref)
    start, end = order.window.start.astimezone(tz), order.window.end.astimezone(tz)
    return f"{start:%d.%m %H:%M}–{end:%H:%M}"


def init_command() -> None:
    """Create or migrate the database and say where it is."""
    try:
        url, _ = database()
    except InvalidInput as error:
        raise fail(str(error)) from None
    console().print(f"Database ready at [bold]{shown_url(url)}[/bold]")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("init")(init_command)
    app.command("import")(import_command)
    app.command("export")(export_command)
    app.command("scenario")(scenario_command)
    app.command("orders")(orders_command)
