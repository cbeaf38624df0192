"""A small delivery world in a real database: a hub, a van, orders on one planned route."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lastmile.domain import (
    Address,
    AddressType,
    Coordinate,
    Hub,
    Load,
    OpeningHours,
    Order,
    Plan,
    Route,
    TimeWindow,
    Vehicle,
    VehicleKind,
    Visit,
)
from lastmile.domain.enums import LifecycleState
from lastmile.store.db import make_engine, migrate
from lastmile.store.tracking_journal import SqlTrackingUnitOfWork
from lastmile.store.tracking_repositories import SqlTrackingStore

DAY = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
HUB = Coordinate(52.52, 13.40)


def spot(i: int) -> Coordinate:
    """The i-th stop, about 1.1 km apart going north."""
    return Coordinate(HUB.lat + 0.01 * (i + 1), HUB.lon)


def order(i: int, state: LifecycleState = LifecycleState.DISPATCHED) -> Order:
    o = Order(
        ref=f"O-{i}",
        hub_ref="HUB",
        address=Address(f"Street {i}", spot(i), address_type=AddressType.HOUSE),
        window=TimeWindow(DAY, DAY + timedelta(hours=4)),
        zone_ref="Z1",
    )
    o.state = state
    return o


def plan(stops: int) -> Plan:
    visits = [
        Visit(f"O-{i}", (f"O-{i}",), DAY + timedelta(minutes=10 * (i + 1)),
              DAY + timedelta(minutes=10 * (i + 1)), DAY + timedelta(minutes=10 * (i + 1) + 2))
        for i in range(stops)
    ]  # fmt: skip
    route = Route("R1", "VAN-1", DAY, DAY + timedelta(hours=6), visits=visits)
    return Plan("P1", ("HUB",), "2026-11-24", routes=[route])


@dataclass
class World:
    url: str
    store: SqlTrackingStore

    def new_uow(self) -> SqlTrackingUnitOfWork:
        return SqlTrackingUnitOfWork(self.store._engine)


def build(url: str, stops: int = 3) -> Iterator[World]:
    migrate(url)
    engine = make_engine(url)
    store = SqlTrackingStore(engine)
    with SqlTrackingUnitOfWork(engine) as uow:
        uow.hubs.add(Hub("HUB", "Hub", HUB, "UTC", OpeningHours()))
        uow.vehicles.add(Vehicle("VAN-1", VehicleKind.VAN, "HUB", Load(1000, 1000, 100)))
        for i in range(stops):
            uow.orders.add(order(i))
        uow.plans.add(plan(stops))
        uow.commit()
    yield World(url, store)
    engine.dispose()
