"""Following the dispatched days: what tracking saw becomes steps of the day as it arrives.

Without it a van late on its scans is re-planned only when the next event comes in, which
on a quiet afternoon may be an hour later. ``lastmile serve`` looks every
``follow_tracking_s`` seconds at the days dispatched around today whose hours hold the
time now, and records the scans seen since the last look (``dispatcher.observe``) when
they re-plan a van or hold a failed attempt; scans of vans on their plan wait for the next
stored step, so a day of steady scans is not a step every 30 s. Where the rules start a
zone's wave early when its slots fill fast (``slots_filling``), it also counts each zone's
orders for the day created in the last hour and reports a zone over the rule's rate.

With ``improve_idle_s``, a day whose last step re-planned and has stood that long is
searched once more (an ``ImprovePlan`` step, actor ``follower``, adopted only when
better): a 5 s re-plan of a 2,000-stop day is within about 1 % of a 60 s search only
after one such step (docs/benchmarks/replan.md). An event arriving meanwhile waits for
the step (``dispatch_day.take``) rather than racing it; the follower itself never waits:
a day another request has (in this process or another one sharing the database) is
looked at next time, so one long search does not hold up the looks at every other day.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from lastmile.api.dispatch_day import Busy
from lastmile.api.dispatcher import observe, report, zone_orders
from lastmile.api.services import Services
from lastmile.dispatch import commands as c
from lastmile.dispatch import events as ev
from lastmile.dispatch.ports import UnitOfWork
from lastmile.dispatch.rules import default_rules
from lastmile.domain.errors import InvalidInput, LastMileError

log = logging.getLogger(__name__)
#: Seconds an idle improvement searches (an event arriving meanwhile waits that long).
IMPROVE_S = 5.0


def follow_once(svc: Services, now: datetime | None = None) -> list[dict[str, Any]]:
    """One look at every day dispatched around ``now`` (a hub's date may be the UTC date's
    neighbour); returns the looks that stored steps. A day whose hours do not hold ``now``
    is passed over; any other refusal is logged, and the other days are still followed."""
    moment = now or datetime.now(UTC)
    dates = [(moment + timedelta(days=d)).date().isoformat() for d in (-1, 0, 1)]
    looked = []
    for row in svc.api_store.dispatch_days_on(dates):
        try:
            view = observe(svc, row["current_plan_ref"], moment, quiet=True, wait=False)
            view["tracked_steps"] += _slots(svc, row, moment)
            if svc.settings.improve_idle_s > 0 and _idle_after_replan(svc, row["plan_ref"]):
                step = report(svc, row["plan_ref"], _improve, moment, IMPROVE_S, "follower",
                              wait=False)  # fmt: skip
                view["tracked_steps"].append(step)
        except Busy:  # a request (here or in another process) has it: look next time
            log.debug("following plan %s: the day is busy; next look", row["plan_ref"])
            continue
        except InvalidInput as exc:
            if exc.field != "at":
                log.warning("following plan %s: %s", row["plan_ref"], exc)
            continue
        except LastMileError as exc:
            log.warning("following plan %s: %s", row["plan_ref"], exc)
            continue
        if view["tracked_steps"]:
            looked.append(view)
    return looked


def _slots(svc: Services, row: dict[str, Any], moment: datetime) -> list[dict[str, Any]]:
    """A zone whose orders for the day came in faster in the last hour than a
    ``slots_filling`` rule allows is reported (``ObserveSlots``, actor ``follower``), so the
    rule may start its wave early; once an hour at most per zone. Without such a rule,
    nothing is counted."""
    rules = svc.settings.dispatch_rules or default_rules()
    slot_rules = [r for r in rules.rules if r.event == "slots_filling"]
    if not slot_rules:
        return []
    hour = moment - timedelta(hours=1)
    hubs, day = row["hub_ref"].split(","), row["service_date"]
    booked = svc.api_store.orders_booked(hubs, day, hour, moment)
    told = svc.api_store.recent_steps(row["plan_ref"], "ObserveSlots", hour)
    already = {s["payload"].get("zone_ref") for s in told}
    views = []
    for zone, count in sorted(booked.items()):
        filling = ev.ZoneSlotsFilling(zone_ref=zone, filled_per_hour=count)
        if zone in already or not any(r.matches(filling) for r in slot_rules):
            continue
        build = partial(_slots_command, zone, float(count), day)
        views.append(report(svc, row["plan_ref"], build, moment, IMPROVE_S, "follower", wait=False))
    return views


def _slots_command(zone: str, rate: float, day: str, uow: UnitOfWork) -> c.ObserveSlots:
    stops = zone_orders(uow, zone, day)
    return c.ObserveSlots(zone_ref=zone, filled_per_hour=rate, stop_refs=stops)


def _improve(_: object) -> c.ImprovePlan:
    return c.ImprovePlan(trigger="idle")


def _idle_after_replan(svc: Services, plan_ref: str) -> bool:
    """The day's last step re-planned (and was not itself an improvement) and has stood
    for ``improve_idle_s`` seconds of wall time: one improvement step is due."""
    last = svc.api_store.last_dispatch_step(plan_ref)
    if last is None or not last["plan_refs"] or last["command"] == "ImprovePlan":
        return False
    stood: float = (datetime.now(UTC) - last["created_at"]).total_seconds()
    return stood >= svc.settings.improve_idle_s


def start_following(
    svc: Services, interval_s: float, clock: Callable[[], datetime] | None = None
) -> Callable[[], None]:
    """Follow the days in a thread beside the API; returns the function that stops it.
    ``clock`` gives the time now (a replayed day runs on its own clock)."""
    stop = threading.Event()
    now = clock or (lambda: datetime.now(UTC))

    def loop() -> None:
        # The first look comes at once: it also rebuilds the days a restart forgot (3–5 s
        # each on a 2,000-stop day), so a dispatcher's first event after it does not.
        while True:
            try:
                follow_once(svc, now())
            except Exception:  # a database outage must not end the following
                log.exception("following the dispatched days failed; trying again")
            if stop.wait(interval_s):
                return

    thread = threading.Thread(target=loop, name="dispatch-follow", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(timeout=30)

    return halt
