"""A small simulated day end to end, under both policies: the platform's invariants hold.

Every order ends delivered, failed with a reason, rescheduled with a reason or cancelled; no
parcel is on two vans at once (read from the scans the platform journalled); every delivered
order has a journey and a verifiable proof of delivery in the store; the KPIs add up; and the
same seed gives the same day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from lastmile.analytics.daylog import DayLog, DayOutcome
from lastmile.bootstrap import SqlUnitOfWorkFactory, init_database
from lastmile.domain.enums import LifecycleState, Outcome
from lastmile.sim.day import SimConfig, SimulatedDay, memory_backend, simulate, sql_backend
from lastmile.tracking.model import Scan, ScanKind
from lastmile.tracking.pod import verify

SMALL = SimConfig(
    orders=60, vehicles=4, seed=3, plan_work=8_000, replan_work=1_500, replan_every_s=1800.0
)


@pytest.fixture(scope="module")
def days() -> dict[str, SimulatedDay]:
    return {p: simulate(replace(SMALL, policy=p), memory_backend()) for p in ("static", "dynamic")}


def test_every_order_ends_delivered_failed_rescheduled_or_cancelled_with_a_reason(
    days: dict[str, SimulatedDay],
) -> None:
    for day in days.values():
        log = day.log
        assert len(log.deliveries) == SMALL.orders
        assert {d.order_ref for d in log.deliveries} == set(day.parcels)
        for d in log.deliveries:
            assert d.outcome is not DayOutcome.UNSERVED, d
            if d.outcome is DayOutcome.FAILED:
                assert d.failure_reason and d.attempts >= 1 and d.reschedule_reason
            if d.outcome is DayOutcome.RESCHEDULED:
                assert d.reschedule_reason and d.attempts == 0
            if d.outcome is DayOutcome.DELIVERED:
                assert d.completed_at is not None and d.vehicle_ref is not None


def test_no_driver_rings_before_the_promised_window_opens(days: dict[str, SimulatedDay]) -> None:
    waited = 0
    for day in days.values():
        served = 0
        for d in day.log.deliveries:
            if d.promised is None or d.completed_at is None or d.arrived_at is None:
                continue
            served += 1
            opens = d.promised.start
            assert d.completed_at > opens, f"{d.order_ref} served before its window opened"
            if d.arrived_at < opens and d.attempts == 1:  # arrived early, waited at the door
                waited += 1
                assert d.dwell_s is not None
                assert d.dwell_s >= (opens - d.arrived_at).total_seconds()
            elif d.dwell_s is not None:  # the last visit began after the first (dwell at 0.1 s)
                assert d.completed_at - d.arrived_at >= timedelta(seconds=d.dwell_s - 0.1)
        assert served > 0
    assert waited > 0


def test_no_parcel_is_ever_on_two_vans(days: dict[str, SimulatedDay]) -> None:
    for day in days.values():
        with day.backend.uow() as uow:
            for ref in day.parcels:
                _one_van_at_a_time(ref, [r.scan for r in uow.scans.for_order(ref)])


def _one_van_at_a_time(ref: str, scans: list[Scan]) -> None:
    on: str | None = None
    for scan in scans:
        kind, device = scan.kind, scan.device_id
        if kind is ScanKind.LOADED:
            assert on is None, f"{ref} loaded on {device} while on {on}"
            on = device
        elif kind is ScanKind.RETURNED:
            assert on == device, f"{ref} returned by {device} but it was on {on}"
            on = None
        elif kind in (ScanKind.DELIVERED, ScanKind.ATTEMPTED) and on is not None:
            assert on == device, f"{ref} served by {device} but it was on {on}"


def test_every_delivered_order_has_a_journey_and_a_proof_of_delivery(
    days: dict[str, SimulatedDay],
) -> None:
    for day in days.values():
        _journeys_and_pods(day)


def _journeys_and_pods(day: SimulatedDay) -> None:
    delivered = [d for d in day.log.deliveries if d.outcome is DayOutcome.DELIVERED]
    assert delivered
    with day.backend.uow() as uow:
        for d in delivered:
            order = uow.orders.get(d.order_ref)
            assert order is not None
            assert order.state is LifecycleState.COMPLETED and order.outcome is Outcome.DELIVERED
            steps = [row["to_state"] for row in uow.scans.timeline(d.order_ref)]
            assert "completed" in steps, steps
            pods = day.backend.store.pods(d.order_ref)
            assert d.has_pod and pods and all(verify(p) for p in pods)


def test_the_kpis_add_up(days: dict[str, SimulatedDay]) -> None:
    for day in days.values():
        log = day.log
        counts = Counter(d.outcome for d in log.deliveries)
        assert sum(counts.values()) == SMALL.orders
        for v in log.vehicles:
            van = day.vans[v.vehicle_ref]
            assert v.km == pytest.approx(sum(van.legs_m) / 1000.0, abs=1e-3)
            assert v.driving_s + v.service_s + v.waiting_s <= v.on_duty_s + 1.0 or v.km == 0
        visits = sum(v.stops_completed for v in log.vehicles)
        assert visits == sum(d.attempts for d in log.deliveries)
        assert all(e.actual >= e.issued_at for e in log.etas)


def test_the_dynamic_policy_reacts_and_the_static_one_does_not(
    days: dict[str, SimulatedDay],
) -> None:
    static, dynamic = days["static"].log, days["dynamic"].log
    assert static.notes["replans"] == "0"
    assert int(dynamic.notes["replans"]) > 0
    late_orders = [d for d in static.deliveries if d.created_at and d.reschedule_reason]
    assert any("after the morning plan" in (d.reschedule_reason or "") for d in late_orders)


def test_the_same_seed_gives_the_same_day(days: dict[str, SimulatedDay]) -> None:
    again = simulate(replace(SMALL, policy="dynamic"), memory_backend()).log
    _same(days["dynamic"].log, again)


def _same(a: DayLog, b: DayLog) -> None:
    assert a.deliveries == b.deliveries
    assert a.vehicles == b.vehicles
    assert a.exceptions == b.exceptions
    assert a.etas == b.etas


@pytest.fixture
def sql_day(database_url: str) -> Iterator[SimulatedDay]:
    factory = SqlUnitOfWorkFactory(init_database(database_url))
    try:
        # The SQL path is the slow one: a smaller day, re-planned hourly.
        config = replace(SMALL, orders=50, vehicles=3, policy="dynamic", replan_every_s=3600.0)
        yield simulate(config, sql_backend(factory))
    finally:
        factory.dispose()


@pytest.mark.storage
def test_a_day_on_the_sql_store_keeps_the_same_invariants(sql_day: SimulatedDay) -> None:
    _journeys_and_pods(sql_day)
    with sql_day.backend.uow() as uow:
        for ref in sql_day.parcels:
            _one_van_at_a_time(ref, [r.scan for r in uow.scans.for_order(ref)])
        plan = uow.plans.get(sql_day.platform.plan_ref)
    assert plan is not None and plan.routes
    pings, rejected = sql_day.backend.store.counts()
    assert pings > 0 and rejected == 0
