"""A van's GPS track against the plan in force: a van stuck between stops is placed on its
way to the stop it heads for, and re-planned from there, before its next scan; a van on
its plan, scanned or not, is left alone."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from lastmile.dispatch import commands as c
from lastmile.dispatch.fixes import FIX_AGE_S, GAP_S, Fix, headings, track_starts
from lastmile.dispatch.handlers import DispatchContext, observe_progress
from lastmile.domain import Coordinate, InvalidInput
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.solver import RouteResult
from lastmile.planning.validate import check

from .day import HOUR, ORIGIN, plan
from .test_handlers import Planned, busy_day, start

STUCK_S = 35 * 60


@pytest.fixture(scope="module")
def planned() -> Planned:
    problem = busy_day()
    return problem, plan(problem)


def long_route(planned: Planned) -> RouteResult:
    _, result = planned
    return next(r for r in result.routes if len([x for x in r.visits if x.trip == 0]) >= 5)


def on_plan(problem: PlanningProblem, route: RouteResult, t: int) -> Coordinate:
    """Where the plan has the van at ``t``: at a stop while there, else on the straight
    line between two (the travel provider's times are along it)."""
    hub = problem.points[problem.hubs[0].point]
    marks = [(route.start_s, hub)]
    for x in route.visits:
        here = problem.points[problem.jobs[x.job].point]
        marks += [(x.arrival_s, here), (x.departure_s, here)]
    for (t0, a), (t1, b) in itertools.pairwise(marks):
        if t0 <= t <= t1:
            f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            return Coordinate(a.lat + f * (b.lat - a.lat), a.lon + f * (b.lon - a.lon))
    return marks[-1][1]


def track(
    problem: PlanningProblem, route: RouteResult, until: int, stuck_from: int | None = None
) -> list[Fix]:
    """A fix every 30 s from the route's start; from ``stuck_from`` on, the van stays put."""
    fixes = []
    for t in range(route.start_s + 30, until + 1, 30):
        held = t if stuck_from is None else min(t, stuck_from)
        fixes.append(Fix(t, on_plan(problem, route, held)))
    return fixes


def stuck(planned: Planned) -> tuple[RouteResult, DispatchContext, list[Fix], int]:
    """The van left its first stop, then stood still for 35 minutes; no scan."""
    problem, _ = planned
    route = long_route(planned)
    halt = route.visits[0].departure_s + 60
    now = halt + STUCK_S
    _, ctx, _ = start(planned, now / HOUR)
    return route, ctx, track(problem, route, now, stuck_from=halt), now


def test_a_van_on_its_plan_is_left_alone_scanned_or_not(planned: Planned) -> None:
    problem, _ = planned
    route = long_route(planned)
    third, fourth = route.visits[2], route.visits[3]
    # On the road to its fourth stop, then serving it: no scan at all, the track says
    # which stops it served.
    for now in ((third.departure_s + fourth.arrival_s) // 2, fourth.arrival_s + 60):
        _, ctx, _ = start(planned, now / HOUR)
        starts = track_starts(ctx.state, now)
        assert starts[route.vehicle_ref] == route.start_s
        fixes = track(problem, route, now)
        assert headings(ctx.state, {route.vehicle_ref: fixes}, now) == []


def test_a_van_stuck_between_stops_heads_for_the_next_one_late_and_is_re_planned(
    planned: Planned,
) -> None:
    route, ctx, fixes, now = stuck(planned)
    [(ref, there_s)] = headings(ctx.state, {route.vehicle_ref: fixes}, now)
    nxt = route.visits[1]
    assert ref == nxt.ref
    assert abs((there_s - nxt.arrival_s) - STUCK_S) <= 60  # the time it stood still

    bus, ctx, _ = start(planned, now / HOUR)
    bus.handle(c.ObserveProgress(done=(), heading=((ref, ORIGIN + timedelta(seconds=there_s)),)))
    van = ctx.state.vehicles[route.vehicle_ref]
    assert van.in_progress == nxt.ref and van.done == (route.visits[0].ref,)
    # 35 minutes off its plan: the default rules re-plan, from its way to that stop.
    assert len(ctx.log) == 1 and ctx.last is not None
    assert check(ctx.last.rest.problem, ctx.last.result.routes, ctx.last.result.unassigned) == []
    day = next(r for r in ctx.state.plan.routes if r.vehicle_ref == route.vehicle_ref)
    assert day.visits[1].ref == nxt.ref and day.visits[1].arrival_s == there_s
    later = [x.ref for x in route.visits[2:] if x.trip == 0]
    assert set(later) <= {x.ref for x in day.visits}  # its parcels stay on board
    # The plan in force now has the van where its track does: the same track says nothing
    # more, and the day's facts keep the expected arrival.
    assert headings(ctx.state, {route.vehicle_ref: fixes}, now) == []
    assert ctx.state.heading == {nxt.ref: there_s}


def test_a_track_that_cannot_tell_says_nothing(planned: Planned) -> None:
    route, ctx, fixes, now = stuck(planned)
    van = route.vehicle_ref
    assert headings(ctx.state, {van: fixes}, now)
    # A gap in the fixes: the van may have been at a stop meanwhile.
    gap = [f for f in fixes if not 0 < f.at_s - fixes[10].at_s <= GAP_S + 30]
    assert headings(ctx.state, {van: gap}, now) == []
    # A last fix too old to say where the van is now.
    old = [f for f in fixes if f.at_s <= now - FIX_AGE_S - 30]
    assert headings(ctx.state, {van: old}, now) == []
    # A track that begins after the route did.
    assert headings(ctx.state, {van: fixes[10:]}, now) == []
    # Tracking's last word (a scan) is newer than the track.
    ctx.state.observed[route.visits[0].ref] = now
    assert headings(ctx.state, {van: fixes}, now) == []


def test_a_van_not_out_of_the_hub_is_late_for_its_first_stop(planned: Planned) -> None:
    problem, _ = planned
    route = long_route(planned)
    now = route.start_s + 25 * 60
    _, ctx, _ = start(planned, now / HOUR)
    hub = on_plan(problem, route, route.start_s)
    at_hub = [Fix(t, hub) for t in range(route.start_s + 30, now + 1, 30)]
    [(ref, there_s)] = headings(ctx.state, {route.vehicle_ref: at_hub}, now)
    first = route.visits[0]
    assert ref == first.ref and abs((there_s - first.arrival_s) - 25 * 60) <= 60


def test_an_expected_arrival_may_be_later_than_now_unlike_a_seen_one(planned: Planned) -> None:
    route, ctx, _fixes, now = stuck(planned)
    later = ORIGIN + timedelta(seconds=now + 600)
    ref = route.visits[1].ref
    observe_progress(c.ObserveProgress(done=(), heading=((ref, later),)), ctx, None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="arrived"):
        observe_progress(c.ObserveProgress(done=(), arrived=((ref, later),)), ctx, None)  # type: ignore[arg-type]
