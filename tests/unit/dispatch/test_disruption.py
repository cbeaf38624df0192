"""The disruption penalty: drivers keep their next stops unless changing them pays."""

from __future__ import annotations

from lastmile.dispatch.replan import ReplanPolicy, replan
from lastmile.dispatch.state import DayState
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.validate import check

from .day import hand_made_day


def changed_on_the_road(state: DayState, penalty: int) -> tuple[int, int]:
    # Long enough for the search to leave the hand-made sequence even on a loaded machine.
    policy = ReplanPolicy(time_limit_s=2.0, workers=1, seed=5, next_stop_change_cents=penalty)
    result = replan(state, PyVRPSolver(), policy)
    assert check(result.rest.problem, result.result.routes, result.result.unassigned) == []
    return result.changed_next_stops(), result.result.cost_cents


def test_a_high_disruption_cost_keeps_drivers_next_stops_that_a_free_re_plan_changes() -> None:
    state = hand_made_day(2.5)
    free_changes, free_cost = changed_on_the_road(state, 0)
    kept_changes, kept_cost = changed_on_the_road(state, 10**6)
    assert free_changes > 0
    assert kept_changes < free_changes
    assert kept_cost >= free_cost


def test_with_a_prohibitive_disruption_cost_no_driver_on_the_road_changes_next_stops() -> None:
    state = hand_made_day(2.5)
    assert all(not v.at_hub for v in state.vehicles.values())
    changes, _ = changed_on_the_road(state, 10**9)
    assert changes == 0
