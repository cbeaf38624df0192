"""The memory cache: each distinct request reaches the slow provider once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from lastmile.domain import Coordinate
from lastmile.geo.cache import CachedProvider
from lastmile.geo.haversine import HaversineProvider
from lastmile.geo.travel import Profile, TravelMatrix

A, B, C = Coordinate(60.16, 24.93), Coordinate(60.17, 24.95), Coordinate(60.18, 24.94)


class CountingProvider:
    """The real haversine provider, counting how often it is asked."""

    def __init__(self) -> None:
        self.calls = 0
        self.real = HaversineProvider()
        self.cache_token = self.real.cache_token

    def band(self, hour: int) -> str:
        return self.real.band(hour)

    def matrix(
        self,
        origins: Sequence[Coordinate],
        destinations: Sequence[Coordinate],
        *,
        profile: Profile = Profile.CAR,
        hour: int = 12,
    ) -> TravelMatrix:
        self.calls += 1
        return self.real.matrix(origins, destinations, profile=profile, hour=hour)


def test_repeating_a_request_is_served_from_memory_with_equal_values() -> None:
    inner = CountingProvider()
    cached = CachedProvider(inner)
    first = cached.matrix([A, B], [B, C])
    second = cached.matrix([A, B], [B, C])
    assert inner.calls == 1
    assert np.array_equal(first.durations_s, second.durations_s)
    assert np.array_equal(first.durations_s, inner.real.matrix([A, B], [B, C]).durations_s)


@pytest.mark.parametrize(
    "other",
    [
        {"origins": [B, A], "destinations": [B, C]},
        {"origins": [A, B], "destinations": [B, C], "profile": Profile.BICYCLE},
        {"origins": [A, B], "destinations": [B, C], "hour": 8},
    ],
)
def test_different_points_profile_or_band_are_different_entries(other: dict[str, object]) -> None:
    inner = CountingProvider()
    cached = CachedProvider(inner)
    cached.matrix([A, B], [B, C])
    cached.matrix(**other)  # type: ignore[arg-type]
    assert inner.calls == 2


def test_the_least_recently_used_entry_is_dropped_when_full() -> None:
    inner = CountingProvider()
    cached = CachedProvider(inner, max_entries=2)
    cached.matrix([A], [B])
    cached.matrix([A], [C])
    cached.matrix([A], [B])  # refreshes A->B
    cached.matrix([B], [C])  # evicts A->C
    cached.matrix([A], [B])
    assert inner.calls == 3
    cached.matrix([A], [C])
    assert inner.calls == 4


def test_a_caller_cannot_corrupt_a_cached_result_by_editing_it() -> None:
    cached = CachedProvider(HaversineProvider())
    result = cached.matrix([A, B], [A, B])
    with pytest.raises(ValueError, match="read-only"):
        result.durations_s[0, 1] = 0


def test_memory_is_bounded_in_bytes_not_only_in_entries() -> None:
    inner = CountingProvider()
    one_entry = 2 * 8 * 2 * 2  # two int64 arrays of 2 x 2
    cached = CachedProvider(inner, max_entries=10, max_bytes=2 * one_entry)
    for target in (A, B, C):
        cached.matrix([A, B], [target, A])
    cached.matrix([A, B], [C, A])  # still in memory
    assert inner.calls == 3
    cached.matrix([A, B], [A, A])  # the oldest was dropped to stay within the budget
    assert inner.calls == 4
