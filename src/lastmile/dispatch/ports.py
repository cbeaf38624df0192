"""Protocols through which the service layer reaches storage; `store` implements them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, TypeVar

from lastmile.domain import Driver, Hub, Order, Plan, Shift, Vehicle, Zone
from lastmile.domain.enums import LifecycleState
from lastmile.domain.events import DomainEvent

E = TypeVar("E")


class Repository(Protocol[E]):
    """Entities keyed by their external reference; ``add`` inserts or replaces (upsert)."""

    def get(self, ref: str) -> E | None: ...

    def add(self, entity: E) -> None: ...

    def list(self) -> list[E]: ...

    def count(self) -> int: ...


class OrderRepository(Repository[Order], Protocol):
    def get_many(self, refs: Iterable[str]) -> dict[str, Order]:
        """The orders of ``refs`` that exist, by ref, read in one go (not one by one)."""
        ...

    def list_by(
        self,
        *,
        hub_ref: str | None = None,
        states: Iterable[LifecycleState] | None = None,
        service_date: str | None = None,
        zone_ref: str | None = None,
        limit: int | None = None,
        after_ref: str | None = None,
    ) -> list[Order]: ...


class ShiftRepository(Repository[Shift], Protocol):
    def list_by(
        self, *, hub_refs: Iterable[str], start_from: datetime, start_to: datetime
    ) -> list[Shift]:
        """Shifts of these hubs starting in [start_from, start_to), by ref, found without
        reading every date's."""
        ...


class PlanRepository(Repository[Plan], Protocol):
    def list_by(
        self,
        *,
        service_date: str | None = None,
        hub_ref: str | None = None,
        route_ref: str | None = None,
        driver_ref: str | None = None,
    ) -> list[Plan]:
        """Plans matching every given filter, by ref, found without reading every plan."""
        ...


class UnitOfWork(Protocol):
    """One transaction: repositories plus the outbox, committed or rolled back together."""

    hubs: Repository[Hub]
    zones: Repository[Zone]
    vehicles: Repository[Vehicle]
    drivers: Repository[Driver]
    shifts: ShiftRepository
    orders: OrderRepository
    plans: PlanRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def publish(self, events: Iterable[DomainEvent]) -> None:
        """Queue events for the outbox; written in the same transaction as the change."""
        ...
