"""Scans drive the order's journey: each scan kind is a path through the state machine.

A scan names where the parcel *is*; the journey may need several legal steps to get there
(a "delivered" scan on a loaded order passes through out_for_delivery). Scans that arrive
late — older than the order's last move — or that would move the journey backwards are kept
on the timeline as ignored, never applied: a replayed "loaded" must not undo "delivered".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from lastmile.domain.enums import LifecycleState as S
from lastmile.domain.enums import Outcome
from lastmile.domain.events import OrderStateChanged
from lastmile.domain.journey import is_legal
from lastmile.domain.order import Order
from lastmile.tracking.model import LASTMILE, Scan, ScanKind

#: Journey stage of each state; a scan may never lead to a lower stage than the current one.
STAGE: dict[S, int] = {
    S.CREATED: 0, S.READY: 1, S.PLANNED: 2, S.DISPATCHED: 3, S.LOADED: 4,
    S.OUT_FOR_DELIVERY: 5, S.ARRIVED: 6, S.COMPLETED: 7, S.RETURNED: 8, S.CANCELLED: 9,
}  # fmt: skip

#: The state each scan kind puts the parcel in.
TARGET: dict[ScanKind, S] = {
    ScanKind.LOADED: S.LOADED,
    ScanKind.DEPARTED: S.OUT_FOR_DELIVERY,
    ScanKind.ARRIVED: S.ARRIVED,
    ScanKind.DELIVERED: S.COMPLETED,
    ScanKind.ATTEMPTED: S.COMPLETED,
    ScanKind.PICKED_UP: S.COMPLETED,
    ScanKind.RETURNED: S.RETURNED,
}

#: Intermediate states a scan may walk through: only physical moves for lastmile's own
#: drivers (planning decides planned/dispatched), the whole way for a carrier's parcels,
#: which lastmile never planned.
_PHYSICAL: tuple[S, ...] = (S.LOADED, S.OUT_FOR_DELIVERY)
_CARRIER: tuple[S, ...] = (S.PLANNED, S.DISPATCHED, S.LOADED, S.OUT_FOR_DELIVERY)


class ScanResult(StrEnum):
    APPLIED = "applied"
    IGNORED_LATE = "ignored_late"
    IGNORED_BACKWARDS = "ignored_backwards"
    IGNORED_ILLEGAL = "ignored_illegal"


@dataclass(frozen=True)
class ScanOutcome:
    result: ScanResult
    events: tuple[OrderStateChanged, ...] = ()
    detail: str = ""


def _steps(current: S, target: S, path: tuple[S, ...]) -> list[S] | None:
    """The shortest chain of legal moves from ``current`` to ``target``, if there is one."""
    if is_legal(current, target):
        return [target]
    chain: list[S] = []
    state = current
    for step in path:
        if STAGE[step] <= STAGE[state]:
            continue
        if not is_legal(state, step):
            return None
        chain.append(step)
        state = step
        if is_legal(state, target):
            return [*chain, target]
    return None


def _is_backwards(order: Order, target: S, kind: ScanKind) -> bool:
    if order.state is S.COMPLETED and order.outcome is Outcome.FAILED:
        # After a failed attempt the parcel may go out again, be re-attempted or returned.
        return kind is ScanKind.LOADED
    return STAGE[target] < STAGE[order.state] or (
        target is order.state and target is not S.COMPLETED
    )


def _chain(order: Order, target: S, path: tuple[S, ...]) -> list[S] | None:
    start, prefix = order.state, []
    if start is S.COMPLETED and target not in (S.RETURNED, S.OUT_FOR_DELIVERY):
        start, prefix = S.OUT_FOR_DELIVERY, [S.OUT_FOR_DELIVERY]
    rest = _steps(start, target, path)
    return None if rest is None else [*prefix, *rest]


def apply_scan(order: Order, scan: Scan, last_moved_at: datetime | None = None) -> ScanOutcome:
    """Move ``order`` as ``scan`` says, through every legal intermediate state.

    Scans from lastmile's own apps walk only physical steps (a parcel that was never
    dispatched cannot be scanned "arrived"); carrier scans (``source`` other than
    ``lastmile``) may walk the planning steps too. ``last_moved_at`` is when the order's
    journey last changed; an older scan is late and only recorded. Returns what happened and
    the state-change events appended to the order.
    """
    if last_moved_at is not None and scan.at < last_moved_at:
        return ScanOutcome(ScanResult.IGNORED_LATE, detail=f"older than {last_moved_at}")
    target = TARGET[scan.kind]
    if order.is_terminal or _is_backwards(order, target, scan.kind):
        return ScanOutcome(ScanResult.IGNORED_BACKWARDS, detail=f"order is {order.state.value}")
    chain = _chain(order, target, _PHYSICAL if scan.source == LASTMILE else _CARRIER)
    if chain is None:
        return ScanOutcome(
            ScanResult.IGNORED_ILLEGAL,
            detail=f"no legal path from {order.state.value} to {target.value}",
        )
    return ScanOutcome(ScanResult.APPLIED, tuple(_walk(order, scan, chain)))


def _walk(order: Order, scan: Scan, states: list[S]) -> list[OrderStateChanged]:
    at, actor, lat, lon = scan.at, scan.actor, scan.lat, scan.lon
    reason = f"scan:{scan.kind.value}"
    events = [
        order.advance(state, at=at, actor=actor, reason=reason, lat=lat, lon=lon)
        for state in states[:-1]
    ]
    last = states[-1]
    if last is not S.COMPLETED:
        events.append(order.advance(last, at=at, actor=actor, reason=reason, lat=lat, lon=lon))
    elif scan.kind is ScanKind.ATTEMPTED:
        events.append(
            order.complete(Outcome.FAILED, reason=scan.reason, at=at, actor=actor, lat=lat, lon=lon)
        )
    else:
        events.append(order.complete(Outcome.DELIVERED, at=at, actor=actor, lat=lat, lon=lon))
    return events
