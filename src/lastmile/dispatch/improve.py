"""Improving the day's plan while no event is waiting.

A re-plan has a few seconds and starts from the current plan. A current plan made in the
morning for the whole day, or itself made in a few seconds, leaves the re-plan more to
repair than to improve. Between events the dispatcher's machine is idle, so the plan is
searched again from where the day stands, one re-plan budget at a time (an event waits for
one step at most), and a step's plan is adopted only when it beats the current one on the
same rest-of-day problem, with the drivers' changed next stops counted at their price.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from lastmile.dispatch.replan import Replan, ReplanPolicy, replan
from lastmile.dispatch.replan_problem import RestOfDay, rest_of_day
from lastmile.dispatch.state import DayState
from lastmile.planning.assemble import assemble
from lastmile.planning.solver import RouteResult, Solver


@dataclass(frozen=True, order=True)
class Standing:
    """How good a plan for the rest of the day is, compared in this order: required stops
    left out, then cents (routes, optional stops left for tomorrow at their deferral value,
    drivers' next stops changed)."""

    left_out: int
    cost_cents: int


def standing(rest: RestOfDay, routes: Sequence[RouteResult], disruption_cents: int = 0) -> Standing:
    """How ``routes`` stand on ``rest``: a stop on no route is left out (if required) or
    costs its deferral value (if optional), as the re-plan's own prizes count it."""
    served = {v.job for r in routes for v in r.visits}
    jobs = rest.problem.jobs
    left_out = sum(1 for j, job in enumerate(jobs) if job.required and j not in served)
    deferred = sum(
        rest.defer_cost_cents * (job.priority + 1)
        for j, job in enumerate(jobs)
        if not job.required and j not in served
    )
    return Standing(left_out, sum(r.cost_cents for r in routes) + deferred + disruption_cents)


def current_standing(rest: RestOfDay) -> Standing:
    """The current plan on the rest-of-day problem, timed from where each vehicle is now:
    stops it can no longer keep count as left out."""
    timed, _ = assemble(rest.problem, rest.warm, reinsert=False)
    return standing(rest, timed)


@dataclass(frozen=True)
class Improvement:
    """One improvement step: the re-plan it made and how both plans stand."""

    replan: Replan
    before: Standing
    after: Standing

    @property
    def adopted(self) -> bool:
        return self.after < self.before

    def why(self) -> str:
        """The record's reason: what the new plan gains."""
        more = self.before.left_out - self.after.left_out
        saved = (self.before.cost_cents - self.after.cost_cents) / 100
        if more > 0:
            return f"improved between events: {more} more required stops served"
        return f"improved between events: EUR {saved:,.2f} cheaper"


def improve(state: DayState, solver: Solver, policy: ReplanPolicy) -> Improvement:
    """Search the rest of the day again from the current plan, within ``policy``'s budget.

    Both plans are measured the same way, each as the day's plan timed again from where
    every vehicle is now: the re-plan's own routes are timed by its search, which starts a
    route as late as its stops allow, and a plan timed again starts when the vehicle is
    free, so comparing the one with the other would take that difference for a gain.
    """
    defer = policy.defer_value_cents
    before = current_standing(rest_of_day(state, defer))
    tried = replan(state, solver, policy)
    now = current_standing(rest_of_day(replace(state, plan=tried.day_plan), defer))
    disruption = policy.next_stop_change_cents * tried.changed_next_stops()
    return Improvement(tried, before, Standing(now.left_out, now.cost_cents + disruption))
