"""The unit-of-work logic both stores share; subclasses supply gateways and transactions.

``commit`` flushes every changed entity, drains the events of every order touched in the
transaction plus those queued with ``publish``, writes them to the journey timeline and the
outbox, and commits all of it at once. If any step fails the events go back onto their orders
and nothing is kept: the unit of work rolls back and forgets the entities it handed out.
Leaving the ``with`` block without ``commit`` rolls back too.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from lastmile.dispatch.ports import (
    OrderRepository,
    PlanRepository,
    Repository,
    ShiftRepository,
)
from lastmile.domain import Driver, Hub, Order, Vehicle, Zone
from lastmile.domain.events import DomainEvent
from lastmile.store import plan_records as pr
from lastmile.store import records as rec
from lastmile.store.tracked import (
    Gateway,
    OrderGateway,
    PlanGateway,
    ShiftGateway,
    TrackedOrders,
    TrackedPlans,
    TrackedRepository,
    TrackedShifts,
)


@dataclass(frozen=True)
class Gateways:
    hubs: Gateway
    zones: Gateway
    vehicles: Gateway
    drivers: Gateway
    shifts: ShiftGateway
    orders: OrderGateway
    plans: PlanGateway


class TrackingUnitOfWork(ABC):
    """Implements ``dispatch.ports.UnitOfWork`` over record gateways."""

    hubs: Repository[Hub]
    zones: Repository[Zone]
    vehicles: Repository[Vehicle]
    drivers: Repository[Driver]
    shifts: ShiftRepository
    orders: OrderRepository
    plans: PlanRepository

    def __init__(self) -> None:
        self._published: list[DomainEvent] = []
        self._tracked: list[TrackedRepository[Any]] = []
        self._orders: TrackedOrders | None = None
        self._hub_zones: dict[str, str | None] = {}

    # -- subclass hooks ------------------------------------------------------------------------

    @abstractmethod
    def _begin(self) -> Gateways:
        """Start a transaction and return gateways bound to it."""

    @abstractmethod
    def _write_events(self, events: list[DomainEvent]) -> None:
        """Append the events to the journey timeline and the outbox (duplicates ignored)."""

    @abstractmethod
    def _commit_transaction(self) -> None: ...

    @abstractmethod
    def _rollback_transaction(self) -> None: ...

    @abstractmethod
    def _close(self) -> None:
        """End the transaction's resources (connection, overlay)."""

    # -- context manager -----------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._open_repositories()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._published = []
        if self._orders is None:
            return
        try:
            self._rollback_transaction()
        finally:
            self._orders = None
            self._tracked = []
            self._close()

    def _open_repositories(self) -> None:
        g = self._begin()
        flush = self.flush
        self._hub_zones = {}
        hubs = TrackedRepository(g.hubs, rec.hub_record, rec.hub_from, flush)
        zones = TrackedRepository(g.zones, rec.zone_record, rec.zone_from, flush)
        vehicles = TrackedRepository(g.vehicles, rec.vehicle_record, rec.vehicle_from, flush)
        drivers = TrackedRepository(g.drivers, rec.driver_record, rec.driver_from, flush)
        shifts = TrackedShifts(g.shifts, rec.shift_record, rec.shift_from, flush)
        orders = TrackedOrders(g.orders, self._order_record, rec.order_from, flush)
        plans = TrackedPlans(g.plans, pr.plan_record, pr.plan_from, flush)
        self.hubs, self.zones, self.vehicles, self.drivers = hubs, zones, vehicles, drivers
        self.shifts, self.orders, self.plans = shifts, orders, plans
        self._orders = orders
        # Hubs first: an order's service date depends on its hub's timezone.
        self._tracked = [hubs, zones, vehicles, drivers, shifts, orders, plans]

    def _order_record(self, order: Order) -> rec.Record:
        return rec.order_record(order, self._hub_timezone(order.hub_ref))

    def _hub_timezone(self, hub_ref: str) -> str | None:
        # Cached for one flush only (hubs are flushed before orders, so it cannot go stale).
        if hub_ref not in self._hub_zones:
            hub = self.hubs.get(hub_ref)
            self._hub_zones[hub_ref] = None if hub is None else hub.timezone
        return self._hub_zones[hub_ref]

    # -- the UnitOfWork protocol ---------------------------------------------------------------

    def flush(self) -> None:
        """Write pending changes inside the transaction (reads do this first by themselves)."""
        self._hub_zones = {}
        for repository in self._tracked:
            repository.flush()

    def publish(self, events: Iterable[DomainEvent]) -> None:
        self._published.extend(events)

    def commit(self) -> None:
        if self._orders is None:
            raise RuntimeError("use the unit of work in a `with` block before committing")
        drained: list[tuple[Order, list[DomainEvent]]] = []
        try:
            self.flush()
            drained = [(order, order.pull_events()) for order in self._orders.seen()]
            self._write_events([e for _, pulled in drained for e in pulled] + self._published)
            self._commit_transaction()
        except BaseException:
            for order, pulled in drained:
                order.events[:0] = pulled
            self.rollback()  # a failed commit keeps nothing, not even what it flushed
            raise
        self._published = []

    def rollback(self) -> None:
        """Discard everything since the last commit; entities handed out are forgotten."""
        self._published = []
        if self._orders is None:
            return
        self._rollback_transaction()
        self._open_repositories()
