"""Improving the plan between events: adopted only when better, loads and history kept."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lastmile.bootstrap import memory_uow_factory
from lastmile.dispatch import commands as c
from lastmile.dispatch import events as ev
from lastmile.dispatch.handlers import DispatchContext
from lastmile.dispatch.improve import current_standing, improve
from lastmile.dispatch.replan import ReplanPolicy
from lastmile.dispatch.replan_problem import rest_of_day
from lastmile.dispatch.replanning import dispatch_bus
from lastmile.dispatch.rules import RuleSet
from lastmile.dispatch.state import DayState, advance
from lastmile.domain import InvalidInput
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.validate import check

from .day import HOUR, day, hand_made_day, plan

#: Long enough for the search to leave a hand-made order even on a loaded machine.
POLICY = ReplanPolicy(time_limit_s=2.0, workers=1, seed=5)


def context(state: DayState, policy: ReplanPolicy = POLICY) -> DispatchContext:
    return DispatchContext(state, PyVRPSolver(), policy, rules=RuleSet(()))


@pytest.mark.parametrize("at_h", [1.0, 2.5], ids=["vans at the hub", "vans on the road"])
def test_a_poor_plan_is_replaced_by_a_cheaper_one_that_keeps_every_load(at_h: float) -> None:
    state = hand_made_day(at_h)
    loads = {ref: set(v.loaded) for ref, v in state.vehicles.items()}
    done = {v.ref for r in state.plan.routes for v in r.visits if v.ref in state.locked()}
    ctx = context(state)
    before = current_standing(rest_of_day(state))

    out = dispatch_bus(ctx, memory_uow_factory()).handle(c.ImprovePlan())

    recorded = [e for e in out if isinstance(e, ev.Replanned)]
    assert len(recorded) == 1 and recorded[0].trigger == "idle"
    assert "improved between events" in recorded[0].reason
    assert ctx.last is not None and ctx.log[-1].replan_id == recorded[0].replan_id
    after = current_standing(rest_of_day(state))
    assert after < before
    assert after.left_out <= before.left_out
    for route in state.plan.routes:
        for visit in route.visits:
            carrier = next((r for r, load in loads.items() if visit.ref in load), None)
            assert carrier in (None, route.vehicle_ref)
    kept = {v.ref for r in state.plan.routes for v in r.visits}
    assert done <= kept
    assert check(ctx.last.rest.problem, ctx.last.result.routes, ctx.last.result.unassigned) == []


def test_a_plan_that_cannot_be_beaten_stays_and_nothing_is_recorded() -> None:
    problem = day(6, 2)
    state = advance(problem, plan(problem, 1.0), 0)
    ctx = context(state)
    plan_before = state.plan

    out = dispatch_bus(ctx, memory_uow_factory()).handle(c.ImprovePlan(budget_s=0.5))

    assert out == []
    assert state.plan is plan_before
    assert ctx.log == [] and ctx.last is None


def test_at_a_prohibitive_disruption_price_an_improvement_keeps_drivers_next_stops() -> None:
    state = hand_made_day(2.5)
    assert all(not v.at_hub for v in state.vehicles.values())
    cheap = improve(state, PyVRPSolver(), POLICY)
    assert cheap.adopted and cheap.replan.changed_next_stops() > 0

    dear = improve(state, PyVRPSolver(), replace(POLICY, next_stop_change_cents=10**9))
    assert dear.replan.changed_next_stops() == 0


def test_a_stop_the_current_plan_can_no_longer_keep_counts_as_left_out() -> None:
    state = hand_made_day(2.5)
    rest = rest_of_day(state)
    assert current_standing(rest).left_out == 0
    behind = {ref: replace(v, free_s=v.free_s + 6 * HOUR) for ref, v in state.vehicles.items()}
    late = replace(state, vehicles=behind)  # every van six hours behind its plan
    assert current_standing(rest_of_day(late)).left_out > 0


@pytest.mark.parametrize("budget", [0.0, -1.0, float("nan")])
def test_a_step_without_time_is_refused_naming_the_field(budget: float) -> None:
    with pytest.raises(InvalidInput, match="budget_s"):
        c.ImprovePlan(budget_s=budget)
