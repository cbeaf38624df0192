"""A stored plan dispatched through the API: events of the street re-plan the day.

A request reads the day (:mod:`lastmile.api.dispatch_day`), records what tracking saw
since as steps of its own, runs the event through the dispatch bus with no database lock
held, and writes the step (:mod:`lastmile.api.dispatch_steps`).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from lastmile.api.dispatch_day import (
    Build,
    Day,
    Kept,
    keep,
    policy_of,
    read,
    release,
    seconds_at,
)
from lastmile.api.dispatch_steps import store
from lastmile.api.services import Services
from lastmile.dispatch import commands as c
from lastmile.dispatch.fixes import Fix, headings, track_starts
from lastmile.dispatch.handlers import DispatchContext
from lastmile.dispatch.ports import UnitOfWork
from lastmile.dispatch.replay import run
from lastmile.dispatch.rules import default_rules
from lastmile.domain import Coordinate, LifecycleState
from lastmile.domain.errors import InvalidInput, LastMileError, NotFound
from lastmile.domain.events import Command

log = logging.getLogger(__name__)


def zone_orders(uow: UnitOfWork, zone_ref: str, service_date: str | None = None) -> tuple[str, ...]:
    """The zone's orders not yet on a van: those a wave leaving early would carry."""
    open_ = (LifecycleState.CREATED, LifecycleState.READY, LifecycleState.PLANNED)
    found = uow.orders.list_by(zone_ref=zone_ref, states=open_, service_date=service_date)
    return tuple(o.ref for o in found)


def _driver_may(ctx: DispatchContext, command: Command, driver_ref: str) -> None:
    """A driver's event must be about its own route in the plan in force; another route's
    van or stop is NotFound, as a driver cannot learn which routes exist."""
    mine = [r for r in ctx.state.plan.routes if r.driver_ref and r.driver_ref == driver_ref]
    if isinstance(command, c.ReportDelay | c.ReportBreakdown):
        if not any(r.vehicle_ref == command.vehicle_ref for r in mine):
            raise NotFound("vehicle", command.vehicle_ref)
    elif isinstance(command, c.RecordFailedAttempt):
        if not any(v.ref == command.stop_ref for r in mine for v in r.visits):
            raise NotFound("stop", command.stop_ref)
    else:
        raise InvalidInput(f"a driver cannot send {type(command).__name__}", field="type")


def report(
    svc: Services,
    plan_ref: str,
    build: Build,
    at: datetime | None,
    budget_s: float,
    actor: str,
    driver: str | None = None,
    wait: bool = True,
) -> dict[str, Any]:
    """One event on a dispatched day (the first one starts dispatching the plan); ``driver``
    names the driver when a driver sends it; ``wait=False``: a day another request has
    is ``dispatch_day.Busy`` at once.

    The answer carries where the request's time went (``timings_s``: reading and rebuilding
    the day, running the event with its re-plan, writing), for the operator who wonders why
    an event took longer on a day with many steps."""
    began = time.perf_counter()
    rules = svc.settings.dispatch_rules or default_rules()
    day = read(svc, plan_ref, build, rules, wait)
    command = day.command
    assert command is not None
    ctx = day.ctx
    ctx.policy = policy_of(rules, budget_s)
    ctx.rules = rules
    kept = False
    try:
        try:
            if driver is not None:
                _driver_may(ctx, command, driver)
            at_s = seconds_at(ctx, at)
            tracked = _observe(svc, day, at_s)
            rebuilt = time.perf_counter()
            outcome = run(ctx, command, at_s)
        except LastMileError:  # refused: the day is as it was (run leaves it so), and kept
            keep(svc, Kept(day.base, day.steps, day.fleet, ctx), day.taken)
            kept = True
            raise
        ran = time.perf_counter()
        view = store(svc, day, command, outcome, at_s, actor)
        keep(svc, Kept(day.base, view["seq"], day.fleet, ctx), day.taken)
        kept = True
    finally:
        if day.taken and not kept:  # failed writing: the day is dropped, the next rebuilds
            release(svc, day.base.ref)
    if tracked:
        view["tracked_steps"] = tracked
    view["timings_s"] = {
        "rebuild": round(rebuilt - began, 3),
        "event": round(ran - rebuilt, 3),
        "store": round(time.perf_counter() - ran, 3),
    }
    return view


def observe(
    svc: Services,
    plan_ref: str,
    at: datetime | None,
    budget_s: float = 5.0,
    quiet: bool = False,
    wait: bool = True,
) -> dict[str, Any]:
    """Record what tracking saw on a day without another event: a van late on its scans is
    re-planned as soon as someone (a dispatcher, ``serve``'s follower) looks, not at the
    next event. Nothing seen since the last look stores nothing.

    ``quiet`` (the follower, every 30 s): scans that re-plan nothing are not stored yet
    (failed attempts always are), so a day of steady scans does not become a step per look;
    the next stored step, or the next event, records them."""
    rules = svc.settings.dispatch_rules or default_rules()
    day = read(svc, plan_ref, None, rules, wait)
    ctx = day.ctx
    ctx.policy = policy_of(rules, budget_s)
    ctx.rules = rules
    try:
        tracked = _observe(svc, day, seconds_at(ctx, at), quiet)
    finally:  # kept either way: a write that lost a race to another process left the
        # day as it was before that step, and the next read replays what was stored since
        keep(svc, Kept(day.base, day.steps, day.fleet, ctx), day.taken)
    return {
        "plan_ref": day.base.ref,
        "current_plan_ref": day.current,
        "steps": day.steps,
        "tracked_steps": tracked,
    }


def _observe(svc: Services, day: Day, at_s: int, quiet: bool = False) -> list[dict[str, Any]]:
    """What tracking saw since the day last looked, stored as steps of its own before the
    event (actor ``tracking``): an ``ObserveProgress`` with the stops completed and the
    stops reached (a geofence's or a driver's "arrived" scan, while no completion follows
    it; once the geofence sees the van leave, the stop counts as done then), which places
    the vans where tracking saw them (and re-plans one off its plan by more than the rules
    allow), then a ``RecordFailedAttempt`` for each attempt that failed, with the driver's
    reason, so it is tried again later today or moved to tomorrow; then an
    ``ObserveProgress`` for a van its GPS track shows late between stops.

    Tracking is not allowed to stop a dispatcher's event: a step the day refuses is
    logged and left out."""
    state = day.ctx.state
    refs = [x.ref for r in state.plan.routes for x in r.visits]
    seen: list[tuple[str, datetime]] = []
    came: list[tuple[str, datetime]] = []
    failed: list[c.RecordFailedAttempt] = []
    for ref, done in sorted(svc.api_store.completions(refs).items()):
        seen_s = day.ctx.seconds(done.at)
        if not 0 <= seen_s <= at_s:
            continue
        if done.outcome == "arrived":
            if state.arrived.get(ref) != seen_s:
                came.append((ref, done.at))
            continue
        if done.outcome == "failed":
            if ref in state.failed:  # this attempt is known already
                continue
            why = f"{done.reason or 'failed'} (seen by tracking)"
            failed.append(c.RecordFailedAttempt(stop_ref=ref, reason=why))
        elif state.observed.get(ref) == seen_s:
            continue
        seen.append((ref, done.at))
    commands: list[Command] = []
    if seen or came:
        commands.append(c.ObserveProgress(done=tuple(seen), arrived=tuple(came)))
    views = []
    for command in [*commands, *failed]:
        quietly = quiet and isinstance(command, c.ObserveProgress) and not failed
        views += _tracked(svc, day, command, at_s, quietly)
    return views + _late_on_track(svc, day, at_s)


def _late_on_track(svc: Services, day: Day, at_s: int) -> list[dict[str, Any]]:
    """Vans their GPS tracks show late between stops (:mod:`lastmile.dispatch.fixes`) are
    placed on their way to the stops they head for, in one tracking step (one re-plan for
    them all), when that re-plans the day. Lags the rules let pass are not stored: the
    vans stay where the plan has them until the next scan or a later look finds them
    further behind."""
    state, problem = day.ctx.state, day.ctx.state.problem
    starts = track_starts(state, at_s)
    found = svc.api_store.tracks({v: problem.at(s) for v, s in starts.items()}, problem.at(at_s))
    tracks = {
        vehicle: [Fix(day.ctx.seconds(t), Coordinate(lat, lon)) for t, lat, lon in fixes]
        for vehicle, fixes in found.items()
    }
    ahead = tuple((ref, problem.at(s)) for ref, s in headings(state, tracks, at_s))
    if not ahead:
        return []
    return _tracked(svc, day, c.ObserveProgress(done=(), heading=ahead), at_s, quiet=True)


def _tracked(
    svc: Services, day: Day, command: Command, at_s: int, quiet: bool = False
) -> list[dict[str, Any]]:
    before = day.ctx.state
    try:
        outcome = run(day.ctx, command, at_s)
    except LastMileError as exc:
        log.warning("tracking's %s on plan %s left out: %s", type(command).__name__,
                    day.base.ref, exc)  # fmt: skip
        return []
    if quiet and not outcome.plans:  # nothing re-planned: the day stays as stored
        day.ctx.state = before
        return []
    try:
        return [store(svc, day, command, outcome, at_s, "tracking")]
    except LastMileError:  # not stored (another process stored first): the day kept must
        day.ctx.state = before  # be the stored one, as the next read replays onto it
        raise
