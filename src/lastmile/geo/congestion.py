"""Hour-of-day congestion: how much longer a motorised trip takes than at free flow.

Both the haversine and the road-network provider share one curve so that a plan built at
08:00 sees the morning peak whatever the provider. Bicycles and pedestrians are not slowed by
traffic, so their factor is always 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lastmile.domain import InvalidInput
from lastmile.geo.travel import Profile

# Multiplier on free-flow travel time per hour 0..23: a morning peak around 08:00, a lighter
# midday, an evening peak around 17:00, and free flow at night. Shaped after typical urban
# TomTom-index curves (peak +40..60 %).
DEFAULT_CURVE: tuple[float, ...] = (
    1.00, 1.00, 1.00, 1.00, 1.00, 1.02,  # 00-05
    1.10, 1.35, 1.55, 1.40, 1.20, 1.18,  # 06-11
    1.20, 1.18, 1.15, 1.22, 1.40, 1.55,  # 12-17
    1.45, 1.25, 1.12, 1.06, 1.03, 1.01,  # 18-23
)  # fmt: skip

MOTORISED: frozenset[Profile] = frozenset({Profile.CAR, Profile.TRUCK})

# Named departure bands, for people and for cache keys of providers that are banded.
BANDS: tuple[tuple[str, range], ...] = (
    ("night", range(0, 6)),
    ("morning_peak", range(6, 10)),
    ("midday", range(10, 16)),
    ("evening_peak", range(16, 19)),
    ("evening", range(19, 24)),
)


def check_hour(hour: int) -> int:
    """Refuse anything but a whole hour of the day, naming the field."""
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        raise InvalidInput(f"hour must be a whole number within 0..23, got {hour!r}", field="hour")
    return hour


def band_name(hour: int) -> str:
    """The named departure band an hour falls in (``morning_peak`` for 08)."""
    check_hour(hour)
    return next(name for name, hours in BANDS if hour in hours)


@dataclass(frozen=True)
class CongestionCurve:
    """Per-hour multipliers (≥ 1 means slower) applied to motorised profiles only."""

    factors: tuple[float, ...] = DEFAULT_CURVE

    def __post_init__(self) -> None:
        if len(self.factors) != 24:
            raise InvalidInput(
                f"a congestion curve needs 24 hourly factors, got {len(self.factors)}",
                field="congestion",
            )
        for hour, value in enumerate(self.factors):
            if not value > 0:
                raise InvalidInput(
                    f"congestion factor for hour {hour} must be positive, got {value!r}",
                    field="congestion",
                )

    @classmethod
    def free_flow(cls) -> CongestionCurve:
        """No time dependency at all (useful to compare against a live server)."""
        return cls((1.0,) * 24)

    @classmethod
    def of(cls, factors: Sequence[float]) -> CongestionCurve:
        return cls(tuple(float(f) for f in factors))

    def factor(self, profile: Profile, hour: int) -> float:
        """Multiplier on free-flow duration for this profile departing in this hour."""
        check_hour(hour)
        return self.factors[hour] if profile in MOTORISED else 1.0
