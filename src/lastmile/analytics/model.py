"""The scorecard's shape: a tree of frozen dataclasses that serialises to JSON deterministically.

Every rate keeps its numerator and denominator next to its value, so a reader can check a
figure and a group with nothing to measure says so (``value is None``) instead of dividing by
zero. See docs/analytics.md for the definition and denominator of each KPI.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rate:
    """``numerator / denominator``; ``value`` is None when the denominator is zero."""

    numerator: int
    denominator: int
    value: float | None

    @classmethod
    def of(cls, numerator: int, denominator: int) -> Rate:
        return cls(numerator, denominator, numerator / denominator if denominator else None)


@dataclass(frozen=True)
class Counts:
    """Orders of a group by how they ended the day (the five outcomes sum to ``orders``)."""

    orders: int
    delivered: int
    failed: int
    rescheduled: int
    cancelled: int
    unserved: int
    attempted: int  # orders with at least one doorstep attempt today
    promised: int  # orders with a promised window, cancelled excluded


@dataclass(frozen=True)
class Fleet:
    """Vehicle figures of a group; for a zone or window, each vehicle's day is shared out in
    proportion to the attempted orders it served there (see docs/analytics.md)."""

    km: float
    cost: float
    co2_g: float
    stops: float
    on_duty_h: float
    busy_h: float  # driving plus service time
    peak_load_parcels: float
    capacity_parcels: float
    km_per_stop: float | None
    cost_per_stop: float | None
    co2_g_per_stop: float | None
    stops_per_hour: float | None
    time_utilisation: float | None
    capacity_utilisation: float | None


@dataclass(frozen=True)
class EtaAccuracy:
    """How good the ETAs were: P50 error, interval coverage, agreement with the promise."""

    samples: int
    mae_p50_min: float | None
    within_p10_p90: Rate  # over samples that carry both P10 and P90
    p50_in_window: Rate  # over samples with a promise whose actual arrival was inside it


@dataclass(frozen=True)
class DwellStats:
    """Quantiles (numpy's linear interpolation) of time at the stop, in seconds."""

    count: int
    p10_s: float | None
    p25_s: float | None
    median_s: float | None
    p75_s: float | None
    p90_s: float | None


@dataclass(frozen=True)
class KpiSet:
    """Every KPI for one group: the whole day, one zone, or one promised-window bucket."""

    group: str
    counts: Counts
    on_time: Rate
    otif: Rate
    first_attempt: Rate
    completion: Rate  # delivered / orders not cancelled
    fleet: Fleet
    eta: EtaAccuracy
    dwell: DwellStats
    exceptions_total: int
    exceptions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class VehicleKpis:
    """One vehicle's day, for the per-vehicle chart and table."""

    vehicle_ref: str
    kind: str
    fleet: Fleet


@dataclass(frozen=True)
class Histogram:
    """Counts of ETA errors (actual minus P50, minutes) in fixed bins, plus the tails."""

    edges_min: list[float]
    counts: list[int]
    below: int
    above: int


@dataclass(frozen=True)
class Scorecard:
    """The KPIs of one day under one policy: overall, by zone, by window, by vehicle."""

    day: str
    timezone: str
    policy: str
    seed: int | None
    overall: KpiSet
    by_zone: list[KpiSet]
    by_window: list[KpiSet]
    by_vehicle: list[VehicleKpis]
    eta_errors: Histogram
    notes: dict[str, str] = field(default_factory=dict)
