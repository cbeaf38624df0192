from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lastmile.cli import build_app


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LASTMILE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("LASTMILE_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "160")

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(build_app(), list(args), catch_exceptions=False)

    return invoke


def test_eta_train_saves_a_model_and_reports_held_out_accuracy(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "model.json"
    result = run("eta", "train", "--days", "2", "--routes", "5", "--test-days", "1",
                 "--trees", "30", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "learned P50 MAE" in result.output and "inside P10–P90" in result.output
    meta = json.loads(out.read_text())["meta"]
    assert meta["held_out"]["mae_p50_s"] < meta["held_out"]["mae_route_s"]


def test_eta_train_refuses_zero_days(run) -> None:  # type: ignore[no-untyped-def]
    result = run("eta", "train", "--days", "0")
    assert result.exit_code == 2 and "at least 1" in result.output


def test_the_bridge_says_clearly_when_no_broker_answers(run) -> None:  # type: ignore[no-untyped-def]
    result = run("mqtt-bridge", "--port", "1", "--duration", "0.1")
    assert result.exit_code == 2 and "cannot start the bridge" in result.output
    result = run("mqtt-bridge", "--follow", "phone-without-route", "--duration", "0.1")
    assert result.exit_code == 2 and "cannot start the bridge" in result.output


@pytest.mark.storage
def test_eta_accuracy_reads_snapshots_and_arrivals_from_the_journey(database_url: str) -> None:
    from datetime import timedelta

    from lastmile.dispatch.tracking_eta import refresh_route_etas
    from lastmile.geo.haversine import HaversineProvider

    from .world import DAY, HUB, build

    world = build(database_url)
    w = next(world)
    preds, _ = refresh_route_etas(w.new_uow, w.store, plan_ref="P1", route_ref="R1",
                                  position=HUB, at=DAY, provider=HaversineProvider())  # fmt: skip
    w.store.add_arrival("R1", "O-0", preds[0].eta + timedelta(minutes=3), "geofence")
    world.close()
    result = CliRunner().invoke(
        build_app(), ["eta", "accuracy", "--database", database_url], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "3.0 min" in result.output and "100%" in result.output
