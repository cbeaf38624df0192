from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from lastmile.cli import dispatching
from lastmile.dispatch.dynamic.instance import DayInstance, load_instance
from lastmile.dispatch.dynamic.runner import run_day
from lastmile.domain.errors import InvalidInput
from tests.conftest import shared_path
from tests.unit.dispatch.dynamic.tiny import tiny_instance


def write_vrplib(instance: DayInstance, path: Path) -> Path:
    """Write an instance in the ORTEC VRPLIB layout (explicit full matrix, node 1 = depot)."""
    size = instance.demands.size
    lines = [
        f"NAME : {instance.name}",
        "TYPE : VRPTW",
        f"DIMENSION : {size}",
        "EDGE_WEIGHT_TYPE : EXPLICIT",
        "EDGE_WEIGHT_FORMAT : FULL_MATRIX",
        f"CAPACITY : {instance.capacity}",
        "EDGE_WEIGHT_SECTION",
    ]
    lines += ["\t".join(map(str, row)) for row in instance.durations]
    lines.append("NODE_COORD_SECTION")
    lines += [f"{i + 1}\t{i}\t{i}" for i in range(size)]
    lines.append("DEMAND_SECTION")
    lines += [f"{i + 1}\t{d}" for i, d in enumerate(instance.demands)]
    lines += ["DEPOT_SECTION", "1", "-1", "SERVICE_TIME_SECTION"]
    lines += [f"{i + 1}\t{s}" for i, s in enumerate(instance.service_s)]
    lines.append("TIME_WINDOW_SECTION")
    lines += [f"{i + 1}\t{a}\t{b}" for i, (a, b) in enumerate(instance.time_windows)]
    lines.append("EOF")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_vrplib_file_reads_back_as_the_same_distribution(tmp_path: Path) -> None:
    original = tiny_instance()
    loaded = load_instance(write_vrplib(original, tmp_path / "tiny.txt"))
    assert loaded.name == original.name
    assert np.array_equal(loaded.durations, original.durations)
    assert np.array_equal(loaded.time_windows, original.time_windows)
    assert loaded.capacity == original.capacity


def test_a_missing_or_broken_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such instance file"):
        load_instance(tmp_path / "absent.txt")
    broken = tmp_path / "broken.txt"
    broken.write_text("NAME : x\nDIMENSION : 2\nCAPACITY : 3\nDEMAND_SECTION\n1 0\n2 1\nEOF\n")
    with pytest.raises(InvalidInput, match=r"broken\.txt"):
        load_instance(broken)
    for name, content in (("prose.txt", b"just some words\n"), ("binary.txt", bytes(range(256)))):
        odd = tmp_path / name
        odd.write_bytes(content)
        with pytest.raises(InvalidInput, match=rf"{name.replace('.', '[.]')}.*not a readable"):
            load_instance(odd)


def test_the_dynamic_command_prints_each_epoch_and_writes_routes_as_json(
    tmp_path: Path,
) -> None:
    app = typer.Typer()
    app.callback()(lambda: None)
    dispatching.register(app)
    path = write_vrplib(tiny_instance(), tmp_path / "tiny.txt")
    out = tmp_path / "day.json"
    args = [
        "dynamic",
        str(path),
        "--seed",
        "4",
        "--epoch-time-limit",
        "0.05",
        "--policy",
        "greedy",
        "--json",
        str(out),
        "--hindsight",
        "0.2",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "total cost (greedy, seed 4)" in result.output
    day = json.loads(out.read_text())
    assert day["total_cost"] == sum(e["cost"] for e in day["epochs"]) > 0
    assert all(isinstance(r, list) and r for e in day["epochs"] for r in e["routes"])
    assert day["hindsight_cost"] > 0


def test_the_dynamic_command_fails_loudly_on_an_unknown_policy(tmp_path: Path) -> None:
    app = typer.Typer()
    app.callback()(lambda: None)
    dispatching.register(app)
    path = write_vrplib(tiny_instance(), tmp_path / "tiny.txt")
    result = CliRunner().invoke(app, ["dynamic", str(path), "--policy", "smart"])
    assert result.exit_code == 1
    assert "unknown policy" in result.output


def test_an_ortec_day_keeps_every_rule_from_first_to_last_epoch() -> None:
    folder = shared_path("data", "ortec", "instances")
    instance = load_instance(folder / "ORTEC-VRPTW-ASYM-4c69f727-d1-n204-k12.txt")
    result = run_day(instance, seed=1, policy_name="random", epoch_time_limit_s=0.2)
    assert [e.epoch for e in result.epochs] == list(range(8))
    assert result.requests is not None
    sent = sorted(r for e in result.epochs for route in e.routes for r in route)
    assert sent == list(range(result.requests.customers.size))


@pytest.mark.parametrize(
    ("option", "value"),
    [("--epoch-time-limit", "-1"), ("--epoch-time-limit", "0"), ("--hindsight", "0")],
)
def test_the_dynamic_command_refuses_a_time_that_is_not_positive(
    tmp_path: Path, option: str, value: str
) -> None:
    app = typer.Typer()
    app.callback()(lambda: None)
    dispatching.register(app)
    path = write_vrplib(tiny_instance(), tmp_path / "tiny.txt")
    args = ["dynamic", str(path), "--policy", "greedy", "--epoch-time-limit", "0.05"]
    result = CliRunner().invoke(app, [*args, option, value])
    assert result.exit_code == 1
    field = option.removeprefix("--").replace("-", "_")
    assert f"field '{field}'" in result.output and "positive" in result.output
    assert "dispatched" not in result.output  # refused before the day is played
