"""A dispatched day between requests: read from the store, rebuilt, and kept in the process.

Each request rebuilds the day from the plan it started from and the steps accepted since
(:mod:`lastmile.dispatch.replay`: no search, the stored plans are adopted). Rebuilding
reads every plan the day adopted: on a 2,000-stop day it took 0.4 s at the first event and
3 s at the thirtieth (docs/benchmarks/api.md). So the process keeps the day it left after
each accepted event, and the next request takes it as it is when the stored day has not
moved since (same number of steps) and the fleet it was built with (the hub's vehicles,
that day's shifts, drivers, zones) is unchanged. When another API process stored steps
since, the kept day replays just those; a changed fleet rebuilds.

Requests on one day take turns: within a process under a condition, across the processes
sharing the database by a lease on the day's row (``dispatch_days.taken_by``), so the
second request waits for the first one's search and then runs on the day it left, instead
of both searching and the slower getting a Conflict.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from lastmile.api.planner import problem_for, shift_window
from lastmile.api.services import Services
from lastmile.dispatch.handlers import DispatchContext
from lastmile.dispatch.ports import UnitOfWork
from lastmile.dispatch.replan import ReplanPolicy
from lastmile.dispatch.replay import Step, check_time, command_from, replay
from lastmile.dispatch.rules import RuleSet
from lastmile.dispatch.state import advance
from lastmile.domain import Plan
from lastmile.domain.errors import Conflict, InvalidInput, NotFound
from lastmile.domain.events import Command
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.solver import from_domain
from lastmile.store.api_repositories import AuditedUnitOfWork, load_orders

SUPERSEDED = "superseded"
#: Longest hub refs text a day stores (``dispatch_days.hub_ref``).
REF = 128
#: Days a process keeps rebuilt (a hub's day each; a 2,000-stop day holds a few MB).
KEPT_DAYS = 16
#: Seconds a request waits for another one on the same day (a re-plan's search, at most
#: the API's 60 s budget, and its write).
WAIT_S = 75.0
#: How often a request waiting for another process's lease on the day looks again.
POLL_S = 0.1
#: Builds the command from what the store holds (an order's address, a zone's shape).
Build = Callable[[UnitOfWork], Command]

log = logging.getLogger(__name__)


@dataclass
class Day:
    """What a request reads in its first, short transaction, and the day it rebuilt."""

    base: Plan
    row: dict[str, Any] | None
    steps: int
    fleet: str
    command: Command | None  # None: only tracking's steps are recorded
    ctx: DispatchContext
    taken: bool = False  # taken out of the process: to keep or release when done

    @property
    def current(self) -> str:
        """The plan in force as stored (updated by each step this request stores)."""
        return self.row["current_plan_ref"] if self.row else self.base.ref


@dataclass(frozen=True)
class Kept:
    """A day as the process left it after an accepted event."""

    base: Plan
    steps: int
    fleet: str
    ctx: DispatchContext


def fleet(svc: Services, uow: UnitOfWork, hub_refs: str, service_date: str) -> str:
    """What the day's problem is built from besides its orders, as one comparable digest
    of the stored rows; ``hub_refs`` as the day stores them (see :func:`hubs_of`)."""
    hubs = [h for h in (uow.hubs.get(ref) for ref in sorted(set(hub_refs.split(",")))) if h]
    if not hubs:
        return f"{service_date}: no hub"
    start, end = shift_window(hubs, service_date)
    return f"{service_date}:" + svc.api_store.fleet_print([h.ref for h in hubs], start, end)


class Busy(Conflict):
    """Another request, in this process or another, has the day now."""


def take(svc: Services, plan_ref: str, wait: bool = True) -> Kept | None:
    """Take the day out of the process, first waiting (up to ``WAIT_S``) while another
    request has it: one event waits for the other's search rather than rebuilding the day
    and losing the race to store. Every take ends in :func:`keep` or :func:`release`.

    ``wait=False`` (the follower, which looks again in half a minute): a day another
    request has is :class:`Busy` at once, rather than holding up the look at every other
    day behind that request's search."""
    deadline = time.monotonic() + WAIT_S
    with svc.dispatch_back:
        if not wait and plan_ref in svc.dispatch_out:
            raise Busy(f"the day of plan {plan_ref!r} is being worked on")
        svc.dispatch_back.wait_for(lambda: plan_ref not in svc.dispatch_out, WAIT_S)
        svc.dispatch_out.add(plan_ref)
        kept = svc.dispatch_days.pop(plan_ref, None)
    try:
        _lease(svc, plan_ref, deadline, wait)
    except BaseException:
        if isinstance(kept, Kept):  # not worked on: kept as it was for the next request
            with svc.dispatch_back:
                svc.dispatch_days[plan_ref] = kept
        release(svc, plan_ref)
        raise
    return kept if isinstance(kept, Kept) else None


def _lease(svc: Services, plan_ref: str, deadline: float, wait: bool = True) -> None:
    """Take the day's lease from the other processes, waiting while one has it; past
    ``deadline`` (a holder that is stuck, or far slower than any search) the request goes
    on without it, and storing still refuses whichever of two writers comes second.
    Without ``wait``, a lease another process has is :class:`Busy`."""
    while True:
        now = datetime.now(UTC)
        until = now + timedelta(seconds=WAIT_S)
        if svc.api_store.take_dispatch_day(plan_ref, svc.holder, now, until):
            return
        if not wait:
            raise Busy(f"the day of plan {plan_ref!r} is being worked on by another process")
        if time.monotonic() >= deadline:
            log.warning("plan %s: another API process has had the day for %.0f s; going on",
                        plan_ref, WAIT_S)  # fmt: skip
            return
        time.sleep(POLL_S)


def _give_back(svc: Services, plan_ref: str) -> None:
    """End this process's lease before the next request of the process may take the day
    (that one takes the lease again): a lease ended later could end the next one's."""
    try:
        svc.api_store.give_back_dispatch_day(plan_ref, svc.holder)
    except Exception:  # the lease runs out on its own; the day must not stay taken here
        log.exception("plan %s: could not give back the lease", plan_ref)


def keep(svc: Services, kept: Kept, taken: bool = True) -> None:
    """Keep the day for the next request; ``taken``: this request took it out (a day's
    first event did not), and gives it back."""
    if taken:
        _give_back(svc, kept.base.ref)
    with svc.dispatch_back:
        svc.dispatch_days[kept.base.ref] = kept
        while len(svc.dispatch_days) > KEPT_DAYS:
            svc.dispatch_days.pop(next(iter(svc.dispatch_days)))
        if taken:
            svc.dispatch_out.discard(kept.base.ref)
            svc.dispatch_back.notify_all()


def release(svc: Services, plan_ref: str) -> None:
    """Give the day back without keeping it (a request that failed): the next rebuilds."""
    _give_back(svc, plan_ref)
    with svc.dispatch_back:
        svc.dispatch_out.discard(plan_ref)
        svc.dispatch_back.notify_all()


def hubs_of(plan: Plan) -> str:
    """The plan's hubs as the day stores them: one ref, or several joined by commas (a plan
    made for all hubs, ``lastmile plan --date``, is dispatched as one day)."""
    refs = sorted(set(plan.hub_refs))
    if not refs:
        raise InvalidInput(f"plan {plan.ref!r} has no hub to dispatch", field="plan_ref")
    if any("," in r for r in refs) or len(",".join(refs)) > REF:
        raise InvalidInput(
            f"plan {plan.ref!r} spans {len(refs)} hubs, too many to dispatch as one day; "
            "plan and dispatch each hub's day",
            field="plan_ref",
        )
    return ",".join(refs)


def _order_refs(plan: Plan) -> list[str]:
    """The plan's orders, in a fixed order (every request must build the same problem)."""
    refs = [o for r in plan.routes for v in r.visits for o in v.order_refs]
    refs += [u.stop_ref for u in plan.unassigned]
    return list(dict.fromkeys(refs))


def read(
    svc: Services, plan_ref: str, build: Build | None, rules: RuleSet, wait: bool = True
) -> Day:
    """The day as it stands, taken out of the process (see :func:`take`, and ``wait``)
    until the caller keeps or releases it."""
    # A day is named by its first plan or its plan in force; older plans are history.
    row = svc.api_store.dispatch_day(plan_ref)
    if row is None:
        return _read(svc, plan_ref, None, None, build, rules)
    kept = take(svc, row["plan_ref"], wait)
    try:  # read again: the request this one waited for may have moved the day on
        day = _read(svc, plan_ref, svc.api_store.dispatch_day(row["plan_ref"]), kept, build, rules)
        day.taken = True
        return day
    except BaseException:
        release(svc, row["plan_ref"])
        raise


def _read(
    svc: Services,
    plan_ref: str,
    row: dict[str, Any] | None,
    kept: Kept | None,
    build: Build | None,
    rules: RuleSet,
) -> Day:
    with svc.uow() as uow:
        if row is not None and kept is not None and kept.steps <= row["steps"]:
            now = fleet(svc, uow, row["hub_ref"], row["service_date"])
            if now == kept.fleet:
                ctx = kept.ctx
                if kept.steps < row["steps"]:  # another process stored steps since
                    ctx = _catch_up(svc, uow, kept, row["steps"])
                command = build(uow) if build else None
                return Day(kept.base, row, row["steps"], now, command, ctx)
        base = uow.plans.get(row["plan_ref"] if row else plan_ref)
        if base is None:
            raise NotFound("plan", plan_ref)
        if row is None and base.status == SUPERSEDED:
            day = svc.api_store.dispatch_day(plan_ref.rsplit(".", 1)[0])
            now = f"; the plan in force is {day['current_plan_ref']!r}" if day else ""
            raise Conflict(f"plan {plan_ref!r} was replaced by a re-plan{now}")
        hubs = hubs_of(base)
        for hub in hubs.split(",") if row is None else ():
            other = svc.api_store.dispatch_day_on(hub, base.service_date)
            if other is not None:
                raise Conflict(
                    f"hub {hub!r} on {base.service_date} is dispatched from plan "
                    f"{other['plan_ref']!r} (now {other['current_plan_ref']!r})"
                )
        refs = _order_refs(base)
        assert isinstance(uow, AuditedUnitOfWork)
        orders = load_orders(uow, refs)
        missing = sorted(set(refs) - {o.ref for o in orders})
        if missing:
            raise Conflict(f"plan {base.ref!r} serves orders that no longer exist: {missing[:5]}")
        # Read before the problem: a change in between makes the next request rebuild.
        built_for = fleet(svc, uow, hubs, base.service_date)
        problem = problem_for(uow, hubs.split(","), base.service_date, orders)
        steps = svc.api_store.dispatch_steps(base.ref) if row else []
        plans = _plans_of(uow, steps)
        command = build(uow) if build else None
    ctx = _rebuild(problem, base, steps, plans, rules)
    return Day(base, row, len(steps), built_for, command, ctx)


def _plans_of(uow: UnitOfWork, steps: list[dict[str, Any]]) -> dict[str, Plan]:
    plans: dict[str, Plan] = {}
    for step in steps:
        for ref in step["plan_refs"]:
            stored = uow.plans.get(ref)
            if stored is None:
                raise Conflict(f"plan {ref!r} of step {step['seq']} is missing")
            plans[ref] = stored
    return plans


def _catch_up(svc: Services, uow: UnitOfWork, kept: Kept, steps: int) -> DispatchContext:
    """The kept day moved through the steps stored after it, up to ``steps``: replaying
    one or two steps took about 0.1 s on a 2,000-stop day, where rebuilding it from every
    plan it adopted took seconds (docs/benchmarks/api.md)."""
    rows = svc.api_store.dispatch_steps(kept.base.ref, after=kept.steps)
    rows = [r for r in rows if r["seq"] <= steps]
    return replay(kept.ctx, _steps(kept.ctx, rows, _plans_of(uow, rows)))


def _rebuild(
    problem: PlanningProblem,
    base: Plan,
    rows: list[dict[str, Any]],
    plans: dict[str, Plan],
    rules: RuleSet,
) -> DispatchContext:
    from lastmile.planning.pyvrp_solver import PyVRPSolver

    first = from_domain(problem, base)
    ctx = DispatchContext(advance(problem, first, 0), PyVRPSolver(), policy_of(rules), rules)
    return replay(ctx, _steps(ctx, rows, plans))


def _steps(ctx: DispatchContext, rows: list[dict[str, Any]], plans: dict[str, Plan]) -> list[Step]:
    return [
        Step(
            s["seq"],
            ctx.seconds(s["at"]),
            command_from(s["command"], s["payload"]),
            tuple(plans[r] for r in s["plan_refs"]),
            s["facts"],
        )
        for s in rows
    ]


def policy_of(rules: RuleSet, budget_s: float = 5.0) -> ReplanPolicy:
    """The re-plan policy the rules file sets (its ``policy`` section), searching
    ``budget_s``."""
    policy: dict[str, Any] = dict(rules.policy)
    return replace(ReplanPolicy(time_limit_s=budget_s), **policy)


def seconds_at(ctx: DispatchContext, at: datetime | None) -> int:
    moment = at if at is not None else datetime.now(UTC)
    at_s = ctx.seconds(moment)
    end = max(h.close_s for h in ctx.state.problem.hubs)
    if not 0 <= at_s <= end:
        day = f"{ctx.state.problem.at(0).isoformat()} to {ctx.state.problem.at(end).isoformat()}"
        raise InvalidInput(f"{moment.isoformat()} is outside the plan's day ({day})", field="at")
    check_time(ctx, at_s)
    return at_s
