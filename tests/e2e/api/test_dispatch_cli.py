"""`lastmile dispatch events` and `show`: the API's dispatching, from a file of events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lastmile.cli import build_app
from tests.e2e.api.conftest import Api
from tests.e2e.api.test_plans_and_routes import plan_day

pytestmark = pytest.mark.storage
WIDE = {"COLUMNS": "200"}  # tables fold long cells on a narrow terminal


def lines(*events: dict[str, object]) -> str:
    return "# the morning's events\n" + "\n".join(json.dumps(e) for e in events) + "\n"


def test_events_from_a_file_re_plan_the_day_and_show_lists_them(api: Api, tmp_path: Path) -> None:
    first = plan_day(api, extra_vehicle=True)["ref"]
    events = tmp_path / "events.jsonl"
    events.write_text(lines(
        {"type": "vehicle_delayed", "vehicle_ref": "V1", "delay_s": 2400,
         "at": "2026-11-24T08:30:00+01:00"},
        {"type": "replan", "reason": "traffic report", "at": "2026-11-24T08:40:00+01:00"},
    ))  # fmt: skip
    cli = CliRunner(env=WIDE)
    sent = cli.invoke(
        build_app(),
        ["dispatch", "events", first, "--file", str(events), "--budget-s", "0.5",
         "--database", api.url],
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    assert "vehicle_delayed" in sent.output and f"{first}.2" in sent.output
    shown = cli.invoke(build_app(), ["dispatch", "show", first, "--database", api.url])
    assert shown.exit_code == 0, shown.output
    assert "ReportDelay" in shown.output and "Replan" in shown.output
    assert f"plan in force {first}.2" in shown.output


def test_a_bad_line_is_named_and_nothing_is_sent(api: Api, tmp_path: Path) -> None:
    first = plan_day(api, extra_vehicle=True)["ref"]
    events = tmp_path / "events.jsonl"
    events.write_text(lines(
        {"type": "replan", "at": "2026-11-24T08:30:00+01:00"},
        {"type": "vehicle_delayed", "vehicle_ref": "V1", "delay_s": -5},
    ))  # fmt: skip
    result = CliRunner(env=WIDE).invoke(
        build_app(), ["dispatch", "events", first, "--file", str(events), "--database", api.url]
    )
    assert result.exit_code == 2
    assert "line 3" in result.output and "delay_s" in result.output
    shown = CliRunner(env=WIDE).invoke(
        build_app(), ["dispatch", "show", first, "--database", api.url]
    )
    assert "not dispatched yet" in shown.output


def test_a_refused_event_stops_the_file_saying_how_many_were_stored(
    api: Api, tmp_path: Path
) -> None:
    first = plan_day(api, extra_vehicle=True)["ref"]
    events = tmp_path / "events.jsonl"
    events.write_text(lines(
        {"type": "replan", "at": "2026-11-24T08:30:00+01:00"},
        {"type": "vehicle_delayed", "vehicle_ref": "V9", "delay_s": 600,
         "at": "2026-11-24T08:35:00+01:00"},
        {"type": "replan", "at": "2026-11-24T08:40:00+01:00"},
    ))  # fmt: skip
    result = CliRunner(env=WIDE).invoke(
        build_app(),
        ["dispatch", "events", first, "--file", str(events), "--budget-s", "0.5",
         "--database", api.url],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "event 2 (vehicle_delayed)" in result.output and "'V9'" in result.output
    assert "1 of 3 events were stored" in result.output
