"""How the people and things of the simulated city behave: every draw is seeded.

Numbers are broad strokes from what city carriers report, not fitted to any one city:
leg times scatter log-normally around the travel-time provider's figure, a doorstep takes
longer in an apartment block than at a house, about one customer in twenty is out at
midday and fewer in the evening, a safe-drop or a locker never fails, a van breaks down
about once in fifty days of driving. Every knob is in :class:`Knobs`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from lastmile.domain import AddressType, FailureReason, Preference

#: True mean seconds at the door by address type (planning's defaults differ on purpose:
#: the platform learns the street only from what it sees).
DOORSTEP_S = {
    AddressType.HOUSE: 110.0,
    AddressType.APARTMENT: 280.0,
    AddressType.BUSINESS: 200.0,
    AddressType.LOCKER: 50.0,
    AddressType.UNKNOWN: 190.0,
}
#: How much more (or less) likely nobody is home, by local hour.
NOT_HOME_BY_HOUR = {
    7: 0.8, 8: 0.9, 9: 1.2, 10: 1.4, 11: 1.5, 12: 1.5, 13: 1.5, 14: 1.4, 15: 1.2,
    16: 1.0, 17: 0.8, 18: 0.6, 19: 0.55, 20: 0.6, 21: 0.8,
}  # fmt: skip
#: Why a doorstep attempt fails, when it does.
FAILURES = {
    FailureReason.NOT_HOME: 0.82,
    FailureReason.ACCESS_DENIED: 0.08,
    FailureReason.ADDRESS_NOT_FOUND: 0.05,
    FailureReason.REFUSED: 0.05,
}


@dataclass(frozen=True)
class Knobs:
    """Every stochastic model's parameters, with the defaults the benchmarks use."""

    travel_sigma: float = 0.25  # log-normal sigma of a leg's time around the provider's
    driver_pace_sigma: float = 0.08  # each driver's own pace, for the whole day
    service_sigma: float = 0.35
    not_home_scale: float = 1.4  # times each zone's not-home rate
    breakdown_per_driving_hour: float = 0.02
    line_haul_late_probability: float = 0.6  # a hub's morning parcels arrive late
    line_haul_late_share: float = 0.2  # share of that hub's next-day parcels affected
    same_day_slip_probability: float = 0.25  # per batch of same-day parcels
    weather_probability: float = 0.7
    weather_factor: tuple[float, float] = (1.3, 1.8)
    weather_hours: tuple[int, int] = (2, 4)
    cancel_rate: float = 0.01

    def __post_init__(self) -> None:
        for name in ("travel_sigma", "driver_pace_sigma", "service_sigma", "not_home_scale"):
            if getattr(self, name) < 0:
                raise ValueError(f"knob {name} must not be negative")
        for name in (
            "line_haul_late_probability",
            "line_haul_late_share",
            "same_day_slip_probability",
            "weather_probability",
            "cancel_rate",
        ):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"knob {name} must be a probability, got {getattr(self, name)}")


def mean_one_lognormal(rng: random.Random, sigma: float) -> float:
    """A positive factor with mean 1 (log-normal with mu = -sigma^2 / 2)."""
    if sigma <= 0:
        return 1.0
    return rng.lognormvariate(-sigma * sigma / 2.0, sigma)


def leg_factor(rng: random.Random, sigma: float) -> float:
    """How much longer (or shorter) this leg takes than the provider says, clipped so a
    van never teleports and never crawls."""
    return min(3.0, max(0.6, mean_one_lognormal(rng, sigma)))


def doorstep_s(
    rng: random.Random, address_type: AddressType, planned_s: int | None, sigma: float
) -> float:
    """Seconds at the door; bulky goods keep their own (longer) planned time as the mean."""
    mean = float(planned_s) if planned_s and planned_s >= 300 else DOORSTEP_S[address_type]
    return max(20.0, mean * mean_one_lognormal(rng, sigma))


def not_home_probability(
    zone_rate: float,
    local_hour: int,
    address_type: AddressType,
    preferences: Sequence[Preference],
    scale: float = 1.0,
) -> float:
    """Chance that a doorstep attempt fails, by zone, hour and the customer's preference."""
    if Preference.SAFE_DROP in preferences or Preference.LOCKER in preferences:
        return 0.0
    if address_type is AddressType.LOCKER:
        return 0.0
    p = zone_rate * scale * NOT_HOME_BY_HOUR.get(local_hour, 1.0)
    if address_type is AddressType.BUSINESS:
        p = 0.02 if 9 <= local_hour < 17 else 0.6  # open in office hours, closed otherwise
    if Preference.NEIGHBOUR in preferences:
        p *= 0.3
    return min(0.9, p)


def failure_reason(rng: random.Random) -> FailureReason:
    return rng.choices(list(FAILURES), weights=list(FAILURES.values()))[0]


def hours_until_breakdown(rng: random.Random, per_hour: float) -> float:
    """Driving hours before this vehicle breaks down (memoryless: exponential)."""
    if per_hour <= 0:
        return math.inf
    return rng.expovariate(per_hour)
