"""Standard instances go through the domain layer and come out as VRPLIB solutions."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from lastmile.cli import build_app
from lastmile.planning.instances import read_instance
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.solver import SolveOptions
from lastmile.planning.validate import check
from tests.conftest import shared_path


def test_a_solomon_instance_is_solved_feasibly_close_to_the_best_known() -> None:
    path = shared_path("benchmarks", "vrptw", "solomon_100", "C101.vrptw")
    problem = read_instance(path).problem()
    result = PyVRPSolver().solve(problem, SolveOptions(time_limit_s=1.0, workers=1))
    assert check(problem, result.routes, result.unassigned) == []
    assert not result.unassigned
    assert result.distance_m / 10 <= 827.3 * 1.02  # distance-only best known, truncated arcs


def test_solve_writes_a_vrplib_solution_numbering_customers_in_file_order(tmp_path: Path) -> None:
    path = shared_path("benchmarks", "vrptw", "solomon_100", "R101.vrptw")
    out = tmp_path / "r101.sol"
    run = CliRunner().invoke(
        build_app(),
        ["solve", str(path), "--time-limit", "1s", "--workers", "1", "--output", str(out)],
    )
    assert run.exit_code == 0, run.output
    lines = out.read_text().splitlines()
    routes = [line for line in lines if line.startswith("Route #")]
    customers = sorted(int(c) for r in routes for c in r.split(":")[1].split())
    assert customers == list(range(1, 101))
    assert re.fullmatch(r"Cost \d+\.\d", lines[-1])


def test_a_fleet_too_small_leaves_stops_unassigned_with_a_reason(tmp_path: Path) -> None:
    path = shared_path("benchmarks", "vrptw", "solomon_100", "R101.vrptw")
    instance = read_instance(path, fleet=5)
    problem = instance.problem()
    result = PyVRPSolver().solve(problem, SolveOptions(time_limit_s=0.5, workers=1))
    assert len(result.routes) <= 5 and result.unassigned
    assert check(problem, result.routes, result.unassigned) == []


def test_an_unreadable_instance_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.vrp"
    bad.write_text("NAME : x\nDIMENSION : 3\nEDGE_WEIGHT_TYPE : FOO\nEOF\n")
    run = CliRunner().invoke(build_app(), ["solve", str(bad), "--time-limit", "1"])
    assert run.exit_code == 2
    assert "EDGE_WEIGHT_TYPE" in run.output


def test_the_domain_layer_gives_pyvrp_exactly_the_raw_solomon_model() -> None:
    import numpy as np
    import pyvrp
    import vrplib
    from pyvrp.stop import MaxIterations

    from lastmile.planning.diagnose import precheck
    from lastmile.planning.pyvrp_solver import encode

    path = shared_path("benchmarks", "vrptw", "solomon_100", "R101.vrptw")
    raw = vrplib.read_instance(str(path), compute_edge_weights=False)
    xy = np.asarray(raw["node_coord"], dtype=float)
    dist = np.floor(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) * 10 + 1e-7).astype(np.int64)
    tw = np.asarray(raw["time_window"], dtype=np.int64) * 10
    n = len(dist)
    clients = [
        pyvrp.Client(
            i,
            delivery=[int(raw["demand"][i])],
            service_duration=100,
            tw_early=int(tw[i, 0]),
            tw_late=int(tw[i, 1]),
        )
        for i in range(1, n)
    ]
    data = pyvrp.ProblemData(
        [pyvrp.Location(0, 0) for _ in range(n)],
        clients,
        [pyvrp.Depot(0, tw_early=int(tw[0, 0]), tw_late=int(tw[0, 1]))],
        [
            pyvrp.VehicleType(
                n - 1,
                capacity=[int(raw["capacity"])],
                tw_early=int(tw[0, 0]),
                tw_late=int(tw[0, 1]),
            )
        ],
        [dist],
        [dist],
    )
    problem = read_instance(path).problem()
    ours = encode(problem, precheck(problem)[0]).data
    assert (ours.distance_matrix(0) == dist).all()
    runs = [pyvrp.solve(d, MaxIterations(300), seed=3, collect_stats=False) for d in (data, ours)]
    assert runs[0].cost() == runs[1].cost()
