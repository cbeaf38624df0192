"""A day kept between requests: rebuilt from its stored commands and plans, it is the day as
it was, and it goes on from there as the live day would."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from lastmile.dispatch import commands as c
from lastmile.dispatch.handlers import DispatchContext
from lastmile.dispatch.replan import ReplanPolicy
from lastmile.dispatch.replanning import roll_forward
from lastmile.dispatch.replay import Step, command_from, command_payload, replay, run
from lastmile.dispatch.state import DayState, advance
from lastmile.domain import InvalidInput
from lastmile.domain.events import Command
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.solver import PlanResult, from_domain

from .day import HOUR, ORIGIN, plan, point
from .test_handlers import busy_day

FAST = ReplanPolicy(time_limit_s=0.3, workers=1, seed=2)


def fresh(problem: PlanningProblem, first: PlanResult) -> DispatchContext:
    return DispatchContext(advance(problem, first, 0), PyVRPSolver(), FAST)


def stored(problem: PlanningProblem, result: PlanResult, ref: str) -> PlanResult:
    """The plan as the API stores it and reads it back."""
    return from_domain(problem, result.to_domain(problem, ref, "2026-03-02"))


def snapshot(state: DayState) -> tuple[object, ...]:
    routes = [
        (
            r.vehicle_ref,
            r.start_s,
            r.end_s,
            [(x.ref, x.trip, x.arrival_s, x.departure_s) for x in r.visits],
        )
        for r in state.plan.routes
    ]
    jobs = [(j.ref, j.windows, j.release_s) for j in state.problem.jobs]
    return (
        state.now_s, routes, sorted(state.vehicles.items()), jobs, state.cancelled,
        state.failed, state.deferred, state.new, state.observed, state.arrived, state.heading,
    )  # fmt: skip


def test_a_day_rebuilt_from_its_steps_is_the_day_as_it_was(
    caplog: pytest.LogCaptureFixture,
) -> None:
    problem = busy_day()
    first = plan(problem)
    live = fresh(problem, first)
    day_problem = problem
    steps: list[Step] = []

    def send(command: Command, at_h: float) -> None:
        outcome = run(live, command, int(at_h * HOUR))
        # What the store keeps: the command as JSON, the plans as domain plans.
        back = command_from(type(command).__name__, command_payload(command))
        plans = tuple(
            p.to_domain(live.state.problem, f"v{len(steps)}-{n}", "2026-03-02")
            for n, p in enumerate(outcome.plans)
        )
        steps.append(Step(len(steps) + 1, int(at_h * HOUR), back, plans, outcome.facts))

    send(c.ReportDelay(vehicle_ref="V0", delay_s=1800), 4.0)
    new = c.AddStopToDay(
        stop_ref="NEW1",
        hub_ref="H1",
        location=point(1.0, 1.5),
        windows=((ORIGIN + timedelta(hours=6), ORIGIN + timedelta(hours=10)),),
    )
    send(new, 4.5)
    under_way = next(v for v in live.state.vehicles.values() if v.in_progress)
    assert under_way.in_progress is not None
    send(c.RecordFailedAttempt(stop_ref=under_way.in_progress, reason="nobody home"), 4.5)
    send(c.ReportBreakdown(vehicle_ref=under_way.ref), 5.0)
    waiting = next(r for r in live.state.open_jobs() if live.state.carrier(r) is None)
    send(c.CancelStop(stop_ref=waiting), 5.5)
    send(c.ReportDelay(vehicle_ref="V2", delay_s=60), 6.0)  # under the rule: no re-plan
    # A failed attempt whose retry leaves a window no van can use: the re-plan leaves it
    # out, so it moves to tomorrow (the replay must reach that on its own).
    live.state = roll_forward(live.state, 11 * HOUR)
    last = max(b for j in live.state.problem.jobs for _, b in j.windows)
    done = next(
        r for v in live.state.vehicles.values() if not v.broken for r in v.done
        if max(b for _, b in live.state.job(r).windows) == last
    )  # fmt: skip
    send(
        c.RecordFailedAttempt(stop_ref=done, reason="gate", retry_after_s=last - 60 - 11 * HOUR), 11
    )
    assert done in live.state.deferred and "gate" in live.state.deferred[done]

    assert [len(s.plans) for s in steps] == [1, 1, 1, 1, 1, 0, 1]
    with caplog.at_level(logging.WARNING, logger="lastmile.dispatch.replay"):
        rebuilt = replay(fresh(day_problem, stored(problem, first, "first")), steps)
    assert caplog.records == []  # the replay reached the stored facts on its own
    assert snapshot(rebuilt.state) == snapshot(live.state)
    assert rebuilt.state.vehicles[under_way.ref].broken

    # And both go on the same way: the next event sees the same day.
    later = c.ReportDelay(vehicle_ref="V2", delay_s=600)
    run(rebuilt, later, int(11.5 * HOUR))
    run(live, later, int(11.5 * HOUR))
    assert snapshot(rebuilt.state) == snapshot(live.state)


def test_an_event_cannot_be_dated_before_the_day_it_reaches() -> None:
    problem = busy_day()
    ctx = fresh(problem, plan(problem))
    run(ctx, c.ReportDelay(vehicle_ref="V0", delay_s=60), 5 * HOUR)
    with pytest.raises(InvalidInput, match="cannot be dated before") as caught:
        run(ctx, c.ReportDelay(vehicle_ref="V0", delay_s=60), 4 * HOUR)
    assert caught.value.field == "at"


def test_a_stored_command_of_an_unknown_kind_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput, match="'Teleport'"):
        command_from("Teleport", {})
    with pytest.raises(InvalidInput, match="ReportDelay"):
        command_from("ReportDelay", {"vehicle_ref": "V0", "delay_s": "soon"})
