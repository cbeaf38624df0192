"""The disk cache: a matrix survives a restart and a damaged file is recomputed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lastmile.domain import Coordinate, InvalidInput
from lastmile.geo.cache import CachedProvider
from lastmile.geo.haversine import HaversineProvider
from tests.unit.geo.test_cache import CountingProvider

POINTS = [Coordinate(60.16, 24.93), Coordinate(60.17, 24.95), Coordinate(60.18, 24.94)]


def test_a_new_process_reads_the_matrix_from_disk_instead_of_recomputing(tmp_path: Path) -> None:
    first = CachedProvider(HaversineProvider(), tmp_path)
    expected = first.matrix(POINTS, POINTS, hour=8)
    inner = CountingProvider()
    second = CachedProvider(inner, tmp_path)
    found = second.matrix(POINTS, POINTS, hour=8)
    assert inner.calls == 0
    assert second.disk_hits == 1
    assert np.array_equal(found.durations_s, expected.durations_s)
    assert np.array_equal(found.distances_m, expected.distances_m)


def test_another_provider_configuration_does_not_reuse_the_files(tmp_path: Path) -> None:
    CachedProvider(HaversineProvider(circuity=1.3), tmp_path).matrix(POINTS, POINTS)
    other = CachedProvider(HaversineProvider(circuity=1.5), tmp_path)
    result = other.matrix(POINTS, POINTS)
    assert other.disk_hits == 0
    assert result.distances_m[0, 1] > 0


def test_a_damaged_cache_file_is_recomputed_and_rewritten(tmp_path: Path) -> None:
    cached = CachedProvider(HaversineProvider(), tmp_path)
    expected = cached.matrix(POINTS, POINTS)
    (file,) = tmp_path.glob("*.npz")
    file.write_bytes(b"not a zip")
    fresh = CachedProvider(HaversineProvider(), tmp_path)
    assert np.array_equal(fresh.matrix(POINTS, POINTS).durations_s, expected.durations_s)
    assert fresh.misses == 1
    assert np.load(file)["durations_s"].shape == (3, 3)


def test_a_cache_path_that_is_a_file_is_refused_clearly(tmp_path: Path) -> None:
    target = tmp_path / "cache"
    target.write_text("x")
    with pytest.raises(InvalidInput, match="must be a directory"):
        CachedProvider(HaversineProvider(), target)
