"""The independent checker catches what a hand-edited or buggy plan gets wrong."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lastmile.domain import Load, Skill
from lastmile.planning.solver import RoutePlan
from lastmile.planning.timing import schedule
from lastmile.planning.validate import check
from tests.unit.planning import factory as f


def _kinds(p, routes, unassigned=()):  # type: ignore[no-untyped-def]
    return {v.kind for v in check(p, routes, unassigned)}


def test_a_visit_moved_outside_its_window_is_reported() -> None:
    p = f.problem([f.stop("a", f.point(1, 0), window=(2, 3))], [f.van()])
    route, _ = schedule(p, RoutePlan(0, ((0,),)))
    assert check(p, [route]) == []
    early = replace(route.visits[0], service_start_s=3600, departure_s=3720)
    assert "time_window" in _kinds(p, [replace(route, visits=[early])])


def test_arrivals_faster_than_the_road_allows_are_reported() -> None:
    p = f.problem([f.stop("a", f.point(5, 0))], [f.van()])
    route, _ = schedule(p, RoutePlan(0, ((0,),)))
    rushed = replace(route.visits[0], arrival_s=route.start_s + 10)
    assert "travel" in _kinds(p, [replace(route, visits=[rushed])])


def test_overloaded_and_unequipped_routes_are_reported() -> None:
    stops = [f.stop("a", f.point(1, 0), parcels=8, skills=frozenset({Skill.REFRIGERATED})),
             f.stop("b", f.point(0, 1), parcels=8)]  # fmt: skip
    p = f.problem(stops, [f.van(capacity=Load(parcels=10))])
    route, violations = schedule(p, RoutePlan(0, ((0, 1),)))
    assert {v[1].value for v in violations} == {"capacity"}
    assert {"capacity", "skill"} <= _kinds(p, [route])


def test_stops_neither_served_nor_reported_are_missing() -> None:
    p = f.problem([f.stop("a", f.point(1, 0))], [f.van()])
    assert _kinds(p, []) == {"missing"}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.floats(-6, 6), st.floats(-6, 6), st.integers(0, 8), st.integers(1, 30)),
        min_size=1,
        max_size=15,
    ),
    st.integers(1, 3),
)
def test_any_plan_the_solver_returns_passes_the_checker(
    spots: list[tuple[float, float, int, int]], fleet: int
) -> None:
    stops = [
        f.stop(f"s{i}", f.point(x, y), window=(start, start + 1.5), parcels=size)
        for i, (x, y, start, size) in enumerate(spots)
    ]
    vans = [f.van(f"V{k}", parcels=40) for k in range(fleet)]
    result = f.solve(f.problem(stops, vans), 0.2)  # f.solve asserts the checker is silent
    assert result.served + len(result.unassigned) == len(stops)
