"""`lastmile plan --date` plans the stored day, writes its files and stores the plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lastmile.bootstrap import init_database, uow_factory
from lastmile.cli import build_app
from lastmile.domain import Address, LifecycleState, Order, TimeWindow
from tests.unit.planning import factory as f


def _seed(url: str) -> None:
    init_database(url)
    with uow_factory(url)() as uow:
        uow.hubs.add(f.hub())
        uow.vehicles.add(f.van("V1"))
        uow.drivers.add(f.driver("D-S1"))
        uow.shifts.add(f.shift("S1", "V1", (1, 9)))
        for i, where in enumerate(f.ring(6, 2)):
            uow.orders.add(
                Order(
                    ref=f"o{i}",
                    hub_ref="H1",
                    address=Address(raw=f"street {i}", coordinate=where),
                    window=TimeWindow(f.at(2), f.at(6)),
                )
            )
        uow.commit()


@pytest.mark.storage
def test_plan_for_a_date_stores_the_plan_and_marks_orders_planned(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(database_url)
    monkeypatch.setenv("LASTMILE_DATABASE_URL", database_url)
    out = tmp_path / "out"
    run = CliRunner().invoke(
        build_app(),
        ["plan", "--date", "2026-03-02", "--time-limit", "2s", "--output-dir", str(out)],
    )
    assert run.exit_code == 0, run.output
    plan = json.loads((out / "plan.json").read_text())
    assert plan["summary"]["served"] == 6
    assert list(out.glob("manifest-*.csv")) and (out / "plan.geojson").exists()
    with uow_factory(database_url)() as uow:
        (stored,) = uow.plans.list()
        assert sum(len(r.visits) for r in stored.routes) == 6
        assert all(uow.orders.get(f"o{i}").state is LifecycleState.PLANNED for i in range(6))  # type: ignore[union-attr]


def test_plan_needs_exactly_one_source(tmp_path: Path) -> None:
    run = CliRunner().invoke(build_app(), ["plan", "--time-limit", "1s"])
    assert run.exit_code == 2 and "exactly one" in run.output


@pytest.mark.storage
def test_a_date_s_shifts_follow_each_hub_s_calendar(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """00:30 in Berlin on the 2nd is 23:30 UTC on the 1st: that shift works the 2nd, as the
    hub's orders of the 2nd do; 00:30 in Berlin on the 3rd does not."""
    from datetime import timedelta

    from lastmile.cli.planning import _problem_from_db

    _seed(database_url)
    with uow_factory(database_url)() as uow:
        for ref, start in (("V2", f.at(-6.5)), ("V3", f.at(17.5))):  # 00:30 local, 2nd / 3rd
            uow.vehicles.add(f.van(ref))
            uow.drivers.add(f.driver(f"D-S{ref}"))
            uow.shifts.add(f.shift(f"S{ref}", ref, (0, 1)))
            shift = uow.shifts.get(f"S{ref}")
            assert shift is not None
            shift.start, shift.end = start, start + timedelta(hours=8)
            uow.shifts.add(shift)
        uow.commit()
    monkeypatch.setenv("LASTMILE_DATABASE_URL", database_url)
    problem = _problem_from_db("2026-03-02")
    assert sorted(v.ref for v in problem.vehicles) == ["V1", "V2"]
