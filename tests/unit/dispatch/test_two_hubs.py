"""A day of two hubs re-plans like a day of one: each hub's parcels stay with its vans."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from lastmile.dispatch import commands as c
from lastmile.planning.problem import HubSpec, PlanningProblem
from lastmile.planning.validate import check

from .day import CENTRE, HOUR, ORIGIN, day, plan, point
from .test_handlers import start


def two_hubs() -> PlanningProblem:
    """40 stops around H1; those east of it belong to H2, 12 km east; five vans of 8."""
    p = day(40, 5, windows=True)
    points = (*p.points, point(12, 0))
    hubs = (*p.hubs, HubSpec("H2", len(points) - 1, 0, 16 * HOUR, "Europe/Berlin"))
    jobs = tuple(replace(j, hub=int(p.points[j.point].lon > CENTRE.lon)) for j in p.jobs)
    vans = tuple(
        replace(v, capacity=(10**9, 10**9, 8), start_hub=n % 2, end_hub=n % 2)
        for n, v in enumerate(p.vehicles)
    )
    return replace(p, points=points, hubs=hubs, jobs=jobs, vehicles=vans)


def test_events_on_a_two_hub_day_keep_each_hubs_parcels_on_its_vans() -> None:
    problem = two_hubs()
    result = plan(problem, 1.0)
    bus, ctx, _ = start((problem, result), 5)
    route = next(r for r in ctx.state.plan.routes if len(r.visits) > 3)
    window = ((ORIGIN + timedelta(hours=6), ORIGIN + timedelta(hours=12)),)
    for cmd in (
        c.ReportDelay(vehicle_ref=route.vehicle_ref, delay_s=2400),
        c.AddStopToDay(
            stop_ref="NEW",
            hub_ref="H2",
            location=point(10, 2),
            windows=window,
            service_s=120,
            weight_g=1000,
            volume_cm3=0,
            parcels=1,
        ),
        c.ReportBreakdown(vehicle_ref=route.vehicle_ref),
    ):
        loaded = {v.ref: v.loaded for v in ctx.state.vehicles.values()}
        logged = len(ctx.log)
        bus.handle(cmd)
        assert len(ctx.log) == logged + 1 and ctx.last is not None
        last = ctx.last
        assert check(last.rest.problem, last.result.routes, last.result.unassigned) == []
        state = ctx.state
        for r in state.plan.routes:
            hub = state.problem.vehicles[r.vehicle].start_hub
            assert {state.problem.jobs[x.job].hub for x in r.visits} <= {hub}
            # A loaded parcel stays on its van (or is left out when its window is lost).
            others = {x.ref for o in state.plan.routes if o is not r for x in o.visits}
            if not isinstance(cmd, c.ReportBreakdown):
                assert not loaded[r.vehicle_ref] & others
    served = {x.ref for r in ctx.state.plan.routes for x in r.visits}
    new = next(r for r in ctx.state.plan.routes if "NEW" in {x.ref for x in r.visits})
    assert "NEW" in served and ctx.state.problem.vehicles[new.vehicle].start_hub == 1
