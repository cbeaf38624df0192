"""The constructed first plan is feasible before any search runs."""

from __future__ import annotations

from lastmile.domain import BreakRule, Load, Skill, VehicleKind
from lastmile.planning.assemble import assemble
from lastmile.planning.construct import construct
from lastmile.planning.validate import check
from tests.unit.planning import factory as f


def test_the_greedy_first_plan_passes_the_checker() -> None:
    stops = [
        f.stop(
            f"s{i}",
            c,
            window=(i % 5, i % 5 + 2),
            parcels=1 + i % 4,
            skills=frozenset({Skill.REFRIGERATED}) if i % 7 == 0 else frozenset(),
        )
        for i, c in enumerate(f.ring(60, 4) + f.ring(40, 2))
    ]
    vans = [
        f.van("V1", capacity=Load(parcels=30)),
        f.van("V2", equipment=frozenset({Skill.REFRIGERATED})),
        f.van("B1", kind=VehicleKind.CARGO_BIKE, capacity=Load(parcels=8)),
    ]
    shifts = [f.shift(f"S{k}", v.ref, (k, k + 6)) for k, v in enumerate(vans)]
    drivers = [f.driver(f"D-S{k}", break_rule=BreakRule()) for k in range(3)]
    p = f.problem(stops, vans, shifts=shifts, drivers=drivers)
    plans = construct(p, range(len(p.jobs)))
    routes, dropped = assemble(p, plans)
    served = {v.ref for r in routes for v in r.visits}
    assert len(served) > 40
    assert check(p, routes, dropped) == [
        v for v in check(p, routes, dropped) if v.kind == "missing"
    ]


def test_a_late_first_window_does_not_become_hours_of_unrested_waiting() -> None:
    stops = [
        f.stop("late", f.point(1, 0), window=(6, 7)),
        f.stop("later", f.point(1, 1), window=(7, 8)),
    ]
    p = f.problem(
        stops,
        [f.van("V1")],
        shifts=[f.shift("S1", "V1", (0, 9))],
        drivers=[f.driver("D-S1", break_rule=BreakRule())],
    )
    routes, dropped = assemble(p, construct(p, range(len(p.jobs))))
    assert check(p, routes, dropped) == []
    assert routes[0].start_s > 5 * 3600  # it leaves late rather than waiting at the stop
