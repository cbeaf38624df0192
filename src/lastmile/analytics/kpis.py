"""The headline KPIs as data: name, label, unit, which way is better, and where to read it.

One list serves the printed tables, the HTML report and the policy comparison, so a KPI is
named, formatted and judged the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from lastmile.analytics.model import KpiSet

Better = Literal["higher", "lower"]
DASH = "–"


@dataclass(frozen=True)
class Kpi:
    """A headline KPI; ``better`` is None where neither direction is good in itself."""

    name: str
    label: str
    unit: str  # "share", "km", "money", "g", "/h", "min", "s", "count"
    better: Better | None
    read: Callable[[KpiSet], float | None]


HEADLINE: tuple[Kpi, ...] = (
    Kpi("on_time", "On time in window", "share", "higher", lambda k: k.on_time.value),
    Kpi("otif", "OTIF", "share", "higher", lambda k: k.otif.value),
    Kpi(
        "first_attempt", "First-attempt success", "share", "higher", lambda k: k.first_attempt.value
    ),
    Kpi(
        "completion",
        "Delivered (of not cancelled)",
        "share",
        "higher",
        lambda k: k.completion.value,
    ),
    Kpi("km_per_stop", "km per stop", "km", "lower", lambda k: k.fleet.km_per_stop),
    Kpi("cost_per_stop", "Cost per stop", "money", "lower", lambda k: k.fleet.cost_per_stop),
    Kpi("co2_g_per_stop", "CO2 per stop", "g", "lower", lambda k: k.fleet.co2_g_per_stop),
    Kpi(
        "stops_per_hour", "Stops per on-duty hour", "/h", "higher", lambda k: k.fleet.stops_per_hour
    ),
    Kpi(
        "time_utilisation",
        "Vehicle time utilisation",
        "share",
        "higher",
        lambda k: k.fleet.time_utilisation,
    ),
    Kpi(
        "capacity_utilisation",
        "Vehicle capacity utilisation",
        "share",
        "higher",
        lambda k: k.fleet.capacity_utilisation,
    ),
    Kpi("eta_mae_min", "ETA P50 error (MAE)", "min", "lower", lambda k: k.eta.mae_p50_min),
    # An 80% interval should hold about 80% of arrivals: more is not better, only wider.
    Kpi(
        "eta_within_p10_p90",
        "Arrivals inside P10–P90",
        "share",
        None,
        lambda k: k.eta.within_p10_p90.value,
    ),
    Kpi(
        "eta_p50_in_window",
        "ETA inside window when arrival was",
        "share",
        "higher",
        lambda k: k.eta.p50_in_window.value,
    ),
    Kpi("dwell_median_s", "Dwell median", "s", None, lambda k: k.dwell.median_s),
    Kpi("dwell_p90_s", "Dwell P90", "s", None, lambda k: k.dwell.p90_s),
    # More exceptions can mean more trouble or better detection (a dynamic policy raises its
    # own deferrals): a difference is reported, not judged.
    Kpi("exceptions", "Exceptions raised", "count", None, lambda k: float(k.exceptions_total)),
    Kpi("unserved", "Unserved orders", "count", "lower", lambda k: float(k.counts.unserved)),
)

BY_NAME = {k.name: k for k in HEADLINE}


def fmt(unit: str, value: float | None, *, signed: bool = False) -> str:
    """A value for people: shares as percentages, the rest to a sensible precision."""
    if value is None:
        return DASH
    sign = "+" if signed else ""
    if unit == "share":
        return f"{value * 100:{sign}.1f}{' pp' if signed else '%'}"
    if unit == "count":
        return f"{value:{sign},.0f}" if float(value).is_integer() else f"{value:{sign},.2f}"
    if unit == "g":
        return f"{value:{sign},.0f} g"
    if unit == "s":
        return f"{value:{sign},.0f} s"
    suffix = {"km": " km", "min": " min", "/h": "/h", "money": ""}.get(unit, "")
    return f"{value:{sign},.2f}{suffix}"
