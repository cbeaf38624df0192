"""`lastmile init | scenario | import | export | orders` as a user types them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from lastmile.sim.streets import read_streets
from tests.conftest import shared_path
from tests.integration.cli.conftest import Invoke

pytestmark = pytest.mark.storage
KINDS = ("hubs", "zones", "vehicles", "drivers", "shifts", "orders")


def counts(output: str) -> dict[str, tuple[int, int, int, int]]:
    """The import summary table: file -> (inserted, updated, unchanged, rejected)."""
    found = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 6 and cells[2].isdigit():
            found[cells[0]] = (
                int(cells[2]),
                int(cells[3]),
                int(cells[4]),
                int(cells[5].split()[0]),
            )
    return found


def city(run: Invoke, folder: str = "city", *extra: str) -> list[str]:
    result = run(
        "scenario", "--orders", "60", "--seed", "9", "--date", "2026-11-24", "--out", folder, *extra
    )
    assert result.exit_code == 0, result.output
    return [f"{folder}/{k}.csv" for k in KINDS]


def test_init_creates_the_database_and_says_where(with_db: Invoke, database_url: str) -> None:
    result = with_db("init")
    assert result.exit_code == 0
    assert "Database ready at" in result.output
    assert database_url.split("://")[0] in result.output


def test_init_defaults_to_a_sqlite_file_under_var(lastmile: Invoke, tmp_path: Path) -> None:
    result = lastmile("init")
    assert result.exit_code == 0
    assert (tmp_path / "var" / "lastmile.sqlite3").exists()


def test_importing_a_city_then_importing_it_again_reports_everything_unchanged(
    with_db: Invoke,
) -> None:
    files = city(with_db)
    first = with_db("import", *reversed(files))  # given in any order, imported hubs first
    assert first.exit_code == 0, first.output
    assert "orders.csv" in first.output and "60" in first.output
    second = with_db("import", *files)
    assert second.exit_code == 0
    assert counts(first.output)["orders.csv"] == (60, 0, 0, 0)
    assert counts(second.output) == {
        f"{k}.csv": (0, 0, counts(first.output)[f"{k}.csv"][0], 0) for k in KINDS
    }


def test_rejected_rows_are_listed_as_file_row_field_reason_and_exit_1(
    with_db: Invoke, tmp_path: Path
) -> None:
    files = city(with_db)
    assert with_db("import", *files[:-1]).exit_code == 0
    lines = (tmp_path / files[-1]).read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",Z-", ",Z-NOWHERE-", 1)
    lines[4] = lines[4].replace(",60.", ",160.", 1)
    (tmp_path / "orders.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = with_db("import", "orders.csv", "--all-or-nothing")
    assert result.exit_code == 1
    assert "file refused" in result.output
    assert "orders.csv:3 zone_ref: no zone 'Z-NOWHERE-" in result.output
    assert "orders.csv:5 lat: 160." in result.output
    assert "outside ±90 degrees" in result.output
    listed = with_db("orders", "--limit", "100")
    assert "0 shown of 0 stored" in listed.output


def test_a_file_of_unknown_kind_or_format_exits_2_with_a_reason(
    with_db: Invoke, tmp_path: Path
) -> None:
    (tmp_path / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "data.xlsx").write_text("", encoding="utf-8")
    unknown = with_db("import", "data.csv")
    assert unknown.exit_code == 2 and "--kind" in unknown.output
    assert with_db("import", "data.xlsx").exit_code == 2
    assert "no such file" in with_db("import", "missing.csv").output


def test_export_then_import_changes_nothing(with_db: Invoke, tmp_path: Path) -> None:
    assert with_db("import", *city(with_db)).exit_code == 0
    for kind in KINDS:
        exported = with_db("export", "--kind", kind, "--format", "json", "-o", f"out/{kind}.json")
        assert exported.exit_code == 0, exported.output
    again = with_db("import", *(f"out/{k}.json" for k in KINDS))
    assert again.exit_code == 0
    summary = counts(again.output)
    assert set(summary) == {f"{k}.json" for k in KINDS}
    assert all(
        inserted == updated == rejected == 0 for inserted, updated, _, rejected in summary.values()
    )
    assert summary["orders.json"][2] == 60
    stdout = with_db("export", "--kind", "hubs")
    assert stdout.output.startswith("ref,name,lat,lon,timezone")


def test_orders_lists_a_table_filtered_by_hub_and_state(with_db: Invoke, tmp_path: Path) -> None:
    assert with_db("import", *city(with_db)).exit_code == 0
    stored = list(csv.DictReader((tmp_path / "city/orders.csv").open(encoding="utf-8")))
    hub_of = {row["ref"]: row["hub_ref"] for row in stored}
    result = with_db("orders", "--hub", "HUB-NORTH", "--state", "created", "--limit", "5")
    assert result.exit_code == 0
    assert "Orders of HUB-NORTH (5 shown of 60 stored)" in result.output
    shown = [word for word in result.output.split() if word in hub_of]
    assert len(shown) == 5 and {hub_of[ref] for ref in shown} == {"HUB-NORTH"}
    everything = with_db("orders", "--limit", "100")
    assert "HUB-CENTRE" in everything.output and "60 shown of 60 stored" in everything.output
    assert "0 shown" in with_db("orders", "--state", "planned").output
    assert with_db("orders", "--state", "teleported").exit_code == 2


def test_the_same_seed_writes_byte_identical_files(lastmile: Invoke, tmp_path: Path) -> None:
    city(lastmile, "a")
    city(lastmile, "b")
    for kind in KINDS:
        assert (tmp_path / f"a/{kind}.csv").read_bytes() == (
            tmp_path / f"b/{kind}.csv"
        ).read_bytes()


def test_a_scenario_size_outside_the_range_exits_2(lastmile: Invoke) -> None:
    result = lastmile("scenario", "--orders", "10", "--out", "x")
    assert result.exit_code == 2
    assert "between 50 and 20,000" in result.output


def test_a_scenario_can_place_customers_on_real_osm_streets(
    lastmile: Invoke, tmp_path: Path
) -> None:
    extract = shared_path("data", "osm", "Helsinki.osm.pbf")
    city(lastmile, "osm", "--osm", str(extract))
    text = (tmp_path / "osm/orders.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    # The extract covers lon 24.935–24.953, lat 60.164–60.179 (see shared/data/osm/README.md).
    assert all(
        60.16 <= float(r["lat"]) <= 60.18 and 24.93 <= float(r["lon"]) <= 24.96 for r in rows
    )
    assert {r["street"] for r in rows} <= set(read_streets(extract).names)


def test_an_unreachable_database_exits_2_naming_it_without_a_traceback(lastmile: Invoke) -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:9/none"
    result = lastmile("init", env={"LASTMILE_DATABASE_URL": url})
    assert result.exit_code == 2
    shown = "postgresql+psycopg://nobody:***@127.0.0.1:9/none"
    assert f"cannot open the database {shown}" in result.output
    assert "secret" not in result.output and "Traceback" not in result.output


def test_a_folder_imports_every_file_in_it(with_db: Invoke) -> None:
    city(with_db)
    result = with_db("import", "city")
    assert result.exit_code == 0
    assert set(counts(result.output)) == {f"{k}.csv" for k in KINDS}
