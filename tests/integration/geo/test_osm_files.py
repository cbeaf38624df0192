"""Building, saving and reloading road graphs from real extracts, and refusing bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lastmile.domain import Coordinate, InvalidInput
from lastmile.geo.cache import CachedProvider
from lastmile.geo.osm import OsmProvider, RoadNetwork
from lastmile.geo.osm import network as network_module
from lastmile.geo.travel import Profile
from tests.conftest import shared_path
from tests.integration.geo.conftest import HELSINKI

STOPS = [Coordinate(60.1675, 24.9430), Coordinate(60.1710, 24.9485), Coordinate(60.1760, 24.9390)]


def test_a_reloaded_graph_gives_the_same_matrices_as_the_freshly_built_one(
    helsinki: OsmProvider, tmp_path: Path
) -> None:
    saved = helsinki.network.save(tmp_path / "helsinki.npz")
    reloaded = OsmProvider(RoadNetwork.load(saved))
    for profile in (Profile.CAR, Profile.BICYCLE):
        built = helsinki.matrix(STOPS, STOPS, profile=profile)
        again = reloaded.matrix(STOPS, STOPS, profile=profile)
        assert np.array_equal(built.durations_s, again.durations_s)
        assert np.array_equal(built.distances_m, again.distances_m)
    for name, array in helsinki.network.graph(Profile.CAR).arrays().items():
        assert np.array_equal(array, reloaded.network.graph(Profile.CAR).arrays()[name]), name


def test_a_saved_graph_is_reused_without_parsing_the_extract_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = shared_path(*HELSINKI)
    first = RoadNetwork.load_or_build(source, tmp_path, [Profile.CAR])
    assert len(list(tmp_path.glob("*.npz"))) == 1

    def no_parsing(*_args: object) -> None:
        raise AssertionError("the extract was parsed again")

    monkeypatch.setattr(network_module, "read_highways", no_parsing)
    second = RoadNetwork.load_or_build(source, tmp_path, [Profile.CAR])
    assert second.digest == first.digest
    assert second.graph(Profile.CAR).node_count == first.graph(Profile.CAR).node_count


def test_a_damaged_saved_graph_is_rebuilt_from_the_extract(tmp_path: Path) -> None:
    source = shared_path(*HELSINKI)
    RoadNetwork.load_or_build(source, tmp_path, [Profile.CAR])
    (saved,) = tmp_path.glob("*.npz")
    saved.write_bytes(b"garbage")
    rebuilt = RoadNetwork.load_or_build(source, tmp_path, [Profile.CAR])
    assert rebuilt.graph(Profile.CAR).node_count > 1000
    assert RoadNetwork.load(saved).graph(Profile.CAR).node_count > 1000


def test_loading_something_that_is_not_a_graph_names_the_file(tmp_path: Path) -> None:
    bogus = tmp_path / "graph.npz"
    np.savez(bogus, something=np.zeros(3))
    with pytest.raises(InvalidInput, match=r"graph\.npz"):
        RoadNetwork.load(bogus)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.osm.pbf", None, "no such OpenStreetMap file"),
        ("notes.txt", b"hello", "expected an OpenStreetMap extract"),
        ("broken.osm.pbf", b"garbage", "cannot read as OpenStreetMap data"),
    ],
)
def test_a_bad_extract_is_refused_with_a_clear_reason(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as caught:
        RoadNetwork.from_osm(path)
    assert name in str(caught.value)


def test_asking_for_a_profile_that_was_not_built_says_which_were(
    helsinki: OsmProvider,
) -> None:
    with pytest.raises(InvalidInput, match="built: bicycle, car"):
        helsinki.matrix(STOPS, STOPS, profile=Profile.TRUCK)


def test_the_route_geometry_follows_roads_from_origin_to_destination(
    helsinki: OsmProvider,
) -> None:
    route = helsinki.route(STOPS[0], STOPS[2])
    assert route.coordinates[0] == STOPS[0]
    assert route.coordinates[-1] == STOPS[2]
    assert len(route.coordinates) > 4
    straight = STOPS[0].distance_m(STOPS[2])
    assert straight < route.distance_m < 3 * straight
    matrix = helsinki.matrix([STOPS[0]], [STOPS[2]])
    assert abs(route.duration_s - int(matrix.durations_s[0, 0])) <= 3
    feature = route.as_geojson()
    assert feature["geometry"]["type"] == "LineString"
    assert feature["geometry"]["coordinates"][0] == [STOPS[0].lon, STOPS[0].lat]


def test_road_matrices_are_cached_like_any_other_provider(
    helsinki: OsmProvider, tmp_path: Path
) -> None:
    cached = CachedProvider(helsinki, tmp_path)
    first = cached.matrix(STOPS, STOPS, hour=8)
    second = CachedProvider(helsinki, tmp_path).matrix(STOPS, STOPS, hour=8)
    assert np.array_equal(first.durations_s, second.durations_s)
    assert len(list(tmp_path.glob("*.npz"))) == 1
