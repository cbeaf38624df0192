"""The provider the demo and the planner get: road network with an extract, else haversine."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lastmile.domain import Coordinate
from lastmile.geo.factory import travel_provider
from lastmile.geo.haversine import HaversineProvider
from lastmile.geo.osm import OsmProvider
from tests.conftest import shared_path
from tests.integration.geo.conftest import HELSINKI

STOPS = [Coordinate(60.1675, 24.9430), Coordinate(60.1710, 24.9485)]


def test_without_an_extract_the_default_is_haversine() -> None:
    provider = travel_provider()
    assert isinstance(provider.inner, HaversineProvider)
    assert provider.matrix(STOPS, STOPS).durations_s[0, 1] > 0


def test_with_an_extract_the_road_network_is_built_once_and_matrices_are_kept(
    tmp_path: Path,
) -> None:
    provider = travel_provider(shared_path(*HELSINKI), cache_dir=tmp_path)
    assert isinstance(provider.inner, OsmProvider)
    first = provider.matrix(STOPS, STOPS, hour=8)
    assert len(list((tmp_path / "graphs").glob("*.npz"))) == 1
    assert len(list((tmp_path / "matrices").glob("*.npz"))) == 1
    again = travel_provider(shared_path(*HELSINKI), cache_dir=tmp_path).matrix(STOPS, STOPS, hour=8)
    assert np.array_equal(first.durations_s, again.durations_s)
