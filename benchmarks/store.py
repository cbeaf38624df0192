"""Storage throughput: import, idempotent re-import, paged listing and journey updates.

Runs each step on the in-memory store, a SQLite file and (if reachable) a scratch PostgreSQL
database, with the same seeded orders. Figures are wall-clock seconds on whatever machine runs
it; on a shared 2-core box they are noisy, so the load average is recorded beside them.

    python benchmarks/store.py                    # 1,000 and 10,000 orders
    python benchmarks/store.py --orders 2000 --backends sqlite memory
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lastmile.dispatch.ports import UnitOfWork
from lastmile.domain import Address, Coordinate, Hub, Item, LifecycleState, Order, TimeWindow
from scratch import scratch_database, write_report

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "store.json"
STEPS = ("import", "re-import unchanged", "list one day in pages of 500", "advance all to ready")


def make_orders(n: int, seed: int = 7) -> list[Order]:
    rng = random.Random(seed)
    day = datetime(2026, 11, 24, 7, tzinfo=UTC)
    orders = []
    for i in range(n):
        start = day + timedelta(hours=rng.randrange(0, 12))
        orders.append(
            Order(
                ref=f"ORD-{i:07d}",
                hub_ref="HUB-1",
                address=Address(
                    raw=f"Street {i}, Helsinki",
                    coordinate=Coordinate(60.1 + rng.random() / 10, 24.9 + rng.random() / 10),
                    street="Street",
                    house_number=str(i),
                    city="Helsinki",
                ),
                window=TimeWindow(start, start + timedelta(hours=2)),
                items=(Item("SKU", count=rng.randint(1, 3), weight_g=rng.randint(100, 5000)),),
                zone_ref=f"Z-{rng.randrange(20)}",
                created_at=day - timedelta(days=1),
            )
        )
    return orders


@contextmanager
def backend(name: str) -> Iterator[Callable[[], UnitOfWork]]:
    from lastmile.bootstrap import init_database, memory_uow_factory, uow_factory

    if name == "memory":
        yield memory_uow_factory()
        return
    with scratch_database(name) as url:
        factory = uow_factory(init_database(url))
        yield factory
        factory.dispose()


def run_steps(new_uow: Callable[[], UnitOfWork], n: int) -> dict[str, float]:
    orders = make_orders(n)
    timings: dict[str, float] = {}

    def timed(step: str, work: Callable[[UnitOfWork], None]) -> None:
        start = time.perf_counter()
        with new_uow() as uow:
            work(uow)
            uow.commit()
        timings[step] = round(time.perf_counter() - start, 3)

    def import_all(uow: UnitOfWork) -> None:
        uow.hubs.add(Hub("HUB-1", "Helsinki", Coordinate(60.17, 24.94), "Europe/Helsinki"))
        for order in orders:
            uow.orders.add(order)

    def list_day(uow: UnitOfWork) -> None:
        seen, cursor = 0, None
        while page := uow.orders.list_by(service_date="2026-11-24", limit=500, after_ref=cursor):
            seen, cursor = seen + len(page), page[-1].ref
        assert seen == n, f"listed {seen} of {n}"

    def advance(uow: UnitOfWork) -> None:
        for order in uow.orders.list_by(hub_ref="HUB-1"):
            order.advance(LifecycleState.READY, actor="bench")

    timed(STEPS[0], import_all)
    timed(STEPS[1], import_all)
    timed(STEPS[2], list_day)
    timed(STEPS[3], advance)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", nargs="*", type=int, default=[1_000, 10_000])
    parser.add_argument(
        "--backends", nargs="*", default=["memory", "sqlite", "postgresql"],
        choices=["memory", "sqlite", "postgresql"],
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = []
    for n in args.orders:
        for name in args.backends:
            load = os.getloadavg()[0]
            with backend(name) as new_uow:
                timings = run_steps(new_uow, n)
            runs.append({"backend": name, "orders": n, "seconds": timings, "load": load})
    report = write_report("store.py", runs, args.out)
    show(report)


def show(report: dict[str, object]) -> None:
    table = Table(title=f"store throughput, seconds ({report['machine']})")
    for column in ("backend", "orders", *STEPS, "load avg"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    runs = report["runs"]
    assert isinstance(runs, list)
    for run in runs:
        secs = run["seconds"]
        table.add_row(
            run["backend"], f"{run['orders']:,}", *(f"{secs[s]:.2f}" for s in STEPS),
            f"{run['load']:.1f}",
        )  # fmt: skip
    Console().print(table)


if __name__ == "__main__":
    main()
