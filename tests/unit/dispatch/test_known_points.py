"""Matrices remembered across re-plans give exactly the provider's own figures."""

from __future__ import annotations

import numpy as np
import pytest

from lastmile.dispatch import known_points as kp
from lastmile.dispatch.known_points import KnownPoints, known_points
from lastmile.geo.haversine import HaversineProvider
from lastmile.geo.travel import Profile

from .day import point


def test_slices_of_the_remembered_matrix_equal_the_providers_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kp, "SMALL_CELLS", 0)
    base = HaversineProvider()
    cache = KnownPoints(base)
    first = [point(i * 0.7, (i * 3) % 11 * 0.5) for i in range(30)]
    later = [point(-i * 0.4, i * 0.9) for i in range(25)]
    for origins, destinations in ((first, first), (first + later, later), (later, first[::-1])):
        for hour in (8, 17):
            got = cache.matrix(origins, destinations, profile=Profile.CAR, hour=hour)
            want = base.matrix(origins, destinations, profile=Profile.CAR, hour=hour)
            assert np.array_equal(got.durations_s, want.durations_s)
            assert np.array_equal(got.distances_m, want.distances_m)
    assert len(cache.points) == len(set(first + later))


def test_a_new_provider_gets_a_new_memory() -> None:
    base = HaversineProvider()
    cache = known_points(None, base)
    assert known_points(cache, base) is cache
    assert known_points(cache, HaversineProvider()) is not cache
