"""Big days are cut into territories and the pieces still make one valid plan."""

from __future__ import annotations

from lastmile.planning.decompose import DecomposingSolver, territories
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.solver import SolveOptions
from lastmile.planning.validate import check
from tests.unit.planning import factory as f


def _day() -> tuple[object, list[str]]:
    east = f.hub("E", f.point(6, 0))
    stops = [f.stop(f"w{i}", c) for i, c in enumerate(f.ring(50, 3))]
    stops += [
        f.stop(f"e{i}", f.point(6 + c.lon - f.CENTRE.lon, 0)) for i, c in enumerate(f.ring(10))
    ]
    owners = {s.ref: ("E" if s.ref.startswith("e") else "H1") for s in stops}
    vans = [f.van(f"W{k}", parcels=12) for k in range(5)] + [f.van("E1", hub_ref="E")]
    return f.problem(stops, vans, hubs=[f.hub(), east], stop_hubs=owners), [s.ref for s in stops]


def test_territories_cover_every_stop_once_and_keep_hubs_apart() -> None:
    p, _ = _day()
    parts = territories(p, range(len(p.jobs)), part_size=20)  # type: ignore[attr-defined]
    jobs = [j for t in parts for j in t.jobs]
    assert sorted(jobs) == list(range(len(p.jobs)))  # type: ignore[attr-defined]
    for t in parts:
        hubs = {p.vehicles[v].start_hub for v in t.vehicles}  # type: ignore[attr-defined]
        assert len(hubs) == 1 and t.vehicles


def test_a_decomposed_plan_serves_each_stop_once_and_passes_the_checker() -> None:
    p, refs = _day()
    solver = DecomposingSolver(PyVRPSolver(), part_size=20, from_stops=10)
    result = solver.solve(p, SolveOptions(time_limit_s=8, workers=2))  # type: ignore[arg-type]
    assert check(p, result.routes, result.unassigned) == []  # type: ignore[arg-type]
    assert result.served + len(result.unassigned) == len(refs)
    assert result.served >= 55
