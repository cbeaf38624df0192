"""Following the dispatched days: what tracking saw becomes steps of the day as it arrives.

Without it a van late on its scans is re-planned only when the next event comes in, which
on a quiet afternoon may be an hour later. ``lastmile serve`` looks every
``follow_tracking_s`` seconds at the days dispatched around today whose hours hold the
time now, and records the scans seen since the last look (``dispatcher.observe``) when
they re-plan a van or hold a failed attempt; scans of vans on their plan wait for the next
stored step, so a day of steady scans is not a step every 30 s.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from lastmile.api.dispatcher import observe
from lastmile.api.services import Services
from lastmile.domain.errors import InvalidInput, LastMileError

log = logging.getLogger(__name__)


def follow_once(svc: Services, now: datetime | None = None) -> list[dict[str, Any]]:
    """One look at every day dispatched around ``now`` (a hub's date may be the UTC date's
    neighbour); returns the looks that stored steps. A day whose hours do not hold ``now``
    is passed over; any other refusal is logged, and the other days are still followed."""
    moment = now or datetime.now(UTC)
    dates = [(moment + timedelta(days=d)).date().isoformat() for d in (-1, 0, 1)]
    looked = []
    for row in svc.api_store.dispatch_days_on(dates):
        try:
            view = observe(svc, row["current_plan_ref"], moment, quiet=True)
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


def start_following(
    svc: Services, interval_s: float, clock: Callable[[], datetime] | None = None
) -> Callable[[], None]:
    """Follow the days in a thread beside the API; returns the function that stops it.
    ``clock`` gives the time now (a replayed day runs on its own clock)."""
    stop = threading.Event()
    now = clock or (lambda: datetime.now(UTC))

    def loop() -> None:
        while not stop.wait(interval_s):
            try:
                follow_once(svc, now())
            except Exception:  # a database outage must not end the following
                log.exception("following the dispatched days failed; trying again")

    thread = threading.Thread(target=loop, name="dispatch-follow", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(timeout=30)

    return halt
