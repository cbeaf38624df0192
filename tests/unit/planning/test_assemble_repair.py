"""Re-timing a solver's routes with the driver's break: what it keeps, and what it repairs."""

from __future__ import annotations

import time

from lastmile.domain import BreakRule
from lastmile.planning.assemble import assemble
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.solver import RoutePlan
from lastmile.planning.timing import schedule
from lastmile.planning.validate import check
from tests.unit.planning import factory as f

TWO_HOURS = BreakRule(after_work_s=2 * 3600, duration_s=1800)


def _plan(p: PlanningProblem, vehicle: int, refs: list[str]) -> RoutePlan:
    index = {j.ref: n for n, j in enumerate(p.jobs)}
    return RoutePlan(vehicle, (tuple(index[r] for r in refs),))


def _break_day() -> PlanningProblem:
    # a long wait early at "wait", then a run of long stops: the rule makes the break fall
    # due just before "tight", whose window the 30 minutes would miss
    stops = [
        f.stop("first", f.point(1, 0), window=(0.0, 0.5)),
        f.stop("wait", f.point(2, 0), window=(1.0, 1.1)),
        *(f.stop(f"c{i}", f.point(2, 0.3 * i), service_s=900) for i in range(1, 4)),
        f.stop("tight", f.point(2, 1.2), window=(1.9, 2.2), service_s=600),
        f.stop("last", f.point(1, 1.2), service_s=300),
    ]
    shifts = [f.shift("S1", "V1", (0, 9))]
    drivers = [f.driver("D-S1", break_rule=TWO_HOURS)]
    return f.problem(stops, [f.van("V1")], shifts=shifts, drivers=drivers)


def test_the_break_is_taken_in_an_earlier_wait_when_its_due_time_would_make_a_stop_late() -> None:
    p = _break_day()
    plan = _plan(p, 0, ["first", "wait", "c1", "c2", "c3", "tight", "last"])
    # taken when the rule falls due, the break pushes "tight" past its window
    _, violations = schedule(p, plan)
    assert [p.jobs[j].ref for j, _, _ in violations] == ["tight"]
    routes, dropped = assemble(p, [plan])
    assert dropped == []
    (route,) = routes
    (pause,) = route.breaks
    wait = next(v for v in route.visits if v.ref == "wait")
    assert wait.arrival_s <= pause.start_s and pause.end_s <= wait.service_start_s
    assert [v.ref for v in route.visits] == ["first", "wait", "c1", "c2", "c3", "tight", "last"]
    assert check(p, routes, dropped) == []


def _two_vans() -> PlanningProblem:
    stops = [
        *(f.stop(f"s{i}", f.point(-1 - i, 0), service_s=900) for i in range(6)),
        f.stop("x", f.point(2, 0.2), window=(0.0, 1.0)),
        f.stop("y", f.point(2, 0), service_s=120),
    ]
    return f.problem(stops, [f.van("V1"), f.van("V2")])


def test_a_stop_late_in_its_route_moves_to_a_route_that_still_fits_it() -> None:
    p = _two_vans()
    v1 = _plan(p, 0, [*(f"s{i}" for i in range(6)), "x"])
    v2 = _plan(p, 1, ["y"])
    _, kept_out = assemble(p, [v1, v2], reinsert=False)
    assert [(u.ref, u.reason.value) for u in kept_out] == [("x", "time_window")]
    routes, dropped = assemble(p, [v1, v2])
    assert dropped == []
    served = {v.ref: r.vehicle_ref for r in routes for v in r.visits}
    assert served["x"] == "V2" and served["s5"] == "V1"
    assert check(p, routes, dropped) == []


def test_a_stop_late_at_the_end_of_its_route_moves_up_the_same_route() -> None:
    p = _two_vans()
    routes, dropped = assemble(p, [_plan(p, 0, [*(f"s{i}" for i in range(6)), "x"])])
    assert dropped == []
    (route,) = routes
    assert [v.ref for v in route.visits].index("x") < 6


def test_a_stop_that_fits_nowhere_stays_reported_with_its_reason() -> None:
    stops = [f.stop("near", f.point(1, 0)), f.stop("far", f.point(60, 0), window=(0.0, 0.5))]
    p = f.problem(stops, [f.van("V1")])
    routes, dropped = assemble(p, [_plan(p, 0, ["near", "far"])])
    assert [(u.ref, u.reason.value) for u in dropped] == [("far", "time_window")]
    assert [v.ref for r in routes for v in r.visits] == ["near"]


def test_a_long_detour_before_the_break_gives_way_to_the_stops_after_it() -> None:
    stops = [
        f.stop("first", f.point(1, 0), window=(0.0, 0.5)),
        f.stop("detour", f.point(10, 0)),
        *(f.stop(f"c{i}", f.point(2, 0.3 * i), service_s=900) for i in range(1, 4)),
        f.stop("tight1", f.point(2, 1.2), window=(1.6, 2.1), service_s=600),
        f.stop("tight2", f.point(1, 1.2), window=(1.7, 2.2), service_s=600),
    ]
    shifts = [f.shift("S1", "V1", (0, 9))]
    drivers = [f.driver("D-S1", break_rule=TWO_HOURS)]
    p = f.problem(stops, [f.van("V1")], shifts=shifts, drivers=drivers)
    plan = _plan(p, 0, ["first", "detour", "c1", "c2", "c3", "tight1", "tight2"])
    _, violations = schedule(p, plan)
    assert [p.jobs[j].ref for j, _, _ in violations] == ["tight1", "tight2"]
    # taking the late stops out one by one loses both
    _, in_order = assemble(p, [plan], reinsert=False)
    assert {u.ref for u in in_order} == {"tight1", "tight2"}
    # taking the detour out saves both, and the detour still fits after them
    routes, dropped = assemble(p, [plan])
    assert dropped == []
    (route,) = routes
    assert [v.ref for v in route.visits][-3:] == ["tight1", "tight2", "detour"]
    assert check(p, routes, dropped) == []


def test_past_its_deadline_assembly_stops_mending_and_reports_what_broke() -> None:
    p = _two_vans()
    v1 = _plan(p, 0, [*(f"s{i}" for i in range(6)), "x"])
    v2 = _plan(p, 1, ["y"])
    routes, dropped = assemble(p, [v1, v2], deadline=time.perf_counter() - 1.0)
    assert [(u.ref, u.reason.value) for u in dropped] == [("x", "time_window")]
    assert check(p, routes, dropped) == []
