"""CLI commands: geography — ``addresses`` (geocode checks before dispatch) and ``matrix``.

Exit codes: 0 done, 2 the command could not run (bad file, bad option, no database).
Heavy libraries (numpy, osmium, shapely, SQLAlchemy) load inside the commands.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from lastmile.domain import Coordinate, LastMileError, LifecycleState, Order, Zone
from lastmile.geo.travel import Profile

if TYPE_CHECKING:
    from lastmile.geo.confidence import AddressCheck, RoadDistance
    from lastmile.geo.osm import OsmProvider

EXIT_FAILED = 2
# Orders not yet handed to a driver: their address can still be fixed.
BEFORE_DISPATCH = (LifecycleState.CREATED, LifecycleState.READY, LifecycleState.PLANNED)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {message}")
    return typer.Exit(EXIT_FAILED)


def _geo_cache() -> Path:
    from lastmile.config import get_settings

    return get_settings().data_dir / "geo"


def _load_orders(hub: str | None, every_state: bool) -> tuple[list[Order], list[Zone]]:
    """Orders (before dispatch unless ``every_state``) and zones from the database."""
    from lastmile import bootstrap

    url = bootstrap.init_database(bootstrap.database_url())
    factory = bootstrap.uow_factory(url)
    try:
        with factory() as uow:
            states = None if every_state else BEFORE_DISPATCH
            orders = uow.orders.list_by(hub_ref=hub, states=states)
            zones = uow.zones.list()
    finally:
        factory.dispose()
    return orders, zones


def _roads(osm: Path | None) -> RoadDistance | None:
    if osm is None:
        return None
    return _road_network(osm, [Profile.CAR])


def _road_network(osm: Path, profiles: Sequence[Profile] = tuple(Profile)) -> OsmProvider:
    """The extract's graphs, reused from the data folder when built before (with a spinner)."""
    from lastmile.geo.osm import OsmProvider

    with Console(stderr=True).status(f"Reading road network from {osm.name}..."):
        return OsmProvider.from_file(osm, cache_dir=_geo_cache() / "graphs", profiles=profiles)


def _print_checks(checks: Sequence[AddressCheck], total: int, threshold: float) -> None:
    out = Console(soft_wrap=True)
    table = Table(title=f"Addresses to check before dispatch (confidence < {threshold:g})")
    for column in ("order", "confidence", "flags", "why", "address"):
        table.add_column(column, overflow="fold")
    for check in checks:
        style = "red" if check.confidence < threshold / 2 else "yellow"
        table.add_row(
            check.ref,
            f"[{style}]{check.confidence:.2f}[/]",
            ", ".join(sorted(check.flags)),
            "; ".join(check.reasons[f] for f in sorted(check.reasons)),
            check.address.raw,
        )
    if checks:
        out.print(table)
    out.print(f"{len(checks)} of {total} order(s) need a check.")


def addresses_command(
    min_confidence: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="List orders scoring below this.")
    ] = 0.6,
    osm: Annotated[
        Path | None, typer.Option(help="An .osm.pbf extract, to flag points far from roads.")
    ] = None,
    zones: Annotated[
        Path | None, typer.Option(help="Service areas as GeoJSON (default: zones in the DB).")
    ] = None,
    hub: Annotated[str | None, typer.Option(help="Only orders of this hub.")] = None,
    every_state: Annotated[
        bool, typer.Option("--all", help="Include orders already dispatched or done.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List low-confidence order addresses for a person to check before dispatch."""
    from lastmile.geo.confidence import check_addresses, needs_review
    from lastmile.geo.geojson import zones_from_geojson

    try:
        orders, stored_zones = _load_orders(hub, every_state)
        areas = zones_from_geojson(zones) if zones is not None else stored_zones
        checks = check_addresses([(o.ref, o.address) for o in orders], zones=areas,
                                 roads=_roads(osm))  # fmt: skip
    except LastMileError as exc:
        raise _fail(str(exc)) from None
    low = needs_review(checks, min_confidence)
    if as_json:
        rows = [{"order": c.ref, "confidence": c.confidence, "address": c.address.raw,
                 "flags": sorted(c.flags), "reasons": {str(k): v for k, v in c.reasons.items()}}
                for c in low]  # fmt: skip
        typer.echo(json.dumps({"checked": len(checks), "low_confidence": rows}, indent=2))
        return
    _print_checks(low, len(checks), min_confidence)


def _sample_points(provider: object, count: int, seed: int, profile: Profile) -> list[Coordinate]:
    """Points a few metres off random road nodes, or around Helsinki without a network."""
    import numpy as np

    from lastmile.geo.osm import OsmProvider

    rng = np.random.default_rng(seed)
    if isinstance(provider, OsmProvider):
        graph = provider.network.graph(profile)
        nodes = rng.choice(graph.node_count, count, replace=count > graph.node_count)
        lat, lon = graph.lat[nodes], graph.lon[nodes]
    else:
        lat, lon = rng.uniform(60.15, 60.22, count), rng.uniform(24.85, 25.05, count)
    jitter = rng.normal(0, 1e-4, (count, 2))
    return [
        Coordinate(float(a + d[0]), float(b + d[1]))
        for a, b, d in zip(lat, lon, jitter, strict=True)
    ]


def _summary(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title)
    table.add_column("")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    return table


def matrix_command(
    osm: Annotated[
        Path | None, typer.Option(help="An .osm.pbf extract (default: haversine).")
    ] = None,
    points: Annotated[int, typer.Option(min=2, max=20_000, help="Number of random points.")] = 200,
    profile: Annotated[Profile, typer.Option(help="Vehicle profile.")] = Profile.CAR,
    hour: Annotated[int, typer.Option(min=0, max=23, help="Departure hour.")] = 12,
    seed: Annotated[int, typer.Option(help="Seed for the random points.")] = 1,
) -> None:
    """Compute a travel-time matrix between random points and summarise it (a quick look)."""
    import numpy as np

    from lastmile.geo.haversine import HaversineProvider

    started = time.perf_counter()
    try:
        provider = HaversineProvider() if osm is None else _road_network(osm)
        loaded = time.perf_counter() - started
        sample = _sample_points(provider, points, seed, profile)
        started = time.perf_counter()
        result = provider.matrix(sample, sample, profile=profile, hour=hour)
    except LastMileError as exc:
        raise _fail(str(exc)) from None
    took = time.perf_counter() - started
    off = ~np.eye(points, dtype=bool)
    rows = [
        ("provider", "haversine" if osm is None else f"road network of {osm.name}"),
        ("load / build (s)", f"{loaded:.2f}"),
        ("matrix (s)", f"{took:.3f}"),
        ("median trip (min)", f"{float(np.median(result.durations_s[off])) / 60:.1f}"),
        ("median distance (km)", f"{float(np.median(result.distances_m[off])) / 1000:.2f}"),
    ]
    title = f"{points} x {points} {profile} matrix at {hour:02d}:00"
    Console(soft_wrap=True).print(_summary(title, rows))


def _point(text: str) -> Coordinate:
    """``60.17,24.94`` (lat,lon) -> Coordinate, or a usage error naming the value."""
    try:
        lat, lon = (float(part) for part in text.split(","))
        return Coordinate(lat, lon)
    except (ValueError, LastMileError):
        raise typer.BadParameter(f"expected LAT,LON in degrees, got {text!r}") from None


def route_command(
    origin: Annotated[str, typer.Argument(help="Start as LAT,LON.")],
    destination: Annotated[str, typer.Argument(help="End as LAT,LON.")],
    osm: Annotated[Path, typer.Option(help="An .osm.pbf extract.")],
    profile: Annotated[Profile, typer.Option(help="Vehicle profile.")] = Profile.CAR,
    hour: Annotated[int, typer.Option(min=0, max=23, help="Departure hour.")] = 12,
) -> None:
    """Print the road route between two points as a GeoJSON Feature (for a map)."""
    start, end = _point(origin), _point(destination)
    try:
        route = _road_network(osm, [profile]).route(start, end, profile=profile, hour=hour)
    except LastMileError as exc:
        raise _fail(str(exc)) from None
    typer.echo(json.dumps(route.as_geojson()))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("addresses")(addresses_command)
    app.command("matrix")(matrix_command)
    app.command("route")(route_command)
