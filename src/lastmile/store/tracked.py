"""Identity map, change detection and event draining shared by the SQL and in-memory stores.

A unit of work remembers every entity it handed out or was given (``seen``) and the record it
last knew to be stored for each (its snapshot). Flushing turns each entity into a record again
and writes only those that differ, so re-adding an unchanged entity writes nothing and the
caller may simply mutate what ``get`` returned. The backend only has to fetch and save records
through a :class:`Gateway`.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar

from lastmile.domain import Order, Plan, Shift
from lastmile.domain.enums import LifecycleState
from lastmile.domain.errors import Conflict, InvalidInput
from lastmile.store.plan_records import route_content
from lastmile.store.records import Record, utc

E = TypeVar("E")

#: Snapshot markers: the store has no row for the ref / nobody looked yet.
ABSENT: Record = {"__absent__": True}
UNKNOWN: Record = {"__unknown__": True}

#: Refs resolved per gateway call; gateways split further as their backend needs.
FETCH_CHUNK = 10_000


class Gateway(Protocol):
    """Record-level access to one kind of entity in one transaction."""

    def fetch(self, refs: Sequence[str]) -> dict[str, Record]: ...

    def fetch_all(self) -> list[Record]: ...

    def count(self) -> int: ...

    def save_many(self, changes: Sequence[tuple[Record, Record | None]]) -> None:
        """Write each ``new`` record; ``old`` is the stored one it replaces (``None``: none)."""
        ...


class ShiftGateway(Gateway, Protocol):
    def starting(self, hub_refs: Sequence[str], start: datetime, end: datetime) -> list[Record]:
        """Shift records of these hubs starting in [start, end), by ref."""
        ...


@dataclass(frozen=True)
class OrderQuery:
    """The filters of ``OrderRepository.list_by``; results are ordered by ref."""

    hub_ref: str | None = None
    states: tuple[str, ...] | None = None
    service_date: str | None = None
    zone_ref: str | None = None
    limit: int | None = None
    after_ref: str | None = None

    @classmethod
    def build(
        cls,
        *,
        hub_ref: str | None,
        states: Iterable[LifecycleState] | None,
        service_date: str | None,
        zone_ref: str | None,
        limit: int | None,
        after_ref: str | None,
    ) -> OrderQuery:
        if limit is not None and limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}", field="limit")
        _check_date(service_date)
        wanted = None if states is None else tuple(sorted(LifecycleState(s).value for s in states))
        return cls(hub_ref, wanted, service_date, zone_ref, limit, after_ref)

    def matches(self, r: Record) -> bool:
        """The same filter in Python, for the in-memory store."""
        return (
            (self.hub_ref is None or r["hub_ref"] == self.hub_ref)
            and (self.states is None or r["state"] in self.states)
            and (self.service_date is None or r["service_date"] == self.service_date)
            and (self.zone_ref is None or r["zone_ref"] == self.zone_ref)
            and (self.after_ref is None or r["ref"] > self.after_ref)
        )


class OrderGateway(Gateway, Protocol):
    def query(self, query: OrderQuery) -> list[Record]: ...


@dataclass(frozen=True)
class PlanQuery:
    """The filters of ``PlanRepository.list_by``; results are ordered by ref.

    Plans hold every route and visit of a day, so reading all of them to find one route or
    one driver's routes grows with the whole history; these filters run in the store.
    """

    service_date: str | None = None
    hub_ref: str | None = None
    route_ref: str | None = None
    driver_ref: str | None = None

    def matches(self, r: Record) -> bool:
        """The same filter in Python, for the in-memory store."""
        routes = r["routes"]
        return (
            (self.service_date is None or r["service_date"] == self.service_date)
            and (self.hub_ref is None or self.hub_ref in r["hub_refs"])
            and (self.route_ref is None or any(x["ref"] == self.route_ref for x in routes))
            and (self.driver_ref is None or any(x["driver_ref"] == self.driver_ref for x in routes))
        )


class PlanGateway(Gateway, Protocol):
    def query(self, query: PlanQuery) -> list[Record]: ...


class TrackedRepository(Generic[E]):
    """A repository over a gateway: identity map by ref, upsert on flush, reads flush first."""

    def __init__(
        self,
        gateway: Gateway,
        to_record: Callable[[E], Record],
        from_record: Callable[[Record], E],
        autoflush: Callable[[], None],
        *,
        flat: bool = True,
    ) -> None:
        self._gateway = gateway
        self._to_record = to_record
        self._from_record = from_record
        self._autoflush = autoflush
        self._seen: dict[str, E] = {}
        self._snapshots: dict[str, Record] = {}
        # Entities whose attributes are all immutable values can be skipped on flush when no
        # attribute was reassigned; that keeps paging through 10,000 orders linear.
        self._flat = flat
        self._fingerprints: dict[str, tuple[Any, ...]] = {}

    def get(self, ref: str) -> E | None:
        if ref in self._seen:
            return self._seen[ref]
        found = self._gateway.fetch([ref]).get(ref)
        return None if found is None else self._track(found)

    def get_many(self, refs: Iterable[str]) -> dict[str, E]:
        """The entities of ``refs`` that exist, by ref: one fetch for those not seen yet."""
        wanted = list(dict.fromkeys(refs))
        unseen = [r for r in wanted if r not in self._seen]
        for i in range(0, len(unseen), FETCH_CHUNK):
            for record in self._gateway.fetch(unseen[i : i + FETCH_CHUNK]).values():
                self._track(record)
        return {r: self._seen[r] for r in wanted if r in self._seen}

    def add(self, entity: E) -> None:
        ref = _ref(entity)
        self._seen[ref] = entity
        self._fingerprints.pop(ref, None)
        self._snapshots.setdefault(ref, UNKNOWN)

    def list(self) -> list[E]:
        self._autoflush()
        return [self._track(r) for r in self._gateway.fetch_all()]

    def count(self) -> int:
        self._autoflush()
        return self._gateway.count()

    def seen(self) -> builtins.list[E]:
        return [*self._seen.values()]

    def _track(self, record: Record) -> E:
        ref = record["ref"]
        if ref in self._seen:
            return self._seen[ref]
        entity = self._from_record(record)
        self._seen[ref] = entity
        self._snapshots[ref] = record
        return entity

    def flush(self) -> None:
        """Write every seen entity whose record differs from what is stored."""
        self._resolve_unknown()
        written: list[tuple[E, Record, tuple[Any, ...]]] = []
        changes: list[tuple[Record, Record | None]] = []
        for ref, entity in self._seen.items():
            old = self._snapshots[ref]
            mark = _fingerprint(entity) if self._flat else ()
            if self._flat and old is not ABSENT and self._fingerprints.get(ref) == mark:
                continue
            new = self._to_record(entity)
            if old is not ABSENT and new == old:
                self._fingerprints[ref] = mark
                continue
            stored = None if old is ABSENT else old
            new = self._prepare(entity, new, stored)
            changes.append((new, stored))
            written.append((entity, new, mark))
        if changes:
            self._gateway.save_many(changes)
        # Only now, with everything written, does the tracked state move on.
        for entity, new, mark in written:
            self._snapshots[new["ref"]] = new
            self._fingerprints[new["ref"]] = mark
            self._saved(entity, new)

    def _prepare(self, entity: E, new: Record, old: Record | None) -> Record:
        """Hook for per-kind rules on the record about to be written (route versions)."""
        return new

    def _saved(self, entity: E, record: Record) -> None:
        """Hook run once ``record`` is written: bring the entity in line with it."""

    def _resolve_unknown(self) -> None:
        unknown = [ref for ref, snap in self._snapshots.items() if snap is UNKNOWN]
        for i in range(0, len(unknown), FETCH_CHUNK):
            chunk = unknown[i : i + FETCH_CHUNK]
            stored = self._gateway.fetch(chunk)
            for ref in chunk:
                self._snapshots[ref] = stored.get(ref, ABSENT)


class TrackedOrders(TrackedRepository[Order]):
    """Orders, plus the filtered, cursor-paginated listing dispatch and the API need."""

    def __init__(
        self,
        gateway: OrderGateway,
        to_record: Callable[[Order], Record],
        from_record: Callable[[Record], Order],
        autoflush: Callable[[], None],
    ) -> None:
        super().__init__(gateway, to_record, from_record, autoflush)
        self._orders = gateway

    def list_by(
        self,
        *,
        hub_ref: str | None = None,
        states: Iterable[LifecycleState] | None = None,
        service_date: str | None = None,
        zone_ref: str | None = None,
        limit: int | None = None,
        after_ref: str | None = None,
    ) -> list[Order]:
        """Orders matching every given filter, by ref; ``after_ref`` is the page cursor.

        ``service_date`` is the date of the window's start in the hub's timezone (UTC when
        the hub was not stored when the order was written); orders without a window have none.
        It is computed when the order is written, so changing a hub's timezone afterwards
        takes effect on its orders as they are next saved.
        """
        query = OrderQuery.build(
            hub_ref=hub_ref,
            states=states,
            service_date=service_date,
            zone_ref=zone_ref,
            limit=limit,
            after_ref=after_ref,
        )
        if query.states == ():
            return []
        self._autoflush()
        return [self._track(r) for r in self._orders.query(query)]


class TrackedShifts(TrackedRepository[Shift]):
    """Shifts, also read by hub and start without reading every date's."""

    def __init__(
        self,
        gateway: ShiftGateway,
        to_record: Callable[[Shift], Record],
        from_record: Callable[[Record], Shift],
        autoflush: Callable[[], None],
    ) -> None:
        super().__init__(gateway, to_record, from_record, autoflush)
        self._shifts = gateway

    def list_by(
        self, *, hub_refs: Iterable[str], start_from: datetime, start_to: datetime
    ) -> list[Shift]:
        self._autoflush()
        found = self._shifts.starting(sorted(set(hub_refs)), utc(start_from), utc(start_to))
        return [self._track(r) for r in found]


class TrackedPlans(TrackedRepository[Plan]):
    """Plans whose routes carry a version: a changed route must name the version it read."""

    def __init__(
        self,
        gateway: PlanGateway,
        to_record: Callable[[Plan], Record],
        from_record: Callable[[Record], Plan],
        autoflush: Callable[[], None],
    ) -> None:
        # Routes and visits are mutable lists inside a plan: always compare whole records.
        super().__init__(gateway, to_record, from_record, autoflush, flat=False)
        self._plans = gateway

    def list_by(
        self,
        *,
        service_date: str | None = None,
        hub_ref: str | None = None,
        route_ref: str | None = None,
        driver_ref: str | None = None,
    ) -> list[Plan]:
        """Plans of that day, serving that hub, holding that route or a route of that driver."""
        _check_date(service_date)
        self._autoflush()
        query = PlanQuery(service_date, hub_ref, route_ref, driver_ref)
        return [self._track(r) for r in self._plans.query(query)]

    def _prepare(self, entity: Plan, new: Record, old: Record | None) -> Record:
        stored = {r["ref"]: r for r in old["routes"]} if old else {}
        for route, record in zip(entity.routes, new["routes"], strict=True):
            before = stored.get(route.ref)
            if before is None:
                continue
            if route_content(before) == route_content(record):
                record["version"] = before["version"]
                continue
            if record["version"] != before["version"]:
                raise Conflict(
                    f"route {route.ref!r} was changed meanwhile: stored version "
                    f"{before['version']}, this change was made on version {record['version']}"
                )
            record["version"] = before["version"] + 1
        return new

    def _saved(self, entity: Plan, record: Record) -> None:
        for route, stored in zip(entity.routes, record["routes"], strict=True):
            route.version = stored["version"]


def _check_date(service_date: str | None) -> None:
    if service_date is None:
        return
    try:
        date.fromisoformat(service_date)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"service date must be YYYY-MM-DD, got {service_date!r}", field="service_date"
        ) from None


def _fingerprint(entity: Any) -> tuple[Any, ...]:
    """The entity's attribute values, compared by ``==`` on flush.

    An order's pending-events list is in it too; it does not change the record, and a new list
    (after ``pull_events``) only costs one more record comparison.
    """
    return tuple(vars(entity).values())


def _ref(entity: Any) -> str:
    ref = getattr(entity, "ref", None)
    if not isinstance(ref, str) or not ref:
        raise InvalidInput("entity has no reference", field="ref")
    return ref
