from __future__ import annotations

import time

import numpy as np
import pytest

from lastmile.domain.errors import InvalidInput
from lastmile.planning.pyvrp_arrays import ArrayVRP, solve_arrays

LINE = np.array(
    [[0, 10, 20, 300], [10, 0, 10, 290], [20, 10, 0, 280], [300, 290, 280, 0]], dtype=np.int64
)


def problem(**changes: object) -> ArrayVRP:
    base: dict[str, object] = dict(
        durations=LINE,
        locations=np.array([1, 2, 3]),
        demands=np.array([1, 1, 1]),
        capacity=10,
        tw_early=np.zeros(3, np.int64),
        tw_late=np.full(3, 10_000),
        service_s=np.zeros(3, np.int64),
        horizon_s=10_000,
    )
    base.update(changes)
    return ArrayVRP(**base)  # type: ignore[arg-type]


def test_one_vehicle_serves_close_clients_in_one_tour_costing_its_driving_time() -> None:
    solution = solve_arrays(problem(), time_limit_s=0.1)
    assert solution.feasible
    assert solution.cost == 600  # 0 -> 1 -> 2 -> 3 -> 0 along the line
    assert sorted(c for r in solution.routes for c in r) == [0, 1, 2]


def test_an_optional_client_whose_prize_does_not_pay_its_detour_is_skipped() -> None:
    solution = solve_arrays(
        problem(prizes=np.array([0, 0, 50]), required=np.array([True, True, False])),
        time_limit_s=0.1,
    )
    assert sorted(c for r in solution.routes for c in r) == [0, 1]


def test_capacity_splits_the_clients_over_vehicles() -> None:
    solution = solve_arrays(problem(demands=np.array([6, 6, 6])), time_limit_s=0.1)
    assert solution.feasible and len(solution.routes) == 3


@pytest.mark.filterwarnings("ignore::pyvrp.exceptions.PenaltyBoundWarning")
def test_a_fixed_fleet_too_small_for_the_load_is_reported_infeasible() -> None:
    solution = solve_arrays(problem(demands=np.array([6, 6, 6]), num_vehicles=1), time_limit_s=0.1)
    assert not solution.feasible


def test_a_route_never_starts_before_the_release_of_its_clients() -> None:
    solution = solve_arrays(problem(release_s=np.array([0, 500, 0])), time_limit_s=0.1)
    for route, start in zip(solution.routes, solution.start_times, strict=True):
        assert start >= (500 if 1 in route else 0)


def test_a_warm_start_is_accepted_and_a_broken_one_ignored() -> None:
    assert solve_arrays(problem(), time_limit_s=0.05, warm_start=[[2, 1, 0]]).cost == 600
    assert solve_arrays(problem(), time_limit_s=0.05, warm_start=[[7]]).cost == 600


def test_an_iteration_cap_stops_the_search_well_before_the_time_limit() -> None:
    start = time.perf_counter()
    solution = solve_arrays(problem(), time_limit_s=30.0, max_iterations=5)
    assert time.perf_counter() - start < 5.0
    assert solution.feasible and solution.cost == 600


def test_a_zero_iteration_cap_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as caught:
        solve_arrays(problem(), time_limit_s=0.05, max_iterations=0)
    assert caught.value.field == "max_iterations"


def test_mismatched_arrays_are_refused_with_the_field_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        solve_arrays(problem(demands=np.array([1, 1])), time_limit_s=0.05)
    assert caught.value.field == "demands"
