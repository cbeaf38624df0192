"""The zero-setup travel-time provider: great-circle distance x circuity, speed per profile.

Good enough to plan a city without any road data: real road distance in cities is typically
1.2-1.4 times the straight line, and a congestion curve makes a morning-peak matrix slower
than a midday one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np

from lastmile.domain import Coordinate, InvalidInput
from lastmile.geo.congestion import CongestionCurve, check_hour
from lastmile.geo.points import as_lat_lon, haversine_m
from lastmile.geo.travel import Profile, TravelMatrix

# Average door-to-door urban speeds (km/h) including junctions, before congestion.
DEFAULT_SPEEDS_KMH: Mapping[Profile, float] = MappingProxyType(
    {Profile.CAR: 32.0, Profile.TRUCK: 25.0, Profile.BICYCLE: 15.0, Profile.FOOT: 4.8}
)
DEFAULT_CIRCUITY = 1.3
# Rows per chunk keep the float temporaries of a 5,000 x 5,000 matrix to a few tens of MB.
_CELLS_PER_CHUNK = 2_000_000


class HaversineProvider:
    """Great-circle distance times a circuity factor, at a speed per profile and hour."""

    def __init__(
        self,
        *,
        circuity: float = DEFAULT_CIRCUITY,
        speeds_kmh: Mapping[Profile, float] | None = None,
        congestion: CongestionCurve | None = None,
    ) -> None:
        if not 1.0 <= circuity <= 3.0:
            raise InvalidInput(f"circuity must be within 1..3, got {circuity!r}", field="circuity")
        speeds = dict(DEFAULT_SPEEDS_KMH)
        speeds.update(speeds_kmh or {})
        for profile, speed in speeds.items():
            if not speed > 0:
                raise InvalidInput(
                    f"speed for {profile} must be positive, got {speed!r}", field="speeds_kmh"
                )
        self.circuity = circuity
        self.speeds_kmh: Mapping[Profile, float] = MappingProxyType(speeds)
        self.congestion = congestion or CongestionCurve()

    @property
    def cache_token(self) -> str:
        """Identifies this configuration so a disk cache never serves another's results."""
        speeds = ",".join(f"{p}={self.speeds_kmh[p]:g}" for p in sorted(self.speeds_kmh))
        curve = ",".join(f"{f:g}" for f in self.congestion.factors)
        return f"haversine:v1:{self.circuity:g}:{speeds}:{curve}"

    def band(self, hour: int) -> str:
        """Each hour has its own factor, so each hour is its own cache band."""
        return f"h{check_hour(hour):02d}"

    def matrix(
        self,
        origins: Sequence[Coordinate],
        destinations: Sequence[Coordinate],
        *,
        profile: Profile = Profile.CAR,
        hour: int = 12,
    ) -> TravelMatrix:
        """Durations (s) and distances (m) from every origin to every destination.

        Identical points (and so the diagonal of a square matrix) are exactly zero.
        """
        profile = Profile(profile)
        factor = self.congestion.factor(profile, hour)
        seconds_per_m = 3.6 / self.speeds_kmh[profile] * factor
        src = as_lat_lon(origins, "origins")
        dst = as_lat_lon(destinations, "destinations")
        distances = np.zeros((len(src), len(dst)), dtype=np.int64)
        durations = np.zeros((len(src), len(dst)), dtype=np.int64)
        step = max(1, _CELLS_PER_CHUNK // max(1, len(dst)))
        for start in range(0, len(src), step):
            road_m = haversine_m(src[start : start + step], dst) * self.circuity
            distances[start : start + step] = np.rint(road_m)
            durations[start : start + step] = np.rint(road_m * seconds_per_m)
        return TravelMatrix(durations_s=durations, distances_m=distances)
