"""The KPI scorecard of one day: every figure derived from a :class:`DayLog`'s facts.

Definitions and denominators (docs/analytics.md has the full table):

- on-time: delivered inside the promised window / orders with a promised window, cancelled
  excluded (failed, rescheduled and unserved orders count as not on time);
- OTIF: on time and in full / the same denominator;
- first-attempt: delivered on the first attempt / orders attempted at least once, cancelled
  excluded;
- completion: delivered / orders not cancelled;
- km, cost and CO2 per stop: the vehicles' totals / the stops they visited; stops per hour:
  stops / on-duty hours; time utilisation: driving plus service / on-duty time; capacity
  utilisation: peak load / capacity, over vehicles with a capacity;
- ETA: MAE of P50 over samples; coverage: arrivals inside [P10, P90] / samples carrying both;
  promise agreement: samples whose P50 was inside the promised window / samples whose actual
  arrival was inside it;
- dwell: quantiles of ``dwell_s`` over orders that have one.

Groups are zones and promised-window buckets (local time, see :mod:`buckets`). A vehicle
serves several groups, so its km, cost, CO2, stops and hours are shared out between groups in
proportion to the attempted orders it served in each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo

import numpy as np

from lastmile.analytics.buckets import NO_ZONE, window_key, zone_info, zone_key
from lastmile.analytics.daylog import (
    DayLog,
    DayOutcome,
    Delivery,
    ExceptionRaised,
    VehicleDay,
)
from lastmile.analytics.eta import EtaFact, accuracy, histogram, judge
from lastmile.analytics.model import (
    Counts,
    DwellStats,
    Fleet,
    KpiSet,
    Rate,
    Scorecard,
    VehicleKpis,
)
from lastmile.analytics.validate import validate
from lastmile.domain.values import TimeWindow

OVERALL = "overall"


@dataclass
class _Group:
    deliveries: list[Delivery] = field(default_factory=list)
    etas: list[EtaFact] = field(default_factory=list)
    exceptions: list[ExceptionRaised] = field(default_factory=list)


def score(log: DayLog) -> Scorecard:
    """Every KPI of ``log``, overall, by zone, by promised window and by vehicle.

    Raises :class:`~lastmile.domain.errors.InvalidInput` naming the first inconsistent row.
    """
    validate(log)
    orders = {d.order_ref: d for d in log.deliveries}
    etas: list[EtaFact] = []
    groups = _Groups(zone_info(log.timezone), log.day)
    for d in log.deliveries:
        groups.zone(d.zone).deliveries.append(d)
        groups.window(d.promised).deliveries.append(d)
    for sample in log.etas:
        order = orders.get(sample.order_ref)
        # A sample without its own promise is judged against its order's window.
        promised = sample.promised or (order.promised if order else None)
        fact = judge(sample, promised)
        etas.append(fact)
        groups.zone(sample.zone or (order.zone if order else "")).etas.append(fact)
        groups.window(promised).etas.append(fact)
    for exc in log.exceptions:
        order = orders.get(exc.order_ref or "")
        groups.zone(exc.zone or (order.zone if order else "")).exceptions.append(exc)
        if order is not None:  # a vehicle's exception belongs to no window
            groups.window(order.promised).exceptions.append(exc)

    served = _attempted_by_vehicle(log.deliveries)

    def kpis(name: str, group: _Group) -> KpiSet:
        return _kpis(name, group, _shares(group, log.vehicles, served))

    overall = _Group(list(log.deliveries), etas, list(log.exceptions))
    return Scorecard(
        day=log.day.isoformat(),
        timezone=log.timezone,
        policy=log.policy,
        seed=log.seed,
        overall=_kpis(OVERALL, overall, [(v, 1.0) for v in log.vehicles]),
        by_zone=[kpis(name, group) for name, group in groups.by_zone()],
        by_window=[kpis(name, group) for name, group in groups.by_window()],
        by_vehicle=[
            VehicleKpis(v.vehicle_ref, v.kind, fleet([(v, 1.0)]))
            for v in sorted(log.vehicles, key=lambda v: v.vehicle_ref)
        ],
        eta_errors=histogram(etas),
        notes=dict(sorted(log.notes.items())),
    )


class _Groups:
    """Rows sorted into zone groups and local promised-window buckets."""

    def __init__(self, tz: tzinfo, day: date) -> None:
        self._tz, self._day = tz, day
        self._zones: dict[str, _Group] = defaultdict(_Group)
        self._windows: dict[str, _Group] = defaultdict(_Group)
        self._order: dict[str, tuple[float, ...]] = {}
        self._labels: dict[tuple[float, float] | None, str] = {}  # label each window once

    def zone(self, zone: str) -> _Group:
        return self._zones[zone_key(zone)]

    def window(self, promised: TimeWindow | None) -> _Group:
        # Keyed by instants: two local 03:30s of the autumn fold compare equal as datetimes.
        key = None if promised is None else (promised.start.timestamp(), promised.end.timestamp())
        label = self._labels.get(key)
        if label is None:
            label, order = window_key(promised, self._tz, self._day)
            self._labels[key], self._order[label] = label, order
        return self._windows[label]

    def by_zone(self) -> list[tuple[str, _Group]]:
        """Zones by name, the group of rows without a zone last."""
        return sorted(self._zones.items(), key=lambda item: (item[0] == NO_ZONE, item[0]))

    def by_window(self) -> list[tuple[str, _Group]]:
        """Windows in chronological order, orders without a promise last."""
        return sorted(self._windows.items(), key=lambda item: self._order[item[0]])


def _attempted_by_vehicle(deliveries: Sequence[Delivery]) -> dict[str, int]:
    served: dict[str, int] = defaultdict(int)
    for d in deliveries:
        if d.vehicle_ref is not None and d.attempts >= 1:
            served[d.vehicle_ref] += 1
    return served


def _shares(
    group: _Group, vehicles: Sequence[VehicleDay], served: dict[str, int]
) -> list[tuple[VehicleDay, float]]:
    """Each vehicle's share of its day that belongs to this group (its attempted orders here
    over all the orders it attempted)."""
    here = _attempted_by_vehicle(group.deliveries)
    return [
        (v, here[v.vehicle_ref] / served[v.vehicle_ref]) for v in vehicles if here[v.vehicle_ref]
    ]


def _kpis(name: str, group: _Group, shares: Sequence[tuple[VehicleDay, float]]) -> KpiSet:
    ds = group.deliveries
    live = [d for d in ds if d.outcome != DayOutcome.CANCELLED]
    promised = [d for d in live if d.promised is not None]
    on_time = [d for d in promised if _on_time(d)]
    attempted = [d for d in live if d.attempts >= 1]
    kinds: dict[str, int] = defaultdict(int)
    for exc in group.exceptions:
        kinds[exc.kind] += 1
    return KpiSet(
        group=name,
        counts=_counts(ds),
        on_time=Rate.of(len(on_time), len(promised)),
        otif=Rate.of(sum(1 for d in on_time if d.in_full), len(promised)),
        first_attempt=Rate.of(
            sum(1 for d in attempted if d.outcome == DayOutcome.DELIVERED and d.attempts == 1),
            len(attempted),
        ),
        completion=Rate.of(sum(1 for d in live if d.outcome == DayOutcome.DELIVERED), len(live)),
        fleet=fleet(shares),
        eta=accuracy(group.etas),
        dwell=dwell_stats([d.dwell_s for d in ds if d.dwell_s is not None]),
        exceptions_total=len(group.exceptions),
        exceptions=dict(sorted(kinds.items())),
    )


def _on_time(d: Delivery) -> bool:
    return (
        d.outcome == DayOutcome.DELIVERED
        and d.promised is not None
        and d.completed_at is not None
        and d.promised.contains(d.completed_at)
    )


def _counts(ds: Sequence[Delivery]) -> Counts:
    by: dict[str, int] = defaultdict(int)
    for d in ds:
        by[DayOutcome(d.outcome).value] += 1
    return Counts(
        orders=len(ds),
        delivered=by[DayOutcome.DELIVERED.value],
        failed=by[DayOutcome.FAILED.value],
        rescheduled=by[DayOutcome.RESCHEDULED.value],
        cancelled=by[DayOutcome.CANCELLED.value],
        unserved=by[DayOutcome.UNSERVED.value],
        attempted=sum(1 for d in ds if d.attempts >= 1 and d.outcome != DayOutcome.CANCELLED),
        promised=sum(1 for d in ds if d.promised is not None and d.outcome != DayOutcome.CANCELLED),
    )


def fleet(shares: Sequence[tuple[VehicleDay, float]]) -> Fleet:
    """Vehicle totals weighted by each vehicle's share, and the ratios of those totals."""
    km = sum((w * v.km for v, w in shares), 0.0)
    cost = sum((w * v.cost for v, w in shares), 0.0)
    co2 = sum((w * v.co2_g for v, w in shares), 0.0)
    stops = sum((w * v.stops_completed for v, w in shares), 0.0)
    on_duty_h = sum((w * v.on_duty_s for v, w in shares), 0.0) / 3600
    busy_h = sum((w * (v.driving_s + v.service_s) for v, w in shares), 0.0) / 3600
    sized = [(v, w) for v, w in shares if v.capacity_parcels > 0]
    peak = sum((w * v.peak_load_parcels for v, w in sized), 0.0)
    capacity = sum((w * v.capacity_parcels for v, w in sized), 0.0)
    return Fleet(
        km=km,
        cost=cost,
        co2_g=co2,
        stops=stops,
        on_duty_h=on_duty_h,
        busy_h=busy_h,
        peak_load_parcels=peak,
        capacity_parcels=capacity,
        km_per_stop=_ratio(km, stops),
        cost_per_stop=_ratio(cost, stops),
        co2_g_per_stop=_ratio(co2, stops),
        stops_per_hour=_ratio(stops, on_duty_h),
        time_utilisation=_ratio(busy_h, on_duty_h),
        capacity_utilisation=_ratio(peak, capacity),
    )


def dwell_stats(values: Sequence[float]) -> DwellStats:
    """Quantiles of dwell seconds (numpy's default linear interpolation)."""
    if not values:
        return DwellStats(0, None, None, None, None, None)
    q = [float(x) for x in np.percentile(np.array(values, dtype=float), [10, 25, 50, 75, 90])]
    return DwellStats(len(values), q[0], q[1], q[2], q[3], q[4])


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None
