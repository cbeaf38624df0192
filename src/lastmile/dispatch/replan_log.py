"""The record of every re-plan: when, why, what triggered it, and what changed.

A record leaves as a :class:`~lastmile.dispatch.events.Replanned` event through the unit of
work, so it is written in the same transaction as the change and kept in the outbox table;
:func:`records_from_outbox` reads the history back from stored outbox payloads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lastmile.dispatch.events import Replanned
from lastmile.dispatch.replan import Replan
from lastmile.domain.events import new_event_id


@dataclass(frozen=True, slots=True)
class ReplanRecord:
    replan_id: str
    reason: str
    trigger: str
    now_s: int
    cost_before_cents: int
    cost_after_cents: int
    runtime_s: float
    changes: tuple[tuple[str, str, str], ...]
    unassigned: tuple[str, ...]
    deferred: tuple[str, ...]


def replanned_event(
    replan: Replan,
    *,
    reason: str,
    trigger: str,
    now_s: int,
    cost_before_cents: int,
    deferred: Iterable[str] = (),
) -> Replanned:
    """The event recording one re-plan (the costs are of the rest of the day)."""
    return Replanned(
        replan_id=new_event_id(),
        reason=reason,
        trigger=trigger,
        now_s=now_s,
        cost_before_cents=cost_before_cents,
        cost_after_cents=replan.result.cost_cents,
        runtime_s=round(replan.runtime_s, 3),
        changes=tuple((c.kind, c.ref, c.detail) for c in replan.changes),
        unassigned=tuple(u.ref for u in replan.result.unassigned),
        deferred=tuple(deferred),
    )


def record_of(event: Replanned) -> ReplanRecord:
    return ReplanRecord(
        event.replan_id,
        event.reason,
        event.trigger,
        event.now_s,
        event.cost_before_cents,
        event.cost_after_cents,
        event.runtime_s,
        event.changes,
        event.unassigned,
        event.deferred,
    )


def records_from_outbox(payloads: Iterable[Mapping[str, Any]]) -> list[ReplanRecord]:
    """Re-plan records from stored outbox payloads (other event types are skipped)."""
    out = []
    for p in payloads:
        if p.get("type") != "Replanned":
            continue
        out.append(
            ReplanRecord(
                str(p["replan_id"]),
                str(p["reason"]),
                str(p["trigger"]),
                int(p["now_s"]),
                int(p["cost_before_cents"]),
                int(p["cost_after_cents"]),
                float(p["runtime_s"]),
                tuple((str(a), str(b), str(c)) for a, b, c in p["changes"]),
                tuple(str(x) for x in p["unassigned"]),
                tuple(str(x) for x in p["deferred"]),
            )
        )
    return out
