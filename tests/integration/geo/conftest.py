"""Road networks built once per test session from the real extracts in ../shared/data/osm."""

from __future__ import annotations

import pytest

from lastmile.geo.osm import OsmProvider, RoadNetwork
from lastmile.geo.osm.reader import RawWays, read_highways
from lastmile.geo.travel import Profile
from tests.conftest import shared_path

HELSINKI = ("data", "osm", "Helsinki.osm.pbf")
ANDORRA = ("data", "osm", "andorra-2021-06-17.osm.pbf")


@pytest.fixture(scope="session")
def helsinki_raw() -> RawWays:
    return read_highways(shared_path(*HELSINKI))


@pytest.fixture(scope="session")
def helsinki() -> OsmProvider:
    network = RoadNetwork.from_osm(shared_path(*HELSINKI), [Profile.CAR, Profile.BICYCLE])
    return OsmProvider(network)


@pytest.fixture(scope="session")
def andorra_raw() -> RawWays:
    return read_highways(shared_path(*ANDORRA))


@pytest.fixture(scope="session")
def andorra() -> OsmProvider:
    network = RoadNetwork.from_osm(shared_path(*ANDORRA), [Profile.CAR, Profile.FOOT])
    return OsmProvider(network)
