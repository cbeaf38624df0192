"""`lastmile demo` builds a fresh city database and summarises it, without waiting for anyone."""

from __future__ import annotations

from pathlib import Path

from tests.integration.cli.conftest import Invoke


def test_the_demo_imports_a_fresh_city_and_prints_its_summary(
    lastmile: Invoke, tmp_path: Path
) -> None:
    result = lastmile("demo", "--orders", "60", "--seed", "4", "--no-osm", "--headless")
    assert result.exit_code == 0, result.output
    for title in ("Import", "Hubs", "Zones", "Fleet", "Orders by channel and service level (60)"):
        assert title in result.output
    assert "cargo_bike_only" in result.output and "streets: synthetic" in result.output
    assert (tmp_path / "var/demo/lastmile.sqlite3").is_file()
    assert (tmp_path / "var/demo/city/orders.csv").is_file()
    assert "Try next" not in result.output


def test_each_demo_run_starts_from_an_empty_database(lastmile: Invoke) -> None:
    lastmile("demo", "--orders", "50", "--no-osm", "--headless")
    again = lastmile("demo", "--orders", "50", "--no-osm", "--headless")
    assert again.exit_code == 0
    [orders_line] = [line for line in again.output.splitlines() if "orders.csv" in line]
    assert orders_line.split("│")[3].strip() == "50", "inserted again, not 'unchanged'"


def test_headless_by_environment_leaves_out_the_hints(lastmile: Invoke) -> None:
    person = lastmile("demo", "--orders", "50", "--no-osm")
    assert person.exit_code == 0 and "Try next" in person.output
    robot = lastmile("demo", "--orders", "50", "--no-osm", env={"LASTMILE_DEMO_HEADLESS": "1"})
    assert robot.exit_code == 0 and "Try next" not in robot.output


def test_a_bad_demo_option_exits_2_with_the_reason(lastmile: Invoke) -> None:
    result = lastmile("demo", "--orders", "5", "--no-osm")
    assert result.exit_code == 2
    assert "between 50 and 20,000" in result.output
