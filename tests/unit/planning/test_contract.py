"""The JSON contract: documents in, plans out, and errors that say where."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest

from lastmile.domain import InvalidInput
from lastmile.geo.haversine import HaversineProvider
from lastmile.planning.contract import read_problem, read_routes, write_result
from lastmile.planning.export import MANIFEST_COLUMNS, geojson, manifest_csv
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.solver import SolveOptions
from lastmile.planning.validate import check

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "plan-input.json"


def _doc() -> dict[str, object]:
    return json.loads(EXAMPLE.read_text())  # the documented example is part of the contract


def test_the_documented_example_plans_and_round_trips_through_the_checker() -> None:
    problem = read_problem(_doc(), HaversineProvider())
    result = PyVRPSolver().solve(problem, SolveOptions(time_limit_s=0.5, workers=1))
    plan = json.loads(json.dumps(write_result(problem, result)))
    routes, unassigned = read_routes(problem, plan)
    assert check(problem, routes, unassigned) == []
    assert plan["summary"]["served"] + plan["summary"]["unassigned"] == len(problem.jobs)
    refrigerated = [r for r in plan["routes"] if any(s["ref"] == "ORD-1002" for s in r["stops"])]
    assert all(r["vehicle"] == "EV-01" for r in refrigerated)


def test_a_bad_coordinate_is_reported_with_its_entry_and_field() -> None:
    doc = copy.deepcopy(_doc())
    doc["stops"][3]["lat"] = 95.0  # type: ignore[index]
    with pytest.raises(InvalidInput) as err:
        read_problem(doc, HaversineProvider())
    assert err.value.location == "stops[3]" and err.value.field == "lat"


def test_a_missing_field_is_reported_with_its_entry() -> None:
    doc = copy.deepcopy(_doc())
    del doc["vehicles"][1]["hub"]  # type: ignore[index]
    with pytest.raises(InvalidInput) as err:
        read_problem(doc, HaversineProvider())
    assert err.value.location == "vehicles[1]" and err.value.field == "hub"


def test_manifests_and_geojson_describe_every_route() -> None:
    problem = read_problem(_doc(), HaversineProvider())
    result = PyVRPSolver().solve(problem, SolveOptions(time_limit_s=0.3, workers=1))
    for route in result.routes:
        rows = list(csv.reader(io.StringIO(manifest_csv(problem, route))))
        assert tuple(rows[0]) == MANIFEST_COLUMNS and len(rows) == len(route.visits) + 1
    features = geojson(problem, result)["features"]
    lines = [f for f in features if f["geometry"]["type"] == "LineString"]
    assert len(lines) == len(result.routes)
