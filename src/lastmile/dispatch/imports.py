"""Import one file: upsert its valid rows by external reference through the unit of work.

Rows are compared with what is stored through their exported form, so re-importing a file (or
an export) finds every row unchanged and writes nothing. References to other entities are
checked against storage; a row that names a missing hub or driver is rejected, never stored
half-linked. With ``all_or_nothing`` one bad row refuses the whole file and the transaction is
rolled back, so nothing the file mentions is touched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lastmile.dispatch.ports import Repository, UnitOfWork
from lastmile.domain import LifecycleState, Order
from lastmile.domain.events import OrderUpdated
from lastmile.exchange import SPECS, Context, Kind, Parsed, Record, Rejection, Table, parse_table

#: Order fields an import may set; journey state, attempts and history belong to the journey.
ORDER_IMPORT_FIELDS = (
    "hub_ref",
    "address",
    "channel",
    "service_level",
    "window",
    "items",
    "skills",
    "preferences",
    "recipient",
    "instructions",
    "access_notes",
    "service_s",
    "priority",
    "ready_at",
    "zone_ref",
)
#: Once planned, an order's data is what drivers were given; import may no longer change it.
EDITABLE_ORDER_STATES = frozenset({LifecycleState.CREATED, LifecycleState.READY})

Progress = Callable[[int], None]


@dataclass
class ImportReport:
    """What importing one file did (or, when refused, would not do)."""

    kind: Kind
    source: str
    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refused: bool = False

    @property
    def clean(self) -> bool:
        return not self.rejections


@dataclass
class _Plan:
    inserts: list[Any] = field(default_factory=list)
    updates: list[tuple[Any, Any, tuple[str, ...]]] = field(default_factory=list)


def import_table(
    uow: UnitOfWork,
    kind: Kind,
    table: Table,
    *,
    all_or_nothing: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert the rows of ``table`` as entities of ``kind``; one transaction per file."""
    with uow:
        context = Context({h.ref: h.timezone for h in _repo(uow, Kind.HUBS).list()})
        parsed = parse_table(kind, table, context)
        report = ImportReport(kind, table.source, warnings=list(parsed.warnings))
        report.rejections.extend(parsed.rejections)
        plan = _classify(uow, parsed, context, report, progress)
        report.rejections.sort(key=lambda r: r.row)
        if all_or_nothing and report.rejections:
            uow.rollback()
            report.refused = True
            report.inserted, report.updated, report.unchanged = [], [], []
            return report
        _apply(uow, kind, plan)
        uow.commit()
    return report


def _repo(uow: UnitOfWork, kind: Kind) -> Repository[Any]:
    repo: Repository[Any] = getattr(uow, kind.value)
    return repo


def _classify(
    uow: UnitOfWork,
    parsed: Parsed[Any],
    context: Context,
    report: ImportReport,
    progress: Progress | None,
) -> _Plan:
    spec, plan = SPECS[parsed.kind], _Plan()
    existing = _stored(_repo(uow, parsed.kind), [r.ref for r in parsed.records])
    references = _References(uow)
    for record in parsed.records:
        if progress:
            progress(1)
        problem = references.problem(parsed.kind, record.entity)
        old = existing.get(record.ref)
        new_row = spec.write(record.entity, context)
        changed = () if old is None else _changed(spec.write(old, context), new_row)
        if problem is None and old is not None and changed:
            problem = _update_problem(old, changed)
        if problem is not None:
            report.rejections.append(_reject(parsed.source, record, *problem))
        elif old is None:
            plan.inserts.append(record.entity)
            report.inserted.append(record.ref)
        elif changed:
            plan.updates.append((old, record.entity, changed))
            report.updated.append(record.ref)
        else:
            report.unchanged.append(record.ref)
    return plan


def _stored(repo: Repository[Any], refs: list[str]) -> dict[str, Any]:
    """The stored entities among ``refs``: one scan when the table is not much larger than
    the file (a bulk load), one lookup per row otherwise."""
    if not refs:
        return {}
    stored = repo.count()
    if stored == 0:
        return {}
    if stored <= 4 * len(refs) + 1000:
        wanted = set(refs)
        return {e.ref: e for e in repo.list() if e.ref in wanted}
    found = {ref: repo.get(ref) for ref in refs}
    return {ref: e for ref, e in found.items() if e is not None}


def _changed(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    return tuple(k for k in new if old.get(k) != new[k])


def _update_problem(old: Any, changed: tuple[str, ...]) -> tuple[str, str] | None:
    if isinstance(old, Order) and old.state not in EDITABLE_ORDER_STATES:
        return (
            changed[0],
            f"order is already {old.state.value}; import may only change created or ready orders",
        )
    return None


def _reject(source: str, record: Record[Any], field_name: str, reason: str) -> Rejection:
    return Rejection(source, record.row, reason, field_name, record.ref)


class _References:
    """Checks that the hubs, drivers and vehicles a row names exist, remembering answers."""

    FIELDS: ClassVar[dict[Kind, tuple[tuple[str, Kind], ...]]] = {
        Kind.HUBS: (),
        Kind.ZONES: (("hub_ref", Kind.HUBS),),
        Kind.VEHICLES: (("hub_ref", Kind.HUBS), ("end_hub_ref", Kind.HUBS)),
        Kind.DRIVERS: (("hub_ref", Kind.HUBS),),
        Kind.SHIFTS: (
            ("driver_ref", Kind.DRIVERS),
            ("hub_ref", Kind.HUBS),
            ("vehicle_ref", Kind.VEHICLES),
        ),
        Kind.ORDERS: (("hub_ref", Kind.HUBS), ("zone_ref", Kind.ZONES)),
    }

    def __init__(self, uow: UnitOfWork):
        self._uow = uow
        self._known: dict[tuple[Kind, str], bool] = {}

    def problem(self, kind: Kind, entity: Any) -> tuple[str, str] | None:
        for attribute, target in self.FIELDS[kind]:
            ref = getattr(entity, attribute)
            if ref is None:
                continue
            key = (target, ref)
            if key not in self._known:
                self._known[key] = _repo(self._uow, target).get(ref) is not None
            if not self._known[key]:
                noun = target.value[:-1]
                return attribute, f"no {noun} {ref!r} is stored (import {target.value} first)"
        return None


def _apply(uow: UnitOfWork, kind: Kind, plan: _Plan) -> None:
    repo = _repo(uow, kind)
    for entity in plan.inserts:
        repo.add(entity)
        if isinstance(entity, Order):
            entity.placed()
            uow.publish(entity.pull_events())
    for old, new, changed in plan.updates:
        names = ORDER_IMPORT_FIELDS if isinstance(old, Order) else _fields(old)
        for name in names:
            setattr(old, name, getattr(new, name))
        repo.add(old)
        if isinstance(old, Order):
            uow.publish([OrderUpdated(order_ref=old.ref, changed_fields=changed)])


def _fields(entity: Any) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(entity) if f.name != "ref")
