"""Weather slowdowns: travel into a zone takes longer, for every later plan of the day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lastmile.domain import Coordinate, InvalidInput, Zone
from lastmile.geo.travel import Profile, TravelMatrix, TravelTimeProvider


@dataclass(frozen=True)
class SlowedProvider:
    """Wraps a provider: legs ending in a slowed zone take ``factor`` times as long."""

    base: TravelTimeProvider
    zones: tuple[tuple[Zone, float], ...]

    def matrix(
        self,
        origins: Sequence[Coordinate],
        destinations: Sequence[Coordinate],
        *,
        profile: Profile = Profile.CAR,
        hour: int = 12,
    ) -> TravelMatrix:
        from lastmile.geo.zones import outside_every_zone

        m = self.base.matrix(origins, destinations, profile=profile, hour=hour)
        factors = np.ones(len(destinations))
        for zone, factor in self.zones:
            inside = ~outside_every_zone(destinations, [zone])
            factors = np.where(inside, np.maximum(factors, factor), factors)
        durations = np.rint(m.durations_s * factors[np.newaxis, :]).astype(np.int64)
        return TravelMatrix(durations, m.distances_m)


def slowed(provider: TravelTimeProvider, zone: Zone, factor: float) -> SlowedProvider:
    """``provider`` with one more slowed zone (a later report for a zone replaces it)."""
    if not 1.0 <= factor <= 10.0:
        raise InvalidInput("a slowdown factor must be between 1 and 10", field="factor")
    if isinstance(provider, SlowedProvider):
        others = tuple((z, f) for z, f in provider.zones if z.ref != zone.ref)
        return SlowedProvider(provider.base, (*others, (zone, factor)))
    return SlowedProvider(provider, ((zone, factor),))
