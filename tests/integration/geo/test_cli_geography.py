"""`lastmile addresses` lists suspicious order addresses from the database; `lastmile matrix`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lastmile import bootstrap
from lastmile.cli import build_app
from lastmile.domain import Address, Coordinate, GeocodePrecision, Hub, LifecycleState, Order, Zone
from tests.conftest import shared_path
from tests.integration.geo.conftest import HELSINKI

CENTRE = Zone(ref="HEL-C", name="Centre",
              polygon=(((24.930, 60.160), (24.960, 60.160), (24.960, 60.180), (24.930, 60.180),
                        (24.930, 60.160)),))  # fmt: skip


def _order(
    ref: str,
    lat: float,
    lon: float,
    raw: str,
    precision: GeocodePrecision = GeocodePrecision.ROOFTOP,
) -> Order:
    where = Address(raw=raw, coordinate=Coordinate(lat, lon), country="FI", precision=precision)
    return Order(ref=ref, hub_ref="HUB", address=where)


def _fill(url: str) -> None:
    bootstrap.init_database(url)
    factory = bootstrap.uow_factory(url)
    orders = [
        _order("GOOD-1", 60.1680, 24.9410, "Aleksanterinkatu 10, 00100 Helsinki"),
        _order("GOOD-2", 60.1690, 24.9450, "Aleksanterinkatu 20, 00100 Helsinki"),
        _order("GOOD-3", 60.1700, 24.9420, "Mikonkatu 5, 00100 Helsinki"),
        _order("ROUGH", 60.1695, 24.9430, "Kaivokatu 8, 00100 Helsinki",
               precision=GeocodePrecision.POSTCODE),
        _order("AWAY", 60.2500, 25.0500, "Itäkatu 1, 00930 Helsinki"),
    ]  # fmt: skip
    delivered = _order("DONE", 60.2600, 25.0600, "Itäkatu 9, 00930 Helsinki")
    delivered.state = LifecycleState.COMPLETED
    try:
        with factory() as uow:
            uow.hubs.add(Hub(ref="HUB", name="Hub", location=Coordinate(60.17, 24.94)))
            uow.zones.add(CENTRE)
            for order in [*orders, delivered]:
                uow.orders.add(order)
            uow.commit()
    finally:
        factory.dispose()


@pytest.mark.storage
def test_low_confidence_orders_are_listed_worst_first_with_their_reasons(
    database_url: str, tmp_path: Path
) -> None:
    _fill(database_url)
    env = {"LASTMILE_DATABASE_URL": database_url, "LASTMILE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(build_app(), ["addresses", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["checked"] == 5  # the delivered order is past checking
    listed = {row["order"]: row for row in report["low_confidence"]}
    assert list(listed) == ["AWAY", "ROUGH"]
    assert listed["AWAY"]["flags"] == ["outside_service_area"]
    assert listed["ROUGH"]["flags"] == ["postcode_precision"]


@pytest.mark.storage
def test_the_table_view_and_a_road_network_flag_points_far_from_roads(
    database_url: str, tmp_path: Path
) -> None:
    _fill(database_url)
    extract = shared_path(*HELSINKI)
    env = {"LASTMILE_DATABASE_URL": database_url, "LASTMILE_DATA_DIR": str(tmp_path),
           "COLUMNS": "200"}  # fmt: skip
    result = CliRunner().invoke(
        build_app(), ["addresses", "--osm", str(extract), "--min-confidence", "0.9"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "far_from_road" in result.output  # AWAY is kilometres outside the extract
    assert "2 of 5 order(s) need a check." in result.output


def test_a_bad_zones_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "zones.geojson"
    bad.write_text("{nope")
    env = {"LASTMILE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = CliRunner().invoke(build_app(), ["addresses", "--zones", str(bad)], env=env)
    assert result.exit_code == 2
    assert "not valid JSON" in result.output


def test_matrix_gives_a_quick_look_at_travel_times_on_a_real_extract(tmp_path: Path) -> None:
    extract = shared_path(*HELSINKI)
    env = {"LASTMILE_DATA_DIR": str(tmp_path), "COLUMNS": "160"}
    result = CliRunner().invoke(
        build_app(), ["matrix", "--osm", str(extract), "--points", "50", "--hour", "8"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "50 x 50 car matrix at 08:00" in result.output
    assert "road network of Helsinki.osm.pbf" in result.output
    assert list((tmp_path / "geo" / "graphs").glob("*.npz"))


def test_route_prints_a_geojson_line_between_two_points(tmp_path: Path) -> None:
    extract = shared_path(*HELSINKI)
    env = {"LASTMILE_DATA_DIR": str(tmp_path)}
    args = ["route", "60.1675,24.9430", "60.1760,24.9390", "--osm", str(extract)]
    result = CliRunner().invoke(build_app(), args, env=env)
    assert result.exit_code == 0, result.output
    feature = json.loads(result.output)
    assert feature["geometry"]["type"] == "LineString"
    assert feature["geometry"]["coordinates"][0] == [24.943, 60.1675]
    assert feature["properties"]["distance_m"] > 900


def test_route_refuses_a_point_that_is_not_lat_lon(tmp_path: Path) -> None:
    extract = shared_path(*HELSINKI)
    args = ["route", "60.1675", "60.17,24.9", "--osm", str(extract)]
    result = CliRunner().invoke(build_app(), args, env={"LASTMILE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert "expected LAT,LON" in result.output
